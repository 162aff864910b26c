// The golden suite on the GPU kernels: every release this verifier runs gives its recorded output hashes
// on the GPU path too (runModelGpu with the release's op set), so a release's bits do not depend on where
// its nodes run; a frozen op without a GPU form runs on the CPU reference, with the same bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { runModelGpu } from '../infer/gpu.ts'
import { parseModel } from '../infer/model.ts'
import { toTensors } from '../infer/run.ts'
import { ONNX_OPS, onnxOpSet } from '../ops/registry.ts'
import { kernelsHash } from './kernels.ts'
import { RELEASES, resolveRelease } from './releases.ts'
import { outputsHash, tensorJson } from './tensors.ts'
import golden from './golden.json'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const suite = golden.suite.onnx as unknown as Record<string, { model: string; inputs: never }>
const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

async function onGpu(name: string, ops: ReturnType<typeof onnxOpSet>) {
  const model = parseModel(bytes(suite[name].model), ops)
  const { outputs, placement } = await runModelGpu(
    model,
    toTensors(model, suite[name].inputs),
    gpu,
    undefined,
    {
      ops,
    },
  )
  const json = Object.fromEntries([...outputs].map(([n, t]) => [n, tensorJson(n, t)]))
  return { hash: outputsHash(json), placement }
}

describe('golden vectors on the GPU kernels', () => {
  for (const def of RELEASES.releases)
    it(`${def.id}: every suite graph gives the recorded output hash`, async () => {
      const recorded = (golden.releases as Record<string, { onnx: Record<string, string> }>)[def.id].onnx
      const hash = def.id === RELEASES.current ? kernelsHash() : def.libraries[0].hash
      const { ops } = resolveRelease(hash)
      const got: Record<string, string> = {}
      for (const name of Object.keys(recorded)) got[name] = (await onGpu(name, ops)).hash
      expect(got).toEqual(recorded)
    }, 300_000)

  it('a frozen op without a GPU form runs on the CPU reference, with the same bits', async () => {
    const cpuSoftmax = onnxOpSet({ Softmax: { ...ONNX_OPS.get('Softmax')!, gpu: undefined } })
    const { hash, placement } = await onGpu('ops', cpuSoftmax)
    expect(placement.cpu.Softmax).toBe(1)
    expect(placement.gpu.Softmax).toBeUndefined()
    expect(hash).toBe(golden.releases['bits/1'].onnx.ops)
    expect((await onGpu('ops', ONNX_OPS)).placement.gpu.Softmax).toBe(1)
  }, 120_000)
})
