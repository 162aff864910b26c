// Decode speed side by side on one decoder (Lockstep's GPT, the KV-cache export): the deterministic
// runtime on the GPU kernels and on the CPU reference, and onnxruntime-web's wasm and WebGPU execution
// providers driven by the same generation loop (only the forward pass differs). Greedy, so every path
// should pick the same tokens unless a near-tie falls the other way in ORT's f32; the records say
// whether they did. Decode tokens/s excludes the prefill: from the first token to the last.
import * as ort from 'onnxruntime-web'
import type { Gpu } from '../src/gpu/runtime.ts'
import { builtinModel } from '../src/generate/builtin.ts'
import { cpuRunner, type Runner } from '../src/generate/decoder.ts'
import { generate } from '../src/generate/generate.ts'
import { gpuRunner } from '../src/generate/gpu.ts'
import { generationParams } from '../src/generate/params.ts'
import { byteTokenizer } from '../src/generate/tokenizer.ts'
import { parseModel, type Tensor } from '../src/infer/model.ts'

ort.env.wasm.numThreads = 1

/** An ORT session as the loop's forward pass: our tensors in, ORT's out, converted both ways. */
function ortRunner(session: ort.InferenceSession): Runner {
  return async (_model, inputs) => {
    const feeds: Record<string, ort.Tensor> = {}
    for (const [name, t] of inputs)
      feeds[name] =
        t.type === 'int64'
          ? new ort.Tensor('int64', t.data as BigInt64Array, t.dims)
          : new ort.Tensor('float32', t.data as Float32Array, t.dims)
    const out = await session.run(feeds)
    return new Map(
      Object.entries(out).map(([name, v]): [string, Tensor] => [
        name,
        { type: 'float', dims: [...v.dims], data: v.data as Float32Array },
      ]),
    )
  }
}

export async function benchGeneration(
  gpu: Gpu,
  o: { model: string; tokens: number; prompt: string; log: (r: unknown) => void },
): Promise<unknown[]> {
  const bytes = builtinModel(o.model)
  const model = parseModel(bytes)
  const params = generationParams({ max_tokens: o.tokens })
  const sessions: ort.InferenceSession[] = []
  const paths: [string, () => Promise<Runner>][] = [
    ['lockstep-gpu', async () => gpuRunner(gpu)],
    ['lockstep-cpu', async () => cpuRunner],
    ...(['wasm', 'webgpu'] as const).map((ep): [string, () => Promise<Runner>] => [
      `ort-${ep}`,
      async () => {
        const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep] })
        sessions.push(s)
        return ortRunner(s)
      },
    ]),
  ]
  const records: { path: string; ids?: number[]; [k: string]: unknown }[] = []
  try {
    for (const [path, make] of paths) {
      const runner = await make()
      const stamps: number[] = []
      const ids: number[] = []
      const start = performance.now()
      for await (const t of generate(model, byteTokenizer, o.prompt, params, { runner })) {
        stamps.push(performance.now())
        ids.push(t.tokenId)
      }
      const decodeMs = stamps[stamps.length - 1] - stamps[0]
      const r = {
        suite: 'generate',
        model: o.model,
        path,
        tokens: ids.length,
        prefillMs: +(stamps[0] - start).toFixed(1),
        decodeTokensPerSecond: +(((ids.length - 1) * 1000) / decodeMs).toFixed(2),
        sameIdsAsLockstep: records.length ? ids.join() === records[0].ids!.join() : true,
        ids,
      }
      records.push(r)
      o.log({ ...r, ids: undefined })
    }
  } finally {
    for (const s of sessions) await s.release()
  }
  const base = records.find((r) => r.path === 'ort-wasm')!.decodeTokensPerSecond as number
  return records.map(({ ids: _, ...r }) => ({
    ...r,
    vsOrtWasm: +((r.decodeTokensPerSecond as number) / base).toFixed(3),
  }))
}
