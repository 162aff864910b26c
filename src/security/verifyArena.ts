// Training-receipt verify under fire: a third party tampers with an honest receipt (any field, not
// re-signed), or the producer lies and re-signs (a config field, the data, a commitment, the start, the
// kernels, the step range), or publishes lying checkpoints for a spot check (a header field, tensors, the
// start weights of another seed). Verify (validate, then re-execution) must refuse each, and pass the
// honest receipt every time. Re-executions are cached per (config, data split, start): a replay stops at
// its first differing step, and that step is what the cache holds; the real replay cross-checks the
// cache once per distinct computation.
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend } from '../train/cpu.ts'
import { splitCorpus } from '../train/data.ts'
import { KJV_PENTATEUCH, receiptData, splitBy } from '../train/corpus.ts'
import { Trainer, checkTrainConfig, type Checkpoint, type TrainConfig } from '../train/trainer.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import { replayTrainingReceipt, spotCheckTrainingReceipt } from '../receipts/replay.ts'
import {
  hashJson,
  signTrainingReceipt,
  trainingReceiptBody,
  type TrainingReceipt,
  type TrainingReceiptBody,
} from '../receipts/training.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { sha256Hex } from '../util/hash.ts'
import { testKeys } from '../disputes/demo.ts'
import { TEST_TARGET as target } from '../receipts/testing.ts'
import { plantLie, type Rng } from './lies.ts'
import type { Tally } from './tally.ts'

const producer = privateKeyToAccount(testKeys[0])

export interface VerifyBench {
  corpus: Uint8Array
  honest: TrainingReceipt
  checkpoints: Checkpoint[]
  /** Replayed state hashes per computation (start, then each step until the first that differs). */
  replays: Map<Hex, Promise<Trajectory>>
  /** Computations whose cached verdict the real replay has confirmed. */
  confirmed: Set<Hex>
}

export async function verifyBench(corpus: Uint8Array, config: TrainConfig): Promise<VerifyBench> {
  const trainer = Trainer.create(cpuBackend, config)
  const checkpoints = [structuredClone(await trainer.checkpoint())]
  const startStateHash = await trainer.stateHash()
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  const stepHashes: Hex[] = []
  for (let s = 1; s <= config.steps; s++) {
    stepHashes.push((await trainer.trainStep(train)).stateHash)
    checkpoints.push(structuredClone(await trainer.checkpoint()))
  }
  const body = trainingReceiptBody({
    runId: 'honest',
    config,
    data: { ...receiptData(KJV_PENTATEUCH), sha256: await sha256Hex(corpus) },
    startStep: 0,
    endStep: config.steps,
    startStateHash,
    stepHashes,
    kernelsHash: kernelsHash(),
    producer: producer.address,
  })
  const honest = await signTrainingReceipt(body, producer, target)
  return { corpus, honest, checkpoints, replays: new Map(), confirmed: new Set() }
}

/** A computation's replay, extended only as far as a receipt's commitments keep matching. */
interface Trajectory {
  hashes: Hex[]
  next(): Promise<void>
}

/** The replay of `b`'s computation (its config and split, from its config's seed) up to its first differing step. */
async function replayed(bench: VerifyBench, b: TrainingReceiptBody): Promise<Hex[]> {
  const key = hashJson({ c: b.config, v: b.data.valFraction })
  let run = bench.replays.get(key)
  if (!run) {
    run = (async () => {
      checkTrainConfig(b.config)
      const t = Trainer.create(cpuBackend, b.config)
      const { train } = splitCorpus(bench.corpus, b.data.valFraction)
      const hashes = [await t.stateHash()]
      return { hashes, next: async () => void hashes.push((await t.trainStep(train)).stateHash) }
    })()
    bench.replays.set(key, run)
  }
  const trajectory = await run
  const committed = [b.startStateHash, ...b.stepHashes]
  for (let i = 0; i < committed.length; i++) {
    while (trajectory.hashes.length <= i) await trajectory.next()
    if (trajectory.hashes[i] !== committed[i]) break
  }
  return trajectory.hashes
}

/** Verify as the CLI runs it without --checkpoints: validate, then re-execute. True when it passes. */
async function verifies(bench: VerifyBench, r: TrainingReceipt): Promise<boolean> {
  const failed = (await validateTrainingReceipt(r, target)).filter((c) => !c.ok)
  if (failed.length) return false
  const b = r.body
  if (b.data.sha256 !== bench.honest.body.data.sha256 || b.startStep !== 0) return false // replay refuses both
  let cached: boolean
  try {
    const hashes = await replayed(bench, b)
    cached = [b.startStateHash, ...b.stepHashes].every((h, i) => h === hashes[i])
  } catch {
    cached = false // an unrunnable config: the replay throws, and verify fails
  }
  const key = hashJson({ c: b.config, v: b.data.valFraction, ok: cached })
  if (!bench.confirmed.has(key) && bench.confirmed.size < 8) {
    bench.confirmed.add(key)
    const real = await replayTrainingReceipt(r, cpuBackend, bench.corpus).then(
      (x) => x.ok,
      () => false,
    )
    if (real !== cached) throw new Error(`the replay cache disagrees with the real replay (${real})`)
  }
  return cached
}

/** Fields that are labels, not claims about the computation: a producer may sign any value. */
const LABELS = /^(runId|data\.name|producer)$/

/** Lies a producer signs: a config field, the data, a commitment, the start, the kernels, the range. */
const CLAIMS = /^(config\.|data\.|startStep$|endStep$|startStateHash$|stepHashes\[|kernelsHash$)/

async function resigned(body: TrainingReceiptBody): Promise<TrainingReceipt> {
  const { configHash: _c, stepsRoot: _s, endStateHash: _e, ...rest } = body
  void [_c, _s, _e]
  return signTrainingReceipt(trainingReceiptBody(rest), producer, target)
}

export async function verifyCases(bench: VerifyBench, tally: Tally, n: number, r: Rng): Promise<void> {
  const { honest } = bench
  const miss = (kind: string, path: string, detail: string) => ({ arena: 'verify', kind, path, detail })
  for (let i = 0; i < 4; i++) {
    tally.count('verify', 'honest')
    if (!(await verifies(bench, honest))) tally.convicted(miss('honest', '', 'the honest receipt failed'))
  }
  await spotCases(bench, tally, r)
  // Config lies come from a pool (each one a computation to replay); every case re-signs and verifies.
  const pool = Array.from({ length: 24 }, () =>
    plantLie(honest.body, r, (p) => /^(config\.|data\.valFraction)/.test(p)),
  )
  for (let i = 0; i < n; i++) {
    if (r.int(2) === 0) {
      const lie = plantLie(honest, r)
      tally.count('verify', `tamper.${lie.path.split(/[.[]/)[0]}`)
      if (await verifies(bench, lie.value))
        tally.missed(miss('tamper', `${lie.path} (${lie.how})`, 'it verified'))
      continue
    }
    const lie =
      r.int(3) === 0 ? r.pick(pool) : plantLie(honest.body, r, (p) => CLAIMS.test(p) && !LABELS.test(p))
    const kind = `resigned.${lie.path.split(/[.[]/)[0]}`
    if (sameSplit(bench, lie.value)) {
      // A valFraction a hair off cuts the corpus at the same byte: the same computation, no lie.
      tally.refused('verify', 'resigned.data.valFraction (no effect: not a lie)')
      continue
    }
    tally.count('verify', kind)
    let receipt: TrainingReceipt
    try {
      receipt = await resigned(lie.value)
    } catch {
      continue // a body that cannot even be hashed and signed is no receipt
    }
    if (await verifies(bench, receipt)) tally.missed(miss(kind, `${lie.path} (${lie.how})`, 'it verified'))
  }
}

/** Spot checks from published checkpoints: honest ones pass, each lying one is refused. */
async function spotCases(bench: VerifyBench, tally: Tally, r: Rng): Promise<void> {
  const { honest, checkpoints, corpus } = bench
  const spot = (receipt: TrainingReceipt, at: (s: number) => Checkpoint, seed: Hex) =>
    spotCheckTrainingReceipt(receipt, cpuBackend, corpus, async (s) => at(s), { k: 1, seed })
  const seeds = ['0x01', '0x02', '0x03'] as const
  for (const seed of seeds) {
    tally.count('verify', 'spot.honest')
    if (!(await spot(honest, (s) => checkpoints[s], seed)).ok)
      tally.convicted({ arena: 'verify', kind: 'spot.honest', path: seed, detail: 'refused' })
  }
  // Each checkpoint's header, one config field at a time, and its tensors: refused when used.
  const fields = Object.keys(honest.body.config).filter((k) => k !== 'model')
  for (const field of [...fields, 'model.dModel', 'tensors', 'step']) {
    const seed = r.pick(seeds)
    const drawn = (await spot(honest, (s) => checkpoints[s], seed)).sampled[0]
    const lie = structuredClone(checkpoints[drawn - 1])
    if (field === 'tensors') lie.tensors[r.int(lie.tensors.length)].data[0] += 1e-3
    else if (field === 'step') lie.step += drawn > 1 ? -1 : 1
    else plantLieInto(lie, field, r)
    tally.count('verify', `spot.checkpoint.${field}`)
    const res = await spot(honest, (s) => (s === drawn - 1 ? lie : checkpoints[s]), seed)
    if (res.ok) tally.missed({ arena: 'verify', kind: 'spot.checkpoint', path: field, detail: res.detail })
  }
  // Finding 3: trained from another seed's weights while the config names seed 1.
  const other = await Trainer.create(cpuBackend, { ...honest.body.config, seed: 2 }).checkpoint()
  const t = Trainer.create(cpuBackend, honest.body.config, { ...other, config: honest.body.config })
  const fake = [structuredClone(await t.checkpoint())]
  const start = await t.stateHash()
  const hashes: Hex[] = []
  const { train } = splitBy(KJV_PENTATEUCH, corpus)
  for (let s = 1; s <= honest.body.endStep; s++) {
    hashes.push((await t.trainStep(train)).stateHash)
    fake.push(structuredClone(await t.checkpoint()))
  }
  const receipt = await resigned({ ...honest.body, startStateHash: start, stepHashes: hashes })
  for (const seed of seeds) {
    tally.count('verify', 'spot.startSeed')
    const res = await spot(receipt, (s) => fake[s], seed)
    if (res.ok) tally.missed({ arena: 'verify', kind: 'spot.startSeed', path: seed, detail: res.detail })
  }
}

/** A checkpoint header with `field` (a config path) changed. */
function plantLieInto(c: Checkpoint, field: string, r: Rng): void {
  const lie = plantLie(c.config, r, (p) => p === field)
  c.config = lie.value
}

/** Whether `b` differs from the honest body only in a valFraction that splits the corpus identically. */
function sameSplit(bench: VerifyBench, b: TrainingReceiptBody): boolean {
  const h = bench.honest.body
  if (b.data.valFraction === h.data.valFraction) return false
  if (hashJson({ ...b, data: { ...b.data, valFraction: h.data.valFraction } }) !== hashJson(h)) return false
  const cut = (v: number) => splitCorpus(bench.corpus, v).train.length
  return typeof b.data.valFraction === 'number' && cut(b.data.valFraction) === cut(h.data.valFraction)
}
