// One round of one producer and its checkers without a network: the blobs in a map, the compute on the
// CPU reference. For tests of the judge (verify.ts) and the adversarial fuzz suite (src/security/).
import type { Hex } from 'viem'
import { kernelsHash } from '../../receipts/kernels.ts'
import { signTrainingReceipt, trainingReceiptBody } from '../../receipts/training.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { cpuCompute, swarmParams, testSigner } from '../sim/swarm.ts'
import { checkpointHash, decodeCheckpoint, encodeCheckpoint } from './codec.ts'
import type { SwarmCompute, TrainOutput } from './compute.ts'
import type { Commit } from './messages.ts'
import { batchSeed, roundConfig, runId, type SwarmParams } from './params.ts'
import type { VerifyContext } from './verify.ts'

export interface JudgeBench {
  params: SwarmParams
  compute: SwarmCompute
  /** The round-0 model every peer starts from. */
  model: Checkpoint
  blobs: Map<Hex, Uint8Array>
  /** A peer's view: peer i signs with testSigner(i); blobs are shared (content-addressed). */
  context(i: number): VerifyContext
  /** Keeps a checkpoint's bytes as given (any header): its blob hash. */
  keep(c: Checkpoint): Hex
}

export async function judgeBench(
  corpus: Uint8Array,
  overrides: Partial<SwarmParams> = {},
): Promise<JudgeBench> {
  const params = await swarmParams(corpus, overrides)
  const compute = cpuCompute(corpus, params)
  const blobs = new Map<Hex, Uint8Array>()
  const keep = (c: Checkpoint) => {
    const bytes = encodeCheckpoint(c)
    const hash = checkpointHash(bytes)
    blobs.set(hash, bytes)
    return hash
  }
  const model = await compute.initial(params.config)
  return {
    params,
    compute,
    model,
    blobs,
    keep,
    context: (i) => ({
      params,
      compute,
      signer: testSigner(i),
      keep,
      async fetchCheckpoint(hash) {
        const bytes = blobs.get(hash)
        if (!bytes) throw new Error(`no blob ${hash}`)
        return decodeCheckpoint(bytes, 1 << 24)
      },
    }),
  }
}

/** `peer`'s signed round-0 commit of `out` (trained from the bench's model): checkpoints kept as they are. */
export async function commitOf(
  bench: JudgeBench,
  peer: string,
  signer: number,
  out: TrainOutput,
): Promise<Commit> {
  const { params: p, model } = bench
  const account = testSigner(signer)
  const body = trainingReceiptBody({
    runId: runId(p, 0, peer),
    config: roundConfig(p, 0, peer),
    data: { ...p.data, split: 'train' },
    startStep: 0,
    endStep: p.stepsPerRound,
    startStateHash: stateHash(model.step, model.tensors),
    stepHashes: out.stepHashes,
    kernelsHash: kernelsHash(),
    producer: account.address,
  })
  const receipt = await signTrainingReceipt(body, account, p.target)
  return {
    type: 'commit',
    round: 0,
    start: body.startStateHash,
    receipt,
    checkpoints: out.checkpoints.map((c) => bench.keep(c)),
    loss: out.losses.reduce((a, b) => a + b, 0) / out.losses.length, // as round.ts reports it
    seq: 1,
  }
}

/** `peer`'s honest round-0 training: H steps from the model under its round config. */
export function honestRun(bench: JudgeBench, peer: string): Promise<TrainOutput> {
  return bench.compute.train(
    { ...bench.model, config: roundConfig(bench.params, 0, peer) },
    batchSeed(bench.params, 0, peer),
    bench.params.stepsPerRound,
  )
}
