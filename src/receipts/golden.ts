// The golden vectors (golden.json, docs/receipts.md#kernel-library-releases): a canonical suite checked
// in as bytes — small ONNX graphs with their inputs, a couple of training steps — and what each release
// recorded for it. Running a release's op set (and training backend) on the suite and getting its record
// back, bit for bit, is how a build proves it computes that release: golden.test.ts in CI, `lockstep
// releases` on any machine (with --gpu, on its GPU).
import type { Hex } from 'viem'
import type { Backend } from '../ops/op.ts'
import type { HostInput } from '../infer/json.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, type TrainConfig } from '../train/trainer.ts'
import { sha256Hex } from '../util/hash.ts'
import { CorpusError } from '../errors/train.ts'
import { infer } from './inference.ts'
import { kernelsHash } from './kernels.ts'
import { trainingBackend, type Release, type ReleaseDef, type ReleaseManifest } from './releases.ts'
import golden from './golden.json'

export interface Golden {
  suite: {
    onnx: Record<string, { model: string; inputs: Record<string, HostInput> }>
    training: { config: TrainConfig; corpus: string; valFraction: number; steps: number }
  }
  /**
   * Per release: the ONNX operators it had when recorded, each graph's output hash, the state hash
   * before and after each training step.
   */
  releases: Record<string, { ops: string[]; onnx: Record<string, string>; training?: string[] }>
}

export const GOLDEN = golden as unknown as Golden

/** One suite item under one release: what it gave and what the release recorded. */
export interface GoldenResult {
  what: string
  ok: boolean
  got: string
  want: string | undefined
}

/** The suite's model bytes (base64 in the JSON). */
export const suiteModel = (g: Golden, name: string) =>
  Uint8Array.from(atob(g.suite.onnx[name].model), (c) => c.charCodeAt(0))

/** A hash that names `def` under `manifest`: this library's own for the current release. */
export function releaseHash(def: ReleaseDef, manifest: ReleaseManifest): Hex {
  return def.id === manifest.current ? (manifest.library ?? kernelsHash()) : def.libraries[0].hash
}

/** The output hash of one suite graph run with the release's op set (the CPU reference). */
export function goldenOutputHash(release: Release, name: string, g: Golden = GOLDEN): Hex {
  const { inputs } = g.suite.onnx[name]
  return infer(suiteModel(g, name), inputs, undefined, release).outputHash
}

/** Every suite graph the release recorded, run with its op set. */
export function checkGoldenOnnx(release: Release, g: Golden = GOLDEN): GoldenResult[] {
  const recorded = g.releases[release.id]?.onnx ?? {}
  return Object.entries(recorded).map(([name, want]) => {
    const got = goldenOutputHash(release, name, g)
    return { what: `graph ${name}`, ok: got === want, got, want }
  })
}

/** The state hash before and after each of the suite's training steps, on the release's backend. */
export async function goldenTrainingHashes<T>(
  release: Release,
  be: Backend<T>,
  corpus: Uint8Array,
  g: Golden = GOLDEN,
): Promise<Hex[]> {
  const t = g.suite.training
  const sha = await sha256Hex(corpus)
  if (sha !== t.corpus)
    throw new CorpusError(`The corpus hashes to ${sha}; the golden suite trains on ${t.corpus}.`)
  const { train } = splitCorpus(corpus, t.valFraction)
  const trainer = Trainer.create(trainingBackend(release, be), t.config)
  try {
    const hashes = [await trainer.stateHash()]
    for (let i = 0; i < t.steps; i++) hashes.push((await trainer.trainStep(train)).stateHash)
    return hashes
  } finally {
    trainer.dispose()
  }
}

/** The suite's training steps against the release's record. */
export async function checkGoldenTraining<T>(
  release: Release,
  be: Backend<T>,
  corpus: Uint8Array,
  g: Golden = GOLDEN,
): Promise<GoldenResult> {
  const got = (await goldenTrainingHashes(release, be, corpus, g)).join(',')
  const want = g.releases[release.id]?.training?.join(',')
  return { what: `${g.suite.training.steps} training steps`, ok: got === want, got, want }
}
