// The checked-in WebAssembly modules are what their .wat sources assemble to (scripts/wasm.mjs).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { assemble, watFiles } from './wasm.mjs'

describe('WebAssembly kernels', () => {
  it.each(watFiles() as string[])('%s matches its checked-in module', async (wat) => {
    const generated = wat.replace(/\.wat$/, '.wasm.ts')
    expect(readFileSync(generated, 'utf8'), 'stale module: run node scripts/wasm.mjs').toBe(
      await assemble(wat),
    )
  })
})
