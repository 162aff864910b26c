// Settling a dispute with only what a visitor has: two conflicting receipts (or one receipt and this
// computer's re-execution), the corpus, and whatever step traces the parties handed over. The CPU
// reference replays to the disputed step and traces it; a party whose commitment there matches the
// reference is represented by that trace (it is what an honest party must answer), the others by the
// trace they supplied. With a trace on each side, dispute() names the one operator and the party. The
// reference's trace is also what the referee judges both traces against: every operator, argument and
// input is derived here from the receipt's config, never taken from a party.
import type { Hex } from 'viem'
import { cpuBackend, type CpuTensor } from '../train/cpu.ts'
import type { Backend } from '../train/backend.ts'
import { resolveRelease, trainingBackend, type ReleaseManifest } from '../receipts/releases.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import { hashJson, type TrainingReceipt } from '../receipts/training.ts'
import { NotADisputeError } from '../errors/dispute.ts'
import { dispute, firstDivergentStep, type Evidence, type StepTrace } from './dispute.ts'
import { traceStep } from './stepTrace.ts'

export const LOCAL = 'this computer (CPU reference)'

export interface SettleInput {
  a: TrainingReceipt
  /** The other receipt; without it, this computer's re-execution of `a` is the other side. */
  b?: TrainingReceipt
  /** Traces the parties supplied (their step, and the trace), keyed by the receipt they answer for. */
  traces?: ReadonlyMap<Hex, { step: number; trace: StepTrace }>
  corpus: Uint8Array
}

export type SettleEvent =
  | { phase: 'replay'; done: number; total: number }
  | { phase: 'step'; step: number; rounds: number }
  | { phase: 'trace'; step: number }

export interface SettleResult {
  step: number
  /** Bisection rounds over the commitments (0 when found by re-executing a single receipt). */
  stepRounds: number
  /** The state after the disputed step on the CPU reference. */
  reference: Hex
  claims: { party: string; stateHash: Hex; matchesReference: boolean }[]
  evidence?: Evidence
  /** Why the operator could not be named (a missing trace, or a trace that agrees with the other). */
  note?: string
}

const commitment = (r: TrainingReceipt, step: number): Hex =>
  step === r.body.startStep ? r.body.startStateHash : r.body.stepHashes[step - r.body.startStep - 1]

/**
 * The referee's CPU reference for the receipts' kernel-library release (its frozen training kernels in
 * place: trainingBackend). Both receipts must name one release: steps of two releases differ by release,
 * not by a lie. A release this computer cannot run is refused by name (resolveRelease).
 */
export function refereeBackend(
  a: TrainingReceipt,
  b?: TrainingReceipt,
  releases?: ReleaseManifest,
): Backend<CpuTensor> {
  const release = resolveRelease(a.body.kernelsHash, releases)
  const other = b && resolveRelease(b.body.kernelsHash, releases)
  if (other && other.id !== release.id)
    throw new NotADisputeError(
      `Receipt A ran release ${release.id}, B ${other.id}: their steps differ by kernel library, not by a lie.`,
    )
  return trainingBackend(release, cpuBackend)
}

/** The party names used in results and evidence: "A (0xproducer)", "B (0x…)". */
export const partyName = (label: string, r: TrainingReceipt) => `${label} (${r.body.producer})`

export async function settle(input: SettleInput, onEvent: (e: SettleEvent) => void = () => {}) {
  const { a, b, corpus } = input
  if (hashJson(a.body.config) !== a.body.configHash)
    throw new NotADisputeError('Receipt A does not hold the config it hashes: it proves nothing.')
  const target = b ? firstDivergentStep(a, b) : null
  if (target) onEvent({ phase: 'step', step: target.index, rounds: target.rounds })
  const be = refereeBackend(a, b)
  const { step, before, reference } = await replayTo(a, corpus, target?.index, onEvent, be)
  if (!target) onEvent({ phase: 'step', step, rounds: 0 })

  onEvent({ phase: 'trace', step })
  const { trace } = await traceStep(be, before, splitCorpus(corpus, a.body.data.valFraction).train)
  return settleStep(input, { step, stepRounds: target?.rounds ?? 0 }, { trace, stateHash: reference })
}

/**
 * The decision once the referee has its own trace of the disputed step and the state it ends in
 * (`settle` replays to it; the fuzz suite caches it): whose commitment is the referee's, and, with a
 * trace from each side, the operator and the party.
 */
export async function settleStep(
  input: SettleInput,
  at: { step: number; stepRounds: number },
  ref: { trace: StepTrace; stateHash: Hex },
): Promise<SettleResult> {
  const { a, b } = input
  const { step } = at
  const { trace: refTrace, stateHash: reference } = ref
  // The local side's receipt: a's agreed commitments, then the reference's state at the disputed step.
  const local: TrainingReceipt = {
    ...a,
    body: {
      ...a.body,
      endStep: step,
      stepHashes: [...a.body.stepHashes.slice(0, step - a.body.startStep - 1), reference],
    },
  }
  const sides = [
    { party: partyName('A', a), receipt: a },
    b ? { party: partyName('B', b), receipt: b } : { party: LOCAL, receipt: local },
  ]
  const claims = sides.map((s) => {
    const stateHash = commitment(s.receipt, step)
    return { party: s.party, stateHash, matchesReference: stateHash === reference }
  })
  const result: SettleResult = { step, stepRounds: at.stepRounds, reference, claims }

  const traces = sides.map((s, i) => {
    if (s.receipt === local || claims[i].matchesReference) return refTrace
    const supplied = input.traces?.get(s.receipt.receiptHash)
    if (supplied && supplied.step !== step)
      result.note = `The trace supplied for ${s.party} is of step ${supplied.step}; the dispute is at step ${step}.`
    return supplied?.step === step ? supplied.trace : undefined
  })
  const missing = sides.filter((_, i) => !traces[i]).map((s) => s.party)
  if (result.note) return result
  if (missing.length) {
    result.note = `To name the operator, load the trace of step ${step} from ${missing.join(' and ')}.`
    return result
  }
  try {
    const parties = sides.map((s, i) => ({
      name: s.party,
      receipt: s.receipt,
      traceStep: async () => traces[i]!,
    }))
    result.evidence = await dispute(parties[0], parties[1], refTrace)
  } catch (e) {
    result.note = e instanceof Error ? e.message : String(e)
  }
  return result
}

/**
 * The referee's own trace of `step` of `r` and the state it ends in: replayed on the CPU reference from
 * the receipt's config (the commitments before `step` must be the replay's), then traced.
 */
export async function referenceStep(
  r: TrainingReceipt,
  corpus: Uint8Array,
  step: number,
): Promise<{ trace: StepTrace; stateHash: Hex }> {
  const be = refereeBackend(r)
  const { before } = await replayTo(r, corpus, step, () => {}, be)
  return traceStep(be, before, splitCorpus(corpus, r.body.data.valFraction).train)
}

/**
 * Replays `r` on the CPU reference up to the disputed step: `target` when bisection found it (the
 * steps before it must match r's commitments), else the first step whose state differs from r's.
 * Returns the checkpoint before that step and the reference state after it.
 */
async function replayTo(
  r: TrainingReceipt,
  corpus: Uint8Array,
  target: number | undefined,
  onEvent: (e: SettleEvent) => void,
  be: Backend<CpuTensor>,
): Promise<{ step: number; before: Checkpoint; reference: Hex }> {
  const b = r.body
  if (b.startStep !== 0)
    throw new NotADisputeError(`The receipt starts at step ${b.startStep}: settling needs step 0.`)
  const trainer = Trainer.create(be, b.config)
  const start = await trainer.stateHash()
  if (start !== b.startStateHash)
    throw new NotADisputeError(
      `The CPU reference starts from ${start}, the receipts from ${b.startStateHash}.`,
    )
  const { train } = splitCorpus(corpus, b.data.valFraction)
  const total = target ?? b.endStep
  for (let step = 1; step <= b.endStep; step++) {
    const before = !target || step === target ? await trainer.checkpoint() : null
    const reference = (await trainer.trainStep(train)).stateHash
    onEvent({ phase: 'replay', done: step, total })
    if (step === target || (!target && reference !== commitment(r, step)))
      return { step, before: before!, reference }
    if (reference !== commitment(r, step))
      throw new NotADisputeError(
        `At step ${step}, before the step the receipts disagree on, the CPU reference differs from ` +
          `their commitment: settle each receipt against this computer's re-execution instead.`,
      )
  }
  throw new NotADisputeError(`Not a dispute: every step of the receipt re-executes to its commitment.`)
}
