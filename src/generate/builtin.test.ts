// A built-in model's bytes are a function of its URI, for every verifier: pinned by hash here, because
// a receipt on one names only the URI and the hash. If the decoder export changes these bytes, receipts
// made on the old ones stop re-generating: give the new export a new URI instead of editing this.
import { describe, expect, it } from 'vitest'
import { GenerationError } from '../errors/generate.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { BUILTIN_MODELS, builtinModel, isBuiltinModel } from './builtin.ts'

const PINNED: Record<string, string> = {
  'lockstep:gpt/tiny?seed=1': '0xbdcca8ae116ac8d1824bf3f6f7886b98be1c45a9be16627215ce8e38963d18e8',
  'lockstep:gpt/demo?seed=1': '0xcfec50b81053337045ea28ec6ae01d010b9f850a8eb1c07ab5156db55e3d6fcf',
}

describe('built-in models', () => {
  it('rebuild to the pinned bytes', () => {
    for (const { uri } of BUILTIN_MODELS) {
      expect(isBuiltinModel(uri)).toBe(true)
      expect(keccak256Hex([builtinModel(uri)]), uri).toBe(PINNED[uri])
    }
  })

  it('refuses any other URI by name', () => {
    for (const uri of [
      'lockstep:gpt/large?seed=1',
      'lockstep:gpt/tiny?seed=1&x=2',
      'https://x/lockstep:gpt/tiny?seed=1',
    ])
      expect(() => builtinModel(uri), uri).toThrow(GenerationError)
  })
})
