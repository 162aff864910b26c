// The golden suite on the GPU kernels: every release this verifier runs gives its recorded output hashes
// on the GPU path too (runModelGpu with the release's op set), so a release's bits do not depend on where
// its nodes run; a frozen op without a GPU form runs on the CPU reference, with the same bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { runModelGpu } from '../infer/gpu.ts'
import { parseModel } from '../infer/model.ts'
import { toTensors } from '../infer/run.ts'
import { ONNX_OPS, onnxOpSet } from '../ops/registry.ts'
import { RELEASES, resolveRelease } from './releases.ts'
import { outputsHash, tensorJson } from './tensors.ts'
import { GOLDEN, releaseHash, suiteModel } from './golden.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

async function onGpu(name: string, ops: ReturnType<typeof onnxOpSet>) {
  const model = parseModel(suiteModel(GOLDEN, name), ops)
  const inputs = toTensors(model, GOLDEN.suite.onnx[name].inputs)
  const { outputs, placement } = await runModelGpu(model, inputs, gpu, undefined, { ops })
  const json = Object.fromEntries([...outputs].map(([n, t]) => [n, tensorJson(n, t)]))
  return { hash: outputsHash(json), placement }
}

describe('golden vectors on the GPU kernels', () => {
  for (const def of RELEASES.releases)
    it(`${def.id}: every suite graph gives the recorded output hash`, async () => {
      const recorded = GOLDEN.releases[def.id].onnx
      const { ops } = resolveRelease(releaseHash(def, RELEASES))
      const got: Record<string, string> = {}
      for (const name of Object.keys(recorded)) got[name] = (await onGpu(name, ops)).hash
      expect(got).toEqual(recorded)
    }, 300_000)

  it('a frozen op without a GPU form runs on the CPU reference, with the same bits', async () => {
    const cpuSoftmax = onnxOpSet({ Softmax: { ...ONNX_OPS.get('Softmax')!, gpu: undefined } })
    const { hash, placement } = await onGpu('ops', cpuSoftmax)
    expect(placement.cpu.Softmax).toBe(1)
    expect(placement.gpu.Softmax).toBeUndefined()
    expect(hash).toBe(GOLDEN.releases['bits/1'].onnx.ops)
    expect((await onGpu('ops', ONNX_OPS)).placement.gpu.Softmax).toBe(1)
  }, 120_000)
})
