// Re-execution from the command line: a full replay from the start state, or a spot check of k steps
// drawn from a seed, each replayed from the producer's nearest published checkpoint (`--checkpoints DIR`
// of step-<n>.lscp files, written by `lockstep train --checkpoints DIR`).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hex } from 'viem'
import {
  replayTrainingReceipt,
  spotCheckSeed,
  spotCheckTrainingReceipt,
  type StepVerdict,
} from '../receipts/replay.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import type { Checkpoint } from '../train/trainer.ts'
import { checkpointBytes, decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { flag } from './args.ts'
import type { CliBackend } from './backend.ts'
import { CheckpointFolderError, FlagError } from '../errors/cli.ts'
import { corpusPath } from '../train/corpus.ts'
import { splitCorpus } from '../train/data.ts'
import { checkTrainingLimits } from '../receipts/limits.ts'
import { sha256Hex } from '../util/hash.ts'
import { replayFull, threadCount } from './replayThreads.ts'

/** The file of the corpus a receipt names, as shipped in public/corpus/ (scripts/prepare-corpus.mjs). */
export function shippedCorpus(name: string): string {
  // dist-cli/main.js: the repository's public/ is one folder up.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  return join(root, 'public', corpusPath({ name: name.replace(/[^\w.-]/g, '') }))
}

/** Every step-<n>.lscp in `dir`, decoded and bounded by the receipt's config. */
export function loadCheckpoints(dir: string, r: TrainingReceipt): Map<number, Checkpoint> {
  if (!existsSync(dir)) throw new CheckpointFolderError(`No checkpoint folder ${dir}.`)
  const max = checkpointBytes(r.body.config) + 4096
  const found = new Map<number, Checkpoint>()
  for (const f of readdirSync(dir)) {
    const m = /^step-(\d+)\.lscp$/.exec(f)
    if (!m) continue
    const c = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, f))), max)
    if (c.step !== Number(m[1])) throw new CheckpointFolderError(`${f} holds step ${c.step}.`)
    found.set(c.step, c)
  }
  if (!found.size) throw new CheckpointFolderError(`No step-<n>.lscp checkpoints in ${dir}.`)
  return found
}

const line = (v: StepVerdict) =>
  console.log(
    `${v.equal ? '✓' : '✗'} step ${v.step}: ${v.actual}${v.equal ? '' : ` ≠ committed ${v.expected}`}`,
  )

/**
 * Replays (all, or a spot check with --checkpoints) on `backend`; prints every step; true when all equal.
 * The draw's seed is --seed when given, else this verifier's fresh randomness, mixed with `anchorSeed`
 * (the anchor's block hash) when known (spotCheckSeed says why); it is printed so the draw can be repeated.
 */
export async function reexecute(
  r: TrainingReceipt,
  args: string[],
  backend: CliBackend,
  anchorSeed?: Hex,
): Promise<boolean> {
  const corpusFile = flag(args, 'corpus') ?? shippedCorpus(r.body.data.name)
  let corpus: Uint8Array
  try {
    corpus = new Uint8Array(readFileSync(corpusFile))
  } catch {
    console.log(`✗ replay: the corpus ${corpusFile} is not readable (pass --corpus FILE)`)
    return false
  }
  const dir = flag(args, 'checkpoints')
  if (!dir) {
    const result = await replayTrainingReceipt(r, backend.be, corpus, { onStep: line })
    console.log(`${result.ok ? '✓' : '✗'} replay (${backend.name}): ${result.detail}`)
    return result.ok
  }
  const checkpoints = loadCheckpoints(dir, r)
  if (args.includes('--full')) return full(r, corpus, checkpoints, args, backend)
  const k = Number(flag(args, 'spot') ?? 3)
  if (!Number.isInteger(k) || k < 1)
    throw new FlagError(`--spot must be a positive integer (got ${flag(args, 'spot')}).`)
  const { seed, source } = spotCheckSeed({ given: flag(args, 'seed') as Hex | undefined, anchor: anchorSeed })
  console.log(`spot check: ${k} step(s) drawn with seed ${seed} (${source}), ${checkpoints.size} checkpoints`)
  const steps = [...checkpoints.keys()].sort((a, b) => a - b)
  const nearest = async (s: number) => {
    const at = steps.filter((c) => c <= s).at(-1)
    if (at === undefined) throw new CheckpointFolderError(`No checkpoint at or before step ${s}.`)
    return checkpoints.get(at)!
  }
  const result = await spotCheckTrainingReceipt(r, backend.be, corpus, nearest, { k, seed, onStep: line })
  console.log(
    `${result.ok ? '✓' : '✗'} spot check (${backend.name}): ${result.detail}; drew ${result.sampled.join(', ')}`,
  )
  return result.ok
}

/** --full: every step, from the checkpoints, on --threads worker threads (one per core by default). */
async function full(
  r: TrainingReceipt,
  corpus: Uint8Array,
  checkpoints: Map<number, Checkpoint>,
  args: string[],
  backend: CliBackend,
): Promise<boolean> {
  const threads = threadCount(flag(args, 'threads'))
  if (!Number.isInteger(threads) || threads < 1)
    throw new FlagError(`--threads must be a positive integer (got ${flag(args, 'threads')}).`)
  const corpusHash = await sha256Hex(corpus)
  if (corpusHash !== r.body.data.sha256) {
    console.log(`✗ replay: the corpus hashes to ${corpusHash}, the receipt names ${r.body.data.sha256}`)
    return false
  }
  checkTrainingLimits(r.body.config)
  const { train } = splitCorpus(corpus, r.body.data.valFraction)
  const result = await replayFull(r, train, checkpoints, backend, threads, line)
  console.log(
    `${result.ok ? '✓' : '✗'} replay (${backend.name}, from ${checkpoints.size} checkpoints): ${result.detail}`,
  )
  return result.ok
}
