// The dispute referee under fire: an honest producer and a liar disagree about step s of a run; the liar
// hands over a trace with one lie planted in it (an operator, an argument, an input, an output, a whole
// record), or trained consistently under another config while its receipt names the agreed one. The
// referee (settleStep, with its own trace of the step cached) must name the liar and never the honest
// producer, and the evidence, re-checked, must say the same.
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { Trainer, type TrainConfig } from '../train/trainer.ts'
import { signTrainingReceipt, trainingReceiptBody, type TrainingReceipt } from '../receipts/training.ts'
import { hashJson } from '../receipts/training.ts'
import { testKeys, testProducer } from '../disputes/demo.ts'
import { TEST_TARGET as target } from '../receipts/testing.ts'
import { judgeEvidence, recomputeEvidence, type Evidence, type StepTrace } from '../disputes/dispute.ts'
import { LOCAL, partyName, referenceStep, settleStep } from '../disputes/settle.ts'
import { TracingBackend } from '../disputes/trace.ts'
import { firstDifference } from '../util/diff.ts'
import { CONFIG_LIES, plantLie, type Rng } from './lies.ts'
import type { Tally } from './tally.ts'

const liarKey = privateKeyToAccount(testKeys[1])

export interface DisputeBench {
  corpus: Uint8Array
  config: TrainConfig
  honest: TrainingReceipt
  /** The referee's own trace and end state of each step (1-based index). */
  reference: Map<number, { trace: StepTrace; stateHash: Hex }>
  /** Liars that trained consistently under another config (one field changed), their trace at the first step they part. */
  consistent: { field: string; receipt: TrainingReceipt; step: number; trace: StepTrace }[]
  /** checkEvidence's recomputation, cached by operator (the referee's own, so fixed per step and index). */
  recomputed: Map<string, Hex[]>
}

export async function disputeBench(corpus: Uint8Array, config: TrainConfig): Promise<DisputeBench> {
  const honest = (await testProducer(config, corpus, testKeys[0])).receipt
  const reference = new Map<number, { trace: StepTrace; stateHash: Hex }>()
  for (let s = 1; s <= config.steps; s++) reference.set(s, await referenceStep(honest, corpus, s))
  const bench = { corpus, config, honest, reference, consistent: [], recomputed: new Map() } as DisputeBench
  for (const [field, change] of CONFIG_LIES)
    bench.consistent.push(await consistentLiar(bench, field, change(config)))
  return bench
}

/** A liar that trains under `trained` from the agreed start and signs receipts naming the agreed config. */
async function consistentLiar(bench: DisputeBench, field: string, trained: TrainConfig) {
  const { train } = splitBy(KJV_PENTATEUCH, bench.corpus)
  const tracing = new TracingBackend(cpuBackend)
  const start = await Trainer.create(cpuBackend, bench.config).checkpoint()
  const trainer = Trainer.create(tracing, trained, { ...start, config: trained })
  const hashes: Hex[] = []
  let trace: StepTrace | null = null
  let step = 0
  for (let s = 1; s <= bench.config.steps; s++) {
    tracing.reset()
    hashes.push((await trainer.trainStep(train)).stateHash)
    if (!trace && hashes[s - 1] !== bench.honest.body.stepHashes[s - 1]) {
      trace = { records: [...tracing.records], values: new Map(tracing.values) }
      step = s
    }
  }
  if (!trace) throw new Error(`training with another ${field} changed nothing`)
  return { field, receipt: await liarReceipt(bench.honest, hashes), step, trace }
}

/** The honest receipt's body with other step hashes, signed by the liar: it claims the agreed config. */
async function liarReceipt(honest: TrainingReceipt, stepHashes: Hex[]): Promise<TrainingReceipt> {
  const { configHash: _c, stepsRoot: _s, endStateHash: _e, ...rest } = honest.body
  void [_c, _s, _e]
  const body = trainingReceiptBody({ ...rest, runId: 'liar', stepHashes, producer: liarKey.address })
  return signTrainingReceipt(body, liarKey, target)
}

const fakeHash = (r: Rng): Hex =>
  `0x${Array.from({ length: 64 }, () => '0123456789abcdef'[r.int(16)]).join('')}` as Hex

/** Liar receipts per disputed step, made once: they commit to a made-up state at that step. */
const liarReceipts = new WeakMap<DisputeBench, Map<number, TrainingReceipt>>()

async function liarAt(bench: DisputeBench, step: number, r: Rng): Promise<TrainingReceipt> {
  let byStep = liarReceipts.get(bench)
  if (!byStep) liarReceipts.set(bench, (byStep = new Map()))
  let receipt = byStep.get(step)
  if (!receipt) {
    const hashes = bench.honest.body.stepHashes.map((h, i) => (i + 1 < step ? h : fakeHash(r)))
    byStep.set(step, (receipt = await liarReceipt(bench.honest, hashes)))
  }
  return receipt
}

/** One case: the liar's trace of the disputed step, judged; the outcome tallied. */
async function judge(
  bench: DisputeBench,
  tally: Tally,
  kind: string,
  path: string,
  liar: TrainingReceipt,
  step: number,
  trace: StepTrace,
  r: Rng,
): Promise<void> {
  tally.count('dispute', kind)
  const alone = r.int(4) === 0 // one receipt against this computer's re-execution
  const liarFirst = alone || r.int(2) === 0
  const [a, b] = alone ? [liar, undefined] : liarFirst ? [liar, bench.honest] : [bench.honest, liar]
  const names = {
    liar: partyName(liarFirst ? 'A' : 'B', liar),
    honest: alone ? LOCAL : partyName(liarFirst ? 'B' : 'A', bench.honest),
  }
  const miss = (detail: string) => ({ arena: 'dispute', kind, path, detail })
  const result = await settleStep(
    { a, b, corpus: bench.corpus, traces: new Map([[liar.receiptHash, { step, trace }]]) },
    { step, stepRounds: 0 },
    bench.reference.get(step)!,
  )
  const claimed = (party: string) => result.claims.find((c) => c.party === party)
  if (claimed(names.honest)?.matchesReference === false)
    tally.convicted(miss('its commitment was called wrong'))
  if (claimed(names.liar)?.matchesReference !== false) tally.missed(miss('its commitment was accepted'))
  const e = result.evidence
  if (!e) {
    // No operator departs from the referee's: then the lie must be outside the records (tensor values).
    if (firstDifference(bench.reference.get(step)!.trace.records, trace.records))
      tally.missed(miss(`no evidence: ${result.note}`))
    return
  }
  if (e.wrong.includes(names.honest)) tally.convicted(miss(`evidence names it (op ${e.opIndex})`))
  if (!e.wrong.includes(names.liar)) tally.missed(miss(`evidence misses it (op ${e.opIndex} ${e.op.name})`))
  const rechecked = judgeEvidence(e, await recomputed(bench, e))
  if (rechecked.join() !== e.wrong.join())
    tally.missed(miss(`checkEvidence says ${rechecked}, evidence ${e.wrong}`))
}

async function recomputed(bench: DisputeBench, e: Evidence): Promise<Hex[]> {
  const key = hashJson({ step: e.step, op: e.op })
  let out = bench.recomputed.get(key)
  if (!out) bench.recomputed.set(key, (out = await recomputeEvidence(e, cpuBackend)))
  return out
}

/** `n` cases: lies planted in the records of a trace, then the consistent liars in both seats. */
export async function disputeCases(bench: DisputeBench, tally: Tally, n: number, r: Rng): Promise<void> {
  for (const c of bench.consistent)
    for (let i = 0; i < 4; i++)
      await judge(bench, tally, `config.${c.field}`, c.field, c.receipt, c.step, c.trace, r)
  const steps = [...bench.reference.keys()]
  for (let i = 0; i < n; i++) {
    const step = r.pick(steps)
    const ref = bench.reference.get(step)!.trace
    const liar = await liarAt(bench, step, r)
    if (r.int(20) === 0) {
      // A lie in a tensor value only: the referee never reads a party's values, so it cannot matter.
      const values = new Map(ref.values)
      const [h, v] = [...values][r.int(values.size)]
      const data = v.data.slice()
      data[r.int(data.length)] += 1
      values.set(h, { shape: v.shape, data })
      await judge(
        bench,
        tally,
        'value',
        `values[${h.slice(0, 10)}]`,
        liar,
        step,
        { records: ref.records, values },
        r,
      )
      continue
    }
    // One lie in ten reshapes the record list itself (a record dropped, duplicated or added).
    const whole = r.int(10) === 0
    const lie = plantLie({ records: ref.records }, r, whole ? (p) => p === 'records' : undefined)
    const kind = lieKind(lie.path)
    await judge(
      bench,
      tally,
      kind,
      `${lie.path} (${lie.how})`,
      liar,
      step,
      { records: lie.value.records, values: ref.values },
      r,
    )
  }
}

/** The kind of place a path names: records (whole entries), op, args, inputs, outputs, index. */
function lieKind(path: string): string {
  const m = /^records(?:\[\d+\])?(?:\.(\w+))?/.exec(path)
  return m?.[1] ? `trace.${m[1]}` : path === 'records' ? 'trace.records' : 'trace.entry'
}
