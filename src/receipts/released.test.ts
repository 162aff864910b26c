// A receipt made by a released library, verified after a deliberate change of bits: the fixture was
// signed by Lockstep as issue 17 released it (d80e8cd, kernels 0x210e98c2…), on a graph where issue 18
// changed two operators to onnxruntime's rules (Squeeze of an empty axes input, Cast of an int64 beyond
// 2^53). Today's library computes other outputs for it; the verifier still runs release bits/1, with
// those operators frozen as they were (src/ops/frozen/), and passes it.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { keccak256Hex } from '../util/keccak.ts'
import { GOLDEN, suiteModel } from './golden.ts'
import { infer, validateInferenceReceipt, verifyInference, type InferenceReceipt } from './inference.ts'
import { KERNEL_LIBRARIES } from './kernels.ts'
import { RELEASES, localRelease, type ReleaseManifest } from './releases.ts'

const receipt: InferenceReceipt = JSON.parse(
  readFileSync(new URL('./fixtures/bits1-edges-receipt.json', import.meta.url), 'utf8'),
)
const model = suiteModel(GOLDEN, 'edges')

describe('a receipt of the released issue-17 library', () => {
  it('names that library, and its model is the golden suite’s edges graph', () => {
    expect(receipt.body.kernelsHash).toBe(KERNEL_LIBRARIES.at(-1)!.hash)
    expect(keccak256Hex([model])).toBe(receipt.body.model.hash)
  })

  it('validates and re-executes with release bits/1, though today’s bits differ', async () => {
    const checks = await validateInferenceReceipt(receipt)
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.find((c) => c.name === 'kernels')?.detail).toMatch(/^bits\/1 /)
    const [ran] = verifyInference(receipt, model)
    expect(ran).toMatchObject({ ok: true, name: 'output hash' })
    expect(ran.detail).toContain('with release bits/1')
    // The deliberate change: today's release computes another output set for the same graph.
    expect(infer(model, receipt.body.inputs, undefined, localRelease()).outputHash).not.toBe(
      receipt.body.outputHash,
    )
  })

  it('would stop verifying without the frozen operators: the failure releases prevent', () => {
    const unfrozen: ReleaseManifest = {
      ...RELEASES,
      releases: RELEASES.releases.map((r) => (r.id === 'bits/1' ? { ...r, frozen: undefined } : r)),
    }
    expect(verifyInference(receipt, model, undefined, unfrozen)[0]).toMatchObject({ ok: false })
  })
})
