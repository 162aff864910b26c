// The dispute game's program and initial state built from a real training step's operator trace
// (stepTrace.ts), instead of a hand-written toy: one COPY slot per state tensor, one INPUT slot per
// tensor of the step's data, then one slot per traced output, each reading the earlier slots that hold
// its inputs. docs/disputes.md, "From a training step to a game program".
import type { Hex } from 'viem'
import { lrSchedule } from '../kernels/schedule.ts'
import { f32Bits, f32FromBits } from '../kernels/softfloat.ts'
import { sampleBatch } from '../train/data.ts'
import type { TrainConfig } from '../train/trainer.ts'
import type { NamedTensor } from '../train/state.ts'
import { GameProgramError } from '../errors/dispute.ts'
import type { StepTrace } from './dispute.ts'
import { tensorHash, type OpRecord } from './trace.ts'
import {
  COPY,
  EMBED,
  INPUT,
  MOVE,
  inputSlots,
  operandsOf,
  outputCount,
  runSlot,
  type Spec,
} from './gameOps.ts'
import { NORM_CHUNK, normSlots } from './gameNorm.ts'
import {
  EPILOGUE_FLAGS,
  ONCHAIN_GRAD_OPS as GRAD,
  ONCHAIN_NORM_OPS as NORM,
  ONCHAIN_OPS as OP,
  ONCHAIN_ROW_OPS as ROW,
} from './onchain.ts'

/**
 * How gameOfStep lays out the gradient norm (the trainer's clip, its `clip`, default 1, and the chunk) and
 * AdamW's learning rate: the trainer's schedule (its `lr` as the peak, `warmup`, `steps` as the total and
 * `minLr`), which the contract evaluates at each step, or, without one, the traced step's rate as a constant
 * (right for that step only).
 */
export interface GameOptions {
  maxNorm?: number
  chunk?: number
  schedule?: { peak: number; warmup: number; total: number; min: number }
  /**
   * The state is read, never updated (an inference: no AdamW in the trace): state slot i's COPY reads leaf
   * i of the initial tree, and the program is for one step.
   */
  frozen?: boolean
}

/** A trainer config's schedule, as gameOfStep takes it. */
export const scheduleOf = (c: { lr: number; warmup: number; steps: number; minLr: number }) => ({
  peak: c.lr,
  warmup: c.warmup,
  total: c.steps,
  min: c.minLr,
})

/** The causal flag of a softmax slot (19 and 28): the engine's attention softmax and its backward. */
const CAUSAL = 1

export interface DataSlot {
  slot: number
  /** `ids:<table>` for an embedding's ids (tokens into wte, positions into wpe), `targets` for the loss's. */
  role: string
}

export interface PendingSlot {
  slot: number
  kind: number
  why: string
}

export interface StepGame {
  program: Spec[]
  /** The tensor each input slot (COPY, INPUT) reads at the game's step 1, by slot: runProgram's `initial`. */
  initial: Uint32Array[]
  /** Every slot's tensor in the traced step. */
  bits: Uint32Array[]
  /** The first slot that holds each traced tensor (by hash; a value several slots hold maps to the first). */
  slotOf: Map<Hex, number>
  /** The state tensors' COPY slots are 0 .. stateSlots − 1, in the checkpoint's canonical order. */
  stateSlots: number
  /** The INPUT slots, after the state. */
  data: DataSlot[]
  /** Slots no record holds, computed here: cross-entropy's per-row losses, layernorm's dyXhat, the gradient norm. */
  derived: number[]
  /** Slots the game cannot resolve yet, and why. */
  pending: PendingSlot[]
}

const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)
/** A tensor's content, whatever its shape: how a view of a slot's tensor finds the slot. */
const contentKey = (data: Float32Array) => tensorHash({ shape: [data.length], data })
const bitsOf = (x: number) => f32Bits(Math.fround(x))

/**
 * Slots a record adds before its outputs' (cross-entropy's per-row losses; layernorm's backward's dyXhat,
 * whose column sums are its dgamma; the gradient norm's tree, whose clip slot is the record's output, and
 * the clipped gradients after it), then one per output.
 */
function extraSlots(r: OpRecord, trace: StepTrace, chunk: number): number {
  if (r.op === 'crossEntropy' || r.op === 'layernormGrad') return 1
  if (r.op !== 'gradNorm') return 0
  return (
    normSlots(
      gradsOf(
        r,
        trace,
        r.inputs.map(() => 0),
      ),
      0,
      1,
      chunk,
    ).specs.length - 1
  )
}

/** A gradNorm record's gradients as the norm's slots take them. */
function gradsOf(r: OpRecord, trace: StepTrace, slots: number[]) {
  return r.inputs.map((h, i) => {
    const [m, n] = rowsCols(trace.values.get(h)!.shape)
    return { slot: slots[i], m, n }
  })
}

interface Wiring {
  /** Per record, the slot of each input. */
  inputs: number[][]
  data: DataSlot[]
  /** Per record, the INPUT slot of its ids, if it has any. */
  ids: (number | undefined)[]
}

/** The ids a record carries in its args, if any: an embedding's (and its gradient's) or the loss's targets. */
function idsOf(r: OpRecord): number[] | undefined {
  if (['embedding', 'embeddingGrad', 'crossEntropy', 'crossEntropyGrad'].includes(r.op))
    return r.args[0] as number[]
  return undefined
}

/**
 * Which slot holds each record's inputs: the one slot whose tensor has its content (a view shares its
 * tensor's content under another shape). Content, not identity, is all a trace records, so two slots
 * holding the same bits (a fresh checkpoint's zero biases and zero m and v) leave the wiring ambiguous,
 * and this refuses it by name: trace a probe (`probeState`) for the wiring instead.
 */
function wire(trace: StepTrace, state: readonly NamedTensor[], chunk: number): Wiring {
  const bySlot = new Map<Hex, number[]>()
  const hold = (data: Float32Array, slot: number) => {
    const key = contentKey(data)
    bySlot.set(key, [...(bySlot.get(key) ?? []), slot])
  }
  state.forEach((t, i) => hold(t.data, i))
  const value = (r: OpRecord, h: Hex) => {
    const v = trace.values.get(h)
    if (!v) throw new GameProgramError(`Operator ${r.index} (${r.op}): no value for input ${h}.`)
    return v
  }
  const slotOf = (r: OpRecord, h: Hex) => {
    const found = bySlot.get(contentKey(value(r, h).data)) ?? []
    if (found.length !== 1)
      throw new GameProgramError(
        `Operator ${r.index} (${r.op}): ${found.length ? `slots ${found.join(', ')} all hold` : 'no earlier slot holds'} input ${h}.`,
      )
    return found[0]
  }
  // The data slots first (they precede every op slot): one per distinct ids, named by their use.
  const data: DataSlot[] = []
  const dataKeys = new Map<string, number>()
  const ids: (number | undefined)[] = []
  for (const r of trace.records) {
    const list = idsOf(r)
    if (!list) continue
    const key = `${r.op.startsWith('crossEntropy') ? 't' : 'i'}:${list.join(',')}`
    // An embedding's ids are named by its table (tokens into wte, positions into wpe); its gradient's
    // are the same ids, found by content; the loss's are the targets.
    const table = r.op === 'embedding' ? state[slotOf(r, r.inputs[0])] : undefined
    if (r.op === 'embedding' && !table)
      throw new GameProgramError(`Operator ${r.index}: an embedding of a table that is not state.`)
    const role = table ? `ids:${table.name}` : r.op === 'embeddingGrad' ? undefined : 'targets'
    const known = dataKeys.get(key)
    if (known !== undefined && role && data[known - state.length].role !== role)
      throw new GameProgramError(
        `Operator ${r.index}: the same ids are ${role} and ${data[known - state.length].role}.`,
      )
    if (known === undefined) {
      if (!role) throw new GameProgramError(`Operator ${r.index}: ids no embedding read.`)
      if (data.some((d) => d.role === role))
        throw new GameProgramError(`Operator ${r.index}: a second ${role} in one step.`)
      dataKeys.set(key, state.length + data.length)
      data.push({ slot: state.length + data.length, role })
    }
    ids[r.index] = dataKeys.get(key)
  }
  let next = state.length + data.length
  const inputs: number[][] = []
  for (const r of trace.records) {
    inputs.push(r.inputs.map((h) => slotOf(r, h)))
    next += extraSlots(r, trace, chunk)
    for (const h of r.outputs) {
      const v = trace.values.get(h)
      if (v) hold(v.data, next) // the gradient norm, a number, has no tensor
      next++
    }
  }
  return { inputs, data, ids }
}

/**
 * The game of one traced step: its program, the tensors its input slots read at step 1, and every slot's
 * tensor. `state` is the checkpoint the step started from (parameters, then m and v). The wiring comes
 * from `probe` (the same step traced from a state whose tensors all differ: `probeState`) where given,
 * else from `trace` itself, which must then hold no two slots with the same content.
 */
export function gameOfStep(
  trace: StepTrace,
  state: readonly NamedTensor[],
  probe?: { trace: StepTrace; state: readonly NamedTensor[] },
  { maxNorm = 1, chunk = NORM_CHUNK, schedule, frozen = false }: GameOptions = {},
): StepGame {
  if (probe) sameStructure(trace, probe.trace)
  const wiring = wire(probe?.trace ?? trace, probe?.state ?? state, chunk)
  /** Each gradient's clipped slot, which AdamW reads with gradScale 1 (set by the gradNorm record). */
  const clipped = new Map<number, number>()
  const program: Spec[] = []
  const bits: Uint32Array[] = []
  const slotOf = new Map<Hex, number>()
  const derived: number[] = []
  const pending: PendingSlot[] = []
  const shapeOf = (h: Hex) => trace.values.get(h)!.shape
  const spec = (kind: number, m: number, k: number, n: number, slots: number[], consts: number[] = []) => {
    const [a = 0, b = 0, c = 0, d = 0] = slots
    return { kind, a, b, c, d, m, k, n, consts }
  }
  /** A slot whose output is `shape` as rows × columns (no k). */
  const mn = (kind: number, shape: readonly number[], slots: number[], consts: number[] = []) => {
    const [m, n] = rowsCols(shape)
    return spec(kind, m, 0, n, slots, consts)
  }
  const add = (s: Spec, value: Uint32Array | undefined, hash?: Hex, why?: string) => {
    const slot = program.length
    program.push(s)
    bits.push(
      value ??
        runSlot(
          s,
          inputSlots(s).map((i) => bits[i]),
          1,
        ),
    )
    if (!value) derived.push(slot)
    if (hash && !slotOf.has(hash)) slotOf.set(hash, slot)
    if (why) pending.push({ slot, kind: s.kind, why })
  }
  // The state, copied from the slot of the AdamW output that updates it (set once those slots exist).
  for (const t of state)
    add(mn(COPY, t.shape, []), u32(t.data), tensorHash({ shape: [...t.shape], data: t.data }))
  for (const d of wiring.data) {
    const r = trace.records[wiring.ids.indexOf(d.slot)]
    add(spec(INPUT, idsOf(r)!.length, 0, 1, []), Uint32Array.from(idsOf(r)!))
  }
  for (const r of trace.records) {
    const ins = wiring.inputs[r.index]
    const out = (i: number) => {
      const v = trace.values.get(r.outputs[i])
      return v && u32(v.data)
    }
    const emit = (s: Spec, i: number, why?: string) => add(s, out(i), r.outputs[i], why)
    const outShape = (i: number) => shapeOf(r.outputs[i])
    const elementwise = (kind: number, consts: number[] = []) => emit(mn(kind, outShape(0), ins, consts), 0)
    const ids = wiring.ids[r.index]!
    switch (r.op) {
      case 'add':
        elementwise(OP.add)
        break
      case 'gelu': // the engine's GELU is the tanh form (ops/gelu.ts)
        elementwise(OP.geluTanh)
        break
      case 'geluGrad':
        elementwise(GRAD.geluTanhGrad)
        break
      case 'scale':
        elementwise(GRAD.scale, [bitsOf(r.args[0] as number)])
        break
      case 'matmul':
      case 'matmulEpilogue': {
        const t = (r.args[0] ?? {}) as { transA?: boolean; transB?: boolean }
        const [aShape, bShape] = [shapeOf(r.inputs[0]), shapeOf(r.inputs[1])]
        const batch = (s: readonly number[]) => (s.length === 3 ? s[0] : 1)
        const [m, k] = t.transA ? aShape.slice(-2).reverse() : aShape.slice(-2)
        const n = t.transB ? bShape.at(-2)! : bShape.at(-1)!
        const lanes = [batch(aShape), batch(bShape), t.transA ? 1 : 0, t.transB ? 1 : 0]
        if (r.op === 'matmul') {
          const plain = lanes.join() === '1,1,0,0'
          emit(spec(OP.matmul, m, k, n, ins, plain ? [] : lanes), 0)
          break
        }
        const e = r.args[1] as { scale?: number; bias: boolean; residual: boolean }
        const flags =
          (e.scale === undefined ? 0 : EPILOGUE_FLAGS.scale) |
          (e.bias ? EPILOGUE_FLAGS.bias : 0) |
          (e.residual ? EPILOGUE_FLAGS.residual : 0)
        // Inputs A, B, then the bias and the residual where present: the bias in c, the residual in d.
        const [bias, residual] = e.bias ? [ins[2], ins[3]] : [0, ins[2]]
        const scale = e.scale === undefined ? 0 : bitsOf(e.scale)
        emit(
          spec(GRAD.matmulEpilogue, m, k, n, [ins[0], ins[1], bias, residual ?? 0], [flags, scale, ...lanes]),
          0,
        )
        break
      }
      case 'columnSums': {
        const [rows, cols] = rowsCols(shapeOf(r.inputs[0]))
        emit(spec(OP.sum, 1, rows, cols, ins, [0]), 0)
        break
      }
      case 'permute': {
        const dims = shapeOf(r.inputs[0])
        const order = r.args[0] as number[]
        emit(mn(MOVE.permute, outShape(0), ins, [dims.length, ...dims, ...order]), 0)
        break
      }
      case 'split':
        r.outputs.forEach((_, i) => {
          const part = size(outShape(i))
          emit(mn(MOVE.slice, outShape(i), ins, [i * part]), i)
        })
        break
      case 'concat': {
        if (ins.length > 4)
          throw new GameProgramError(`Operator ${r.index}: a concat of ${ins.length} inputs.`)
        const lengths = r.inputs.map((h) => size(shapeOf(h)))
        emit(mn(MOVE.concat, outShape(0), ins, lengths), 0)
        break
      }
      case 'softmaxCausal':
        emit(mn(OP.softmax, outShape(0), ins, [CAUSAL]), 0)
        break
      case 'softmaxCausalGrad':
        emit(mn(ROW.softmaxGrad, outShape(0), ins, [CAUSAL]), 0)
        break
      case 'layernorm': {
        const [rows, n] = rowsCols(outShape(0))
        const eps = [bitsOf(1e-5)] // layernormRef's default, which the engine's layernorm takes
        emit(spec(OP.layernorm, rows, 0, n, ins, eps), 0)
        emit(spec(NORM.layernormMean, rows, n, 1, [ins[0]], eps), 1)
        emit(spec(NORM.layernormStd, rows, n, 1, [ins[0]], eps), 2)
        break
      }
      case 'layernormGrad': {
        // Inputs x, gamma, the forward's mean and std, dy; the game's dx reads x, dy, gamma, std. dgamma is
        // the column sums of the backward's dyXhat (an element of 30 reads all of x, past a transaction at
        // a real step's shapes): dyXhat first, a slot of its own (extraSlots), then the three outputs.
        const [x, gamma, , std, dy] = ins
        const [rows, n] = rowsCols(shapeOf(r.inputs[0]))
        add(spec(ROW.layernormDyXhat, rows, 0, n, [x, dy, std]), undefined)
        const dyXhat = program.length - 1
        emit(spec(ROW.layernormGrad, rows, 0, n, [x, dy, gamma, std]), 0)
        emit(spec(OP.sum, 1, rows, n, [dyXhat], [0]), 1)
        emit(spec(ROW.layernormDbeta, 1, rows, n, [dy]), 2)
        break
      }
      case 'crossEntropy': {
        // The record is the mean loss: the per-row losses as a slot of their own, then their mean.
        const [rows, vocab] = rowsCols(shapeOf(r.inputs[0]))
        add(spec(ROW.crossEntropy, rows, vocab, 1, [ins[0], ids]), undefined)
        emit(spec(OP.mean, 1, rows, 1, [program.length - 1], [1]), 0)
        break
      }
      case 'crossEntropyGrad':
        emit(mn(ROW.crossEntropyGrad, outShape(0), [ins[0], ids]), 0)
        break
      case 'embedding': {
        const [vocab, dim] = shapeOf(r.inputs[0])
        const tokens = idsOf(r)!.length
        emit(spec(EMBED.embedding, tokens, vocab, dim, [ids, ins[0]]), 0)
        break
      }
      case 'embeddingGrad': {
        const [vocab, dim] = outShape(0)
        const tokens = idsOf(r)!.length
        emit(spec(EMBED.embeddingGrad, vocab, tokens, dim, [ids, ins[0]]), 0)
        break
      }
      case 'gradNorm': {
        // A number, not a tensor: the trace keeps its hash alone, so the slots are computed here (the
        // clip slot's element 0 is the norm, element 1 the clip scale AdamW's gradients are scaled by).
        const norm = normSlots(gradsOf(r, trace, ins), program.length, maxNorm, chunk)
        for (const s of norm.specs) add(s, undefined)
        ins.forEach((g, i) => clipped.set(g, norm.clipped[i]))
        break
      }
      case 'adamw': {
        // Three slots, the new p, m and v; the config, the step and gradScale are the program's constants.
        // With a gradient norm in the program, AdamW reads its clipped gradient with gradScale 1, and the
        // clip scale the trainer took must be the program's (else the program's maxNorm is not its clip).
        const h = r.args[0] as Record<string, number>
        const grad = clipped.get(ins[1])
        if (grad !== undefined) {
          const scale = bits[program[grad].b][1]
          if (scale !== bitsOf(h.gradScale))
            throw new GameProgramError(
              `Operator ${r.index}: the trainer scaled by ${h.gradScale}, the program's clip by ${f32FromBits(scale)}: pass the trainer's clip as maxNorm.`,
            )
        }
        const config = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'].map((name) => bitsOf(h[name]))
        config.push(grad === undefined ? bitsOf(h.gradScale) : bitsOf(1))
        if (schedule) {
          // The schedule's peak in lr's place and [warmup, total, minLr] after: the contract derives each
          // step's rate, which must be the one this step ran at (else the schedule is not the trainer's).
          const lr = lrSchedule(h.step - 1, schedule)
          if (bitsOf(lr) !== bitsOf(h.lr))
            throw new GameProgramError(
              `Operator ${r.index}: the trainer's lr ${h.lr} at step ${h.step} is not the schedule's ${lr}.`,
            )
          config[0] = bitsOf(schedule.peak)
          config.push(schedule.warmup, schedule.total, bitsOf(schedule.min))
        }
        const args = [ins[0], grad ?? ins[1], ins[2], ins[3]]
        for (const which of [0, 1, 2])
          emit(mn(OP.adamw, outShape(which), args, [which, h.step, ...config]), which)
        break
      }
      default:
        throw new GameProgramError(`Operator ${r.index}: the game has no slot for ${r.op}.`)
    }
  }
  linkState(trace, wiring, program, state.length, chunk, frozen)
  const initial = bits.slice(0, state.length + wiring.data.length)
  return { program, initial, bits, slotOf, stateSlots: state.length, data: wiring.data, derived, pending }
}

/** A tensor as the game's m × n: its rows of the last dimension. */
function rowsCols(shape: readonly number[]): [number, number] {
  const n = shape.at(-1) ?? 1
  return [size(shape) / n, n]
}

/**
 * Points each state slot's COPY at the AdamW output that updates it, and each INPUT slot at its leaf of
 * the initial tree: the state's leaves are the COPYs' own (leaf a holds what a step-1 COPY of a reads),
 * each step's data follows the program's slots, `data.length` leaves a step.
 */
function linkState(
  trace: StepTrace,
  wiring: Wiring,
  program: Spec[],
  stateSlots: number,
  chunk: number,
  frozen: boolean,
): void {
  let slot = stateSlots + wiring.data.length
  if (frozen) {
    if (trace.records.some((r) => r.op === 'adamw'))
      throw new GameProgramError('A frozen program (an inference) has an AdamW update.')
    for (let i = 0; i < stateSlots; i++) program[i] = { ...program[i], a: i }
  }
  for (const r of trace.records) {
    slot += extraSlots(r, trace, chunk)
    if (r.op === 'adamw')
      for (const which of [0, 1, 2]) {
        const from = wiring.inputs[r.index][[0, 2, 3][which]] // p, m, v in adamw's input order
        if (from >= stateSlots || program[from].a !== 0)
          throw new GameProgramError(
            `Operator ${r.index}: AdamW updates slot ${from}, not a fresh state slot.`,
          )
        program[from] = { ...program[from], a: slot + which }
      }
    slot += r.outputs.length
  }
  const stale = frozen ? -1 : program.slice(0, stateSlots).findIndex((s) => s.a === 0)
  if (stale >= 0) throw new GameProgramError(`State slot ${stale}: no AdamW update writes it.`)
  wiring.data.forEach(
    (d, i) => (program[d.slot] = { ...program[d.slot], consts: [program.length + i, wiring.data.length] }),
  )
}

/** Refuses a probe whose records are not the same ops on the same shapes as the trace's. */
function sameStructure(trace: StepTrace, probe: StepTrace): void {
  const shapes = (t: StepTrace, hs: Hex[]) => hs.map((h) => t.values.get(h)?.shape.join('x') ?? '·').join()
  const at = (t: StepTrace, r: OpRecord) => `${r.op}(${shapes(t, r.inputs)})→${shapes(t, r.outputs)}`
  if (trace.records.length !== probe.records.length)
    throw new GameProgramError(
      `The probe has ${probe.records.length} operators, the trace ${trace.records.length}.`,
    )
  trace.records.forEach((r, i) => {
    if (at(trace, r) !== at(probe, probe.records[i]))
      throw new GameProgramError(
        `Operator ${i}: ${at(trace, r)} in the trace, ${at(probe, probe.records[i])} in the probe.`,
      )
  })
}

/**
 * The same state with every tensor's values drawn afresh (small, v positive), so no two slots of a
 * step traced from it hold the same content: what wires a step whose real state repeats values.
 */
export function probeState(state: readonly NamedTensor[], seed = 1): NamedTensor[] {
  let x = seed >>> 0
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1
  return state.map((t) => ({
    ...t,
    data: Float32Array.from(t.data, () => (t.name.startsWith('v.') ? 1e-4 * (1.5 + next()) : 0.05 * next())),
  }))
}

/**
 * The leaves of the initial tree for `steps` steps: leaf a of each state slot's COPY holds its tensor
 * (the checkpoint's), and step s's data (`dataOf(s)`, by role) lies at program.length + (s − 1)·D + i
 * for the i-th of its D INPUT slots. Leaves no slot reads are undefined (a zero leaf).
 */
export function initialLeaves(
  game: StepGame,
  steps: number,
  dataOf: (step: number) => ReadonlyMap<string, Uint32Array>,
): (Uint32Array | undefined)[] {
  const leaves: (Uint32Array | undefined)[] = new Array(game.program.length + steps * game.data.length)
  for (let i = 0; i < game.stateSlots; i++) leaves[game.program[i].a] = game.initial[i]
  for (let step = 1; step <= steps; step++) {
    const data = dataOf(step)
    for (const d of game.data) {
      const [base, stride] = game.program[d.slot].consts
      const ids = data.get(d.role)
      if (!ids) throw new GameProgramError(`Step ${step} has no ${d.role}.`)
      leaves[base + (step - 1) * stride] = ids
    }
  }
  return leaves
}

/**
 * The initial tree's data leaves alone (sparse, by leaf index): what runProgram takes as `data`, the state's
 * leaves being its `initial`.
 */
export function dataLeaves(
  game: StepGame,
  steps: number,
  dataOf: (step: number) => ReadonlyMap<string, Uint32Array>,
): Uint32Array[] {
  const state = new Set(game.program.slice(0, game.stateSlots).map((s) => s.a))
  const data: Uint32Array[] = []
  initialLeaves(game, steps, dataOf).forEach((l, i) => l && !state.has(i) && (data[i] = l))
  return data
}

/**
 * The data of a run's step `step` (1-based, from the checkpoint at step `from`) by role, as the trainer
 * samples it (Trainer's #queue): tokens, positions and targets as uint32.
 */
export function stepData(
  config: TrainConfig,
  corpus: Uint8Array,
  from: number,
  step: number,
): Map<string, Uint32Array> {
  const { seqLen } = config.model
  const batch = sampleBatch(corpus, { seed: config.seed, step: from + step - 1, batch: config.batch, seqLen })
  return new Map([
    ['ids:wte', Uint32Array.from(batch.inputs)],
    ['ids:wpe', Uint32Array.from({ length: batch.inputs.length }, (_, i) => i % seqLen)],
    ['targets', Uint32Array.from(batch.targets)],
  ])
}

/**
 * The most input elements one resolve of this slot carries (all operands together, over the slot's
 * elements): what its transaction's calldata scales with. The pending kinds as their contracts would read.
 */
export function resolveElements(s: Spec, _program: readonly Spec[]): number {
  switch (s.kind) {
    case COPY:
    case INPUT:
      return 0
    case EMBED.embedding:
      return 2 // the token's id, then its row's element (operandsOf needs the id to name it)
  }
  const count = outputCount(s)
  const total = (e: number) => operandsOf(s, e).reduce((n, o) => n + o.indices.length, 0)
  return Math.max(total(0), total(count - 1))
}
