// Receipts that never stop verifying (issue 18): after a deliberate change to a kernel's bits, a
// receipt made with the older release still verifies, by running that release (its frozen op), while a
// receipt that claims the old release but carries the new bits is refused. The changed library is
// described by a manifest as a real one would be: its registry has the new Softmax, the new release is
// its own, and bits/2 (the library shipped today) keeps its Softmax frozen.
import { keccak256, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { OnnxError } from '../errors/infer.ts'
import { ReleaseNotRunnableError, UnknownReleaseError } from '../errors/receipt.ts'
import * as sf from '../kernels/softfloat.ts'
import { axisIn, float, type OnnxOp } from '../ops/onnx.ts'
import { ONNX_OPS, OP_MODULES, onnxOpSet } from '../ops/registry.ts'
import type { Backend, CpuTensor } from '../ops/op.ts'
import { kjvBytes } from '../train/testing.ts'
import { cpuBackend } from '../train/cpu.ts'
import { createInferenceReceipt, validateInferenceReceipt, verifyInference } from './inference.ts'
import { KERNEL_LIBRARIES, kernelsHash } from './kernels.ts'
import {
  RELEASES,
  localRelease,
  manifestProblem,
  resolveRelease,
  type Release,
  type ReleaseDef,
  type ReleaseManifest,
} from './releases.ts'
import { replayTrainingReceipt } from './replay.ts'
import { refereeBackend } from '../disputes/settle.ts'
import { NotADisputeError } from '../errors/dispute.ts'
import { TEST_TARGET, trainedReceipt } from './testing.ts'
import { signBody, type TrainingReceipt } from './training.ts'
import { validateTrainingReceipt } from './validate.ts'
import { GOLDEN, suiteModel } from './golden.ts'
import { builtinModel } from '../generate/builtin.ts'
import { generationParams } from '../generate/params.ts'
import { byteTokenizer } from '../generate/tokenizer.ts'
import {
  createGenerationReceipt,
  validateGenerationReceipt,
  verifyGeneration,
  type GenerationReceipt,
} from './generation.ts'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = TEST_TARGET
// The golden suite's graph of many operators: its Softmax's output is one of the graph's (in the GPT
// export, a bq15 MatMul follows it, which hides a last-bit change).
const model = suiteModel(GOLDEN, 'ops')
const inputs = GOLDEN.suite.onnx.ops.inputs
const uri = 'https://example.invalid/model.onnx'

const shipped = ONNX_OPS.get('Softmax')!

/** Truncated to bfloat16: the top 16 bits of the f32. */
const bf16 = (v: number) => sf.f32FromBits(sf.f32Bits(v) & 0xffff0000)

/**
 * The deliberate change, an "optimisation" of the kind that moves bits: Softmax's exponentials kept in
 * bfloat16, the row sum in f32 in index order (bits/2 sums exactly in fixed point), and one reciprocal
 * multiplied in (bits/2 divides). Deterministic, close in value (2^-8 relative), other bits.
 */
const softmaxV2: OnnxOp = {
  ...shipped,
  run: ({ node, where, float: input }) => {
    const x = input(0)
    if (axisIn(where, node.attrs.axis ?? -1, x.dims.length) !== x.dims.length - 1)
      throw new OnnxError(`${where}: this Softmax runs over the last axis only.`)
    const n = x.dims.at(-1)!
    const y = new Float32Array(x.data.length)
    for (let r = 0; r < x.data.length / n; r++) {
      const row = x.data.subarray(r * n, (r + 1) * n)
      const m = row.reduce((a, v) => sf.max(a, v), -Infinity)
      let s = 0
      for (let k = 0; k < n; k++) s = sf.add(s, (y[r * n + k] = bf16(sf.exp(sf.sub(row[k], m)))))
      const inv = sf.div(1, s)
      for (let k = 0; k < n; k++) y[r * n + k] = sf.mul(y[r * n + k], inv)
    }
    return [float(x.dims, y)]
  },
  gpu: undefined,
}

const shippedCausal = OP_MODULES.find((m) => m.name === 'softmax')!.kernels!.softmaxCausal!

/** The training kernel changed the same way: causal rows of [T, T] blocks (row t sees 0..t). */
async function softmaxCausalV2(x: CpuTensor): Promise<CpuTensor> {
  const n = x.shape.at(-1)!
  const y = new Float32Array(x.data.length)
  for (let r = 0; r < x.data.length / n; r++) {
    const row = x.data.subarray(r * n, r * n + (r % n) + 1)
    const m = row.reduce((a, v) => sf.max(a, v), -Infinity)
    let s = 0
    for (let k = 0; k < row.length; k++) s = sf.add(s, (y[r * n + k] = bf16(sf.exp(sf.sub(row[k], m)))))
    const inv = sf.div(1, s)
    for (let k = 0; k < row.length; k++) y[r * n + k] = sf.mul(y[r * n + k], inv)
  }
  return { data: y, shape: [...x.shape] }
}

/** The library after the change: its own hash, its registry's Softmax the new one. */
const changedHash = keccak256(toBytes('a Lockstep library with another Softmax'))
// Today's release (bits/2), the one the changed library freezes; bits/1 before it stays as it is.
const today = RELEASES.releases.find((r) => r.id === RELEASES.current)!
const older = RELEASES.releases.filter((r) => r !== today)

function changedLibrary(freeze: boolean, training = true): ReleaseManifest {
  const frozen: ReleaseDef = {
    ...today,
    // The last bits/2 library (today's) joins its released hashes, as the release procedure says.
    libraries: [
      ...today.libraries,
      { hash: kernelsHash(), scheme: 'kernels/2', note: 'the last bits/2 library' },
    ],
    // What src/ops/frozen/softmax.v1.ts would hold: the Softmax as it was.
    frozen: freeze ? { ...today.frozen, Softmax: shipped } : today.frozen,
    only: GOLDEN.releases['bits/2'].ops,
    training,
  }
  return {
    current: 'bits/3',
    library: changedHash,
    registry: onnxOpSet({ Softmax: softmaxV2 }),
    releases: [
      ...older,
      frozen,
      {
        id: 'bits/3',
        libraries: [],
        training: true,
        note: 'Softmax keeps exponentials in bfloat16, sums in f32 order, multiplies by the reciprocal',
      },
    ],
  }
}
const changed = changedLibrary(true)

describe('kernel-library releases', () => {
  it('the shipped manifest is consistent, and resolves every released hash to bits/2', () => {
    expect(manifestProblem(RELEASES)).toBeNull()
    expect(manifestProblem(changed)).toBeNull()
    const own = resolveRelease(kernelsHash())
    expect([own.id, own.current, own.training, own.ops]).toEqual(['bits/2', true, true, ONNX_OPS])
    // The libraries released before issue 18 compute bits/1: its frozen ops in place, its op types only.
    for (const hash of KERNEL_LIBRARIES.map((l) => l.hash)) {
      const r = resolveRelease(hash)
      expect([r.id, r.current, r.training]).toEqual(['bits/1', false, true])
      expect(r.ops.get('Squeeze')).not.toBe(ONNX_OPS.get('Squeeze'))
      expect(r.ops.has('Where')).toBe(false)
    }
    expect(localRelease().detail).toBe(`bits/2 (kernels ${kernelsHash()}; this verifier's own library)`)
    expect(manifestProblem({ ...changed, library: kernelsHash() })).toMatch(/listed under the older bits\/2/)
    expect(manifestProblem({ ...RELEASES, current: 'bits/9' })).toMatch(/not a live release/)
  })

  it('refuses a library no release lists, naming the releases it runs, and ops a release did not have', async () => {
    expect(() => resolveRelease(changedHash)).toThrow(UnknownReleaseError)
    expect(() => resolveRelease(changedHash)).toThrow(/It runs bits\/1, bits\/2 \(this library's\)/)
    const retired = {
      ...changed,
      releases: [...older, { ...changed.releases[1], retired: 'found unsound' }, changed.releases[2]],
    }
    expect(() => resolveRelease(kernelsHash(), retired)).toThrow(ReleaseNotRunnableError)
    expect(() => resolveRelease(changedHash, { ...changed, releases: [changed.releases[2]] })).not.toThrow()
    // An older release runs only the op types it had: a graph with a later op is refused under it.
    const onlyExp = {
      ...changed,
      releases: [...older, { ...changed.releases[1], only: ['Exp'] }, changed.releases[2]],
    }
    const old = await createInferenceReceipt(model, inputs, { uri, account, target })
    expect(verifyInference(old, model, undefined, onlyExp)[0]).toMatchObject({
      ok: false,
      name: 're-execution',
      detail: expect.stringMatching(/OnnxError: Operator Abs \(node n1\) is not supported/),
    })
    expect(() => resolveRelease(kernelsHash(), { ...changed, releases: [changed.releases[2]] })).toThrow(
      /It runs bits\/3 \(this library's\)/,
    )
  })

  it('verifies a receipt made with the older release after a change of Softmax bits; refuses new bits under the old name', async () => {
    // Made by the library shipped today: bits/2.
    const old = await createInferenceReceipt(model, inputs, { uri, account, target })
    expect(old.body.kernelsHash).toBe(kernelsHash())
    // Made by the changed library: its own release, bits/3, other output bits.
    const newer = await createInferenceReceipt(model, inputs, {
      uri,
      account,
      target,
      release: localRelease(changed),
    })
    expect(newer.body.kernelsHash).toBe(changedHash)
    expect(newer.body.outputHash).not.toBe(old.body.outputHash)

    // The changed library's verifier runs bits/2 (its frozen Softmax) for the old receipt, bits/3 for the new.
    const checks = await validateInferenceReceipt(old, { releases: changed })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.find((c) => c.name === 'kernels')?.detail).toMatch(/^bits\/2 .*an older release/)
    const [ran] = verifyInference(old, model, undefined, changed)
    expect(ran).toMatchObject({ ok: true, name: 'output hash' })
    expect(ran.detail).toContain(`re-executed with release bits/2 (kernels ${kernelsHash()})`)
    expect(verifyInference(newer, model, undefined, changed)[0]).toMatchObject({
      ok: true,
      detail: expect.stringContaining('with release bits/3'),
    })

    // New bits under the old release's name: a well-formed, signed receipt, refused by re-execution.
    const body = { ...newer.body, kernelsHash: kernelsHash() }
    const forged = { ...newer, body, ...(await signBody(newer.kind, body, account, target)) }
    expect((await validateInferenceReceipt(forged, { releases: changed })).filter((c) => !c.ok)).toEqual([])
    const [refused] = verifyInference(forged, model, undefined, changed)
    expect(refused.ok).toBe(false)
    expect(refused.detail).toContain('with release bits/2')
    expect(refused.detail).toContain(`receipt says ${newer.body.outputHash}`)

    // The anchor's failure mode: had the change not frozen the old Softmax, the old receipt would fail.
    expect(verifyInference(old, model, undefined, changedLibrary(false))[0].ok).toBe(false)
    // And today's verifier, which never had bits/3, refuses the new receipt by name.
    const [unknown] = verifyInference(newer, model)
    expect(unknown).toMatchObject({ ok: false, name: 'kernels' })
    expect(unknown.detail).toMatch(/^UnknownReleaseError: .*It runs bits\/1, bits\/2 \(this library's\)/)
    expect((await validateInferenceReceipt(newer)).filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'kernels',
    ])
  })

  it('re-generates a generation receipt of the older release after the Softmax change; refuses new tokens under its name', async () => {
    const decoder = builtinModel('lockstep:gpt/tiny?seed=1')
    // Sampled, so the changed Softmax's other logits move a token (seed 2: the first draw they change).
    const params = generationParams({ max_tokens: 6, temperature: 1, seed: 2 })
    const make = (release?: Release) =>
      createGenerationReceipt(decoder, byteTokenizer, 'In the', params, {
        uri: 'lockstep:gpt/tiny?seed=1',
        account,
        target,
        release,
      })
    const old = await make()
    const newer = await make(localRelease(changed))
    expect(newer.body.kernelsHash).toBe(changedHash)
    expect(newer.body.tokenIds).not.toEqual(old.body.tokenIds)
    const verify = (r: GenerationReceipt, releases?: ReleaseManifest) =>
      verifyGeneration(r, { model: decoder, releases })

    // The changed library re-generates the old receipt with bits/2 (its frozen Softmax), the new with bits/3.
    expect(await verify(old, changed)).toEqual([
      expect.objectContaining({ ok: true, detail: expect.stringContaining('with release bits/2') }),
    ])
    expect(await verify(newer, changed)).toEqual([
      expect.objectContaining({ ok: true, detail: expect.stringContaining('with release bits/3') }),
    ])
    // Without the frozen Softmax, the old receipt would stop verifying: the anchor's failure mode.
    expect((await verify(old, changedLibrary(false)))[0]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^first divergence at position \d/),
    })
    // New tokens signed under the old release's name: refused at the first token they change.
    const body = { ...newer.body, kernelsHash: kernelsHash() }
    const forged = { ...newer, body, ...(await signBody(newer.kind, body, account, target)) }
    expect((await validateGenerationReceipt(forged, { releases: changed })).filter((c) => !c.ok)).toEqual([])
    expect((await verify(forged, changed))[0]).toMatchObject({ ok: false, name: 're-generation' })
    // Today's verifier never had bits/3: refused by name.
    expect((await verify(newer))[0]).toMatchObject({ ok: false, name: 'kernels' })
  })

  it('a release whose training steps this library does not keep: training receipts refused by name', async () => {
    const r = await trainedReceipt({ signer: account, bytes: kjvBytes, steps: 2 })
    // Training kernels unchanged (bits/2 keeps its training steps): replays under the changed library.
    expect((await replayTrainingReceipt(r, cpuBackend, kjvBytes, { releases: changed })).ok).toBe(true)
    const noTraining = changedLibrary(true, false)
    const validated = await validateTrainingReceipt(r, { releases: noTraining })
    expect(validated.filter((c) => !c.ok).map((c) => c.name)).toEqual(['kernels'])
    expect(validated.find((c) => c.name === 'kernels')?.detail).toMatch(
      /^This verifier cannot run release bits\/2 \(kernels 0x[0-9a-f]{64}\) for training/,
    )
    const replay = await replayTrainingReceipt(r, cpuBackend, kjvBytes, {
      releases: noTraining,
    })
    expect(replay).toMatchObject({ ok: false, steps: [] })
    expect(replay.detail).toMatch(/^ReleaseNotRunnableError: This verifier cannot run release bits\/2/)
  })

  it('replays training steps of the older release after a change of the causal softmax kernel, on the CPU reference', async () => {
    // The changed library's CPU reference, and its manifest: bits/2 keeps softmaxCausal frozen.
    const changedCpu: Backend<CpuTensor> = { ...cpuBackend, softmaxCausal: softmaxCausalV2 }
    const withKernels = (freeze: boolean): ReleaseManifest => ({
      ...changed,
      releases: [
        { ...changed.releases[1], kernels: freeze ? { softmaxCausal: shippedCausal } : undefined },
        changed.releases[2],
      ],
    })
    const manifest = withKernels(true)
    const replay = (r: TrainingReceipt, be: Backend<CpuTensor>, m = manifest) =>
      replayTrainingReceipt(r, be, kjvBytes, { releases: m })
    const old = await trainedReceipt({ signer: account, bytes: kjvBytes, steps: 2 })
    const newer = await trainedReceipt({
      signer: account,
      bytes: kjvBytes,
      steps: 2,
      backend: changedCpu as Backend<unknown>,
      lie: (b) => ({ ...b, kernelsHash: changedHash }),
    })
    expect(newer.body.startStateHash).toBe(old.body.startStateHash)
    expect(newer.body.stepHashes[0]).not.toBe(old.body.stepHashes[0])

    expect(await replay(old, changedCpu)).toMatchObject({ ok: true })
    expect(await replay(newer, changedCpu)).toMatchObject({ ok: true })
    // New bits under the old release's name: replay names step 1.
    const forged = await trainedReceipt({
      signer: account,
      bytes: kjvBytes,
      steps: 2,
      backend: changedCpu as Backend<unknown>,
    })
    expect(forged.body.kernelsHash).toBe(kernelsHash())
    expect(await replay(forged, changedCpu)).toMatchObject({ ok: false, firstMismatch: 1 })
    // Without the frozen kernel the old receipt fails: the anchor's failure mode.
    expect(await replay(old, changedCpu, withKernels(false))).toMatchObject({ ok: false, firstMismatch: 1 })
    // The dispute referee replays with the receipts' release, and refuses receipts of two releases.
    expect(refereeBackend(old, undefined, manifest).softmaxCausal).toBe(shippedCausal.cpu)
    expect(() => refereeBackend(old, newer, manifest)).toThrow(NotADisputeError)
    expect(() => refereeBackend(old, newer)).toThrow(UnknownReleaseError)
    expect(refereeBackend(old, forged)).toBe(cpuBackend)
    // The GPU's launchers and resident step are the changed library's: refused by name, no step accused.
    const gpuLike = { ...changedCpu, kind: 'gpu' as const }
    const refused = await replay(old, gpuLike)
    expect(refused).toMatchObject({ ok: false, steps: [] })
    expect(refused.firstMismatch).toBeUndefined()
    expect(refused.detail).toMatch(
      /^ReleaseNotRunnableError: Release bits\/2 replays on the CPU reference only/,
    )
  })
})
