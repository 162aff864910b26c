// Lockstep's own decoders, named by a `lockstep:` URI that says how to rebuild them: the GPT of a preset
// with the weights its seed draws (src/train/gpt.ts), exported as the KV-cache decoder. The bytes are
// a pure function of the URI, so a verifier rebuilds the model instead of fetching it, and a receipt
// made on one needs no hosting. Untrained weights generate noise: a model to try the page and the
// receipts with; a trained one comes from the Train page or a file.
import { GenerationError } from '../errors/generate.ts'
import { initParams, presets, type PresetName } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'

const BUILTIN = /^lockstep:gpt\/(tiny|demo)\?seed=(\d{1,9})$/

/** The built-in models the Generate page offers. */
export const BUILTIN_MODELS = [
  { uri: 'lockstep:gpt/demo?seed=1', label: 'Lockstep demo GPT (untrained, seed 1; 64-token context)' },
  { uri: 'lockstep:gpt/tiny?seed=1', label: 'Lockstep tiny GPT (untrained, seed 1; 16-token context)' },
] as const

export const isBuiltinModel = (uri: string): boolean => BUILTIN.test(uri)

/** The decoder a `lockstep:gpt/<preset>?seed=<n>` URI names; refused by name for any other URI. */
export function builtinModel(uri: string): Uint8Array {
  const m = BUILTIN.exec(uri)
  if (!m)
    throw new GenerationError(`${JSON.stringify(uri)} is not a built-in model.`, {
      details: 'Built-in models are lockstep:gpt/tiny?seed=N and lockstep:gpt/demo?seed=N.',
    })
  const cfg = presets[m[1] as PresetName]
  return exportDecoderOnnx(cfg, initParams(cfg, Number(m[2])))
}
