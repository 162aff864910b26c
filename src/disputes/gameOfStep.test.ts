// The game's program built from a real training step: every slot the game can resolve recomputes, with
// the game's own op semantics (runSlot), to the engine's recorded bits; the slots it cannot are listed.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { keccak256, toBytes } from 'viem'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { presets } from '../train/gpt.ts'
import { Trainer, defaultTrainConfig, type Checkpoint } from '../train/trainer.ts'
import { GameProgramError } from '../errors/dispute.ts'
import { traceStep } from './stepTrace.ts'
import { COPY, EMBED, INPUT, inputSlots, runSlot } from './gameOps.ts'
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_OPS as OP, ONCHAIN_ROW_OPS as ROW } from './onchain.ts'
import { f32Bits, f32FromBits } from '../kernels/softfloat.ts'
import type { Spec } from './gameOps.ts'
import {
  gameOfStep,
  type StepGame,
  initialLeaves,
  probeState,
  resolveElements,
  scheduleOf,
  stepData,
} from './gameOfStep.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
/** The tiny model's chunk: its 4,096-element embedding is 64 chunks, so the trees are three levels deep. */
const CHUNK = 64
const tiny = defaultTrainConfig(
  { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
  { steps: 4, batch: 2 },
)

/** A step traced from `before`, and the same step traced from a probe of its state (for the wiring). */
async function traced(before: Checkpoint) {
  const { trace } = await traceStep(cpuBackend, before, train)
  const state = probeState(before.tensors)
  const probe = await traceStep(cpuBackend, { ...before, tensors: state }, train)
  return { trace, probe: { trace: probe.trace, state } }
}

const u32 = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)

/** Runs the program `steps` steps from the initial tree: each step's slots. */
function play(game: StepGame, leaves: (Uint32Array | undefined)[], steps: number): Uint32Array[][] {
  const out: Uint32Array[][] = []
  for (let step = 1; step <= steps; step++) {
    const slots: Uint32Array[] = []
    game.program.forEach((s) => {
      if (s.kind === COPY) slots.push(step === 1 ? leaves[s.a]! : out[step - 2][s.a])
      else if (s.kind === INPUT) slots.push(leaves[s.consts[0] + (step - 1) * s.consts[1]]!)
      else
        slots.push(
          runSlot(
            s,
            inputSlots(s).map((i) => slots[i]),
            step,
          ),
        )
    })
    out.push(slots)
  }
  return out
}

describe('the game of a training step', async () => {
  const before = await Trainer.create(cpuBackend, tiny).checkpoint()
  const { trace, probe } = await traced(before)
  const game = gameOfStep(trace, before.tensors, probe, { chunk: CHUNK })
  const { program, bits } = game
  /** The gradient norm's slots: after the 115 outputs' first 67 records', the per-row losses and dyXhats. */
  const normKinds = new Set<number>([NORM.normExponent, NORM.normSquares, NORM.normClip])
  const norm = program.flatMap((s, j) =>
    normKinds.has(s.kind) || (s.kind === OP.mul && s.consts.length) ? [j] : [],
  )

  it('lays out the state, the data, then one slot per output', () => {
    // 16 parameters, m and v; tokens, positions, targets; the 69 records' 115 outputs, the per-row losses
    // and the three layernorm backwards' dyXhat.
    expect(game.stateSlots).toBe(48)
    expect(game.data.map((d) => d.role)).toEqual(['ids:wte', 'ids:wpe', 'targets'])
    expect(trace.records.reduce((n, r) => n + r.outputs.length, 0)).toBe(115)
    expect(program.length).toBe(48 + 3 + 115 + 1 + 3 + norm.length - 1)
    expect(norm).toEqual(Array.from({ length: norm.length }, (_, i) => norm[0] + i))
    expect(program.slice(0, 48).every((s) => s.kind === COPY)).toBe(true)
    expect(program.slice(48, 51).map((s) => [s.kind, ...s.consts])).toEqual([
      [INPUT, program.length, 3],
      [INPUT, program.length + 1, 3],
      [INPUT, program.length + 2, 3],
    ])
    // Each state slot copies the AdamW output of its own tensor: parameter i from p, m.i from m, v.i from v.
    const adamw = program.flatMap((s, j) => (s.kind === OP.adamw ? [j] : []))
    expect(adamw).toHaveLength(48)
    for (let i = 0; i < 16; i++)
      for (const which of [0, 1, 2]) {
        const copy = program[which * 16 + i]
        expect(program[copy.a].kind).toBe(OP.adamw)
        expect(program[copy.a].consts[0]).toBe(which)
        expect(program[copy.a][(['a', 'c', 'd'] as const)[which]]).toBe(which * 16 + i)
      }
    // The wiring is the step's own: every record output's slot holds the recorded tensor.
    for (const [hash, slot] of game.slotOf)
      expect(Array.from(bits[slot]), `slot ${slot}`).toEqual(
        Array.from(new Uint32Array(trace.values.get(hash)!.data.buffer)),
      )
  })

  it('recomputes every slot the game covers to the engine’s bits', () => {
    let checked = 0
    const kinds = new Set<string>()
    program.forEach((s, j) => {
      if (s.kind === COPY || s.kind === INPUT || game.pending.some((p) => p.slot === j)) return
      const out = runSlot(
        s,
        inputSlots(s).map((i) => bits[i]),
        1,
      )
      expect(Array.from(out), `slot ${j} kind ${s.kind}`).toEqual(Array.from(bits[j]))
      kinds.add([s.kind, ...(s.kind === OP.softmax ? s.consts : [])].join())
      checked++
    })
    // Among them the embedding and its gradient, layernorm's saved mean and std, the causal softmax.
    for (const kind of [EMBED.embedding, EMBED.embeddingGrad, NORM.layernormMean, NORM.layernormStd, '19,1'])
      expect(kinds.has(String(kind)), `kind ${kind}`).toBe(true)
    // Cross-entropy's per-row losses are no record's: their mean, the next slot, checks them; nor is a
    // layernorm backward's dyXhat: dgamma, its column sum two slots on, checks it.
    const dyXhat = program.flatMap((s, j) => (s.kind === ROW.layernormDyXhat ? [j] : []))
    expect(dyXhat).toHaveLength(3)
    expect(game.derived).toEqual([program.findIndex((s) => s.kind === 20), ...dyXhat, ...norm])
    expect(checked).toBe(program.length - 51 - game.pending.length)
  })

  it('lays out a layernorm backward as dyXhat, dx, dgamma (dyXhat’s column sums), dbeta', () => {
    const records = trace.records.filter((r) => r.op === 'layernormGrad')
    expect(records).toHaveLength(3)
    expect(program.some((s) => s.kind === ROW.layernormDgamma)).toBe(false)
    for (const r of records) {
      const [dx, dgamma, dbeta] = r.outputs.map((h) => game.slotOf.get(h)!)
      const x = program[dx]
      expect([program[dx - 1].kind, x.kind, program[dgamma].kind, program[dbeta].kind]).toEqual([
        ROW.layernormDyXhat,
        ROW.layernormGrad,
        OP.sum,
        ROW.layernormDbeta,
      ])
      expect([dgamma, dbeta]).toEqual([dx + 1, dx + 2])
      // dyXhat reads the dx's x, dy and std; dgamma sums its columns: 1×n from rows×n, consts [0].
      expect(program[dx - 1]).toMatchObject({ a: x.a, b: x.b, c: x.d, m: x.m, k: 0, n: x.n, consts: [] })
      expect(program[dgamma]).toMatchObject({ a: dx - 1, m: 1, k: x.m, n: x.n, consts: [0] })
    }
  })

  it('leaves no slot the game cannot resolve', () => {
    const kinds = game.pending.map((p) => [program[p.slot].kind, p.slot])
    expect(kinds).toEqual([])
    // The attention's softmax is causal 19: without the flag the game's 19 gives other bits.
    const causal = program[63]
    expect([causal.kind, ...causal.consts]).toEqual([OP.softmax, 1])
    const plain = runSlot({ ...causal, consts: [] }, [bits[causal.a]], 1)
    expect(Array.from(plain)).not.toEqual(Array.from(bits[63]))
    expect(Array.from(runSlot(causal, [bits[causal.a]], 1))).toEqual(Array.from(bits[63]))
  })

  it('computes the gradient norm and clip scale in slots; AdamW reads the clipped gradients, gradScale 1', () => {
    const record = trace.records.find((r) => r.op === 'gradNorm')!
    const clip = norm.find((j) => program[j].kind === NORM.normClip && program[j].n === 2)!
    // Element 0 is the trainer's norm; element 1 the clip scale it took, below 1 at the default clip.
    expect(keccak256(toBytes(`f32:${bits[clip][0]}`))).toBe(record.outputs[0])
    const adamws = trace.records.filter((r) => r.op === 'adamw')
    for (const r of adamws)
      expect(bits[clip][1]).toBe(f32Bits((r.args[0] as { gradScale: number }).gradScale))
    expect(f32FromBits(bits[clip][1])).toBeLessThan(1)
    // Per gradient of the record, ⌈size / CHUNK⌉ chunks, each an exponent and a squares slot.
    const sizes = record.inputs.map((h) => trace.values.get(h)!.data.length)
    const chunks = sizes.reduce((n, size) => n + Math.ceil(size / CHUNK), 0)
    const count = (kind: number, form: (s: Spec) => boolean) =>
      norm.filter((j) => program[j].kind === kind && form(program[j])).length
    const isChunk = (s: Spec) => s.consts.length === 2
    expect(count(NORM.normExponent, isChunk)).toBe(chunks)
    expect(count(NORM.normSquares, isChunk)).toBe(chunks)
    expect(count(OP.mul, () => true)).toBe(16)
    // Every AdamW reads its gradient × clipScale (mul by element 1 of the clip slot) with gradScale 1.
    const grads = program.filter((s) => s.kind === OP.mul && s.b === clip).map((s) => s.a)
    for (const s of program.filter((s) => s.kind === OP.adamw)) {
      expect(s.consts[7]).toBe(f32Bits(1))
      expect(program[s.b]).toMatchObject({ kind: OP.mul, b: clip, consts: [1] })
      expect(grads).toContain(program[s.b].a)
    }
    // A program whose maxNorm is not the trainer's clip is refused: its AdamW would not be the trainer's.
    expect(() => gameOfStep(trace, before.tensors, probe, { chunk: CHUNK, maxNorm: 2 })).toThrow(
      /pass the trainer's clip as maxNorm/,
    )
  })

  it('lays out the initial tree: the state at its COPYs’ leaves, then each step’s data', () => {
    const leaves = initialLeaves(game, 3, (s) => stepData(tiny, train, before.step, s))
    expect(leaves).toHaveLength(program.length + 9)
    for (let i = 0; i < 48; i++) expect(leaves[program[i].a]).toBe(game.initial[i])
    // Step 1's data is the traced step's.
    for (const d of game.data)
      expect(Array.from(leaves[program[d.slot].consts[0]]!)).toEqual(Array.from(bits[d.slot]))
    expect(leaves[program.length + 3]).not.toEqual(leaves[program.length])
  })

  it('plays later steps too: the state after three steps is the trainer’s, on its schedule, clipped or not', async () => {
    // The schedule in the program: the contract derives each step's rate, so three steps of warmup end in
    // the trainer's state; the clip scale, a slot, is each step's own, whether a clip no gradient reaches
    // (scale 1) or the default one (scale < 1). Without the schedule, the traced step's rate is a constant,
    // right for step 1 only, and the third step's state differs.
    for (const [overrides, schedule, clipped] of [
      [{ clip: 1e30 }, true, false],
      [{}, true, true],
      [{}, false, true],
    ] as const) {
      const config = { ...tiny, ...overrides }
      const from = await Trainer.create(cpuBackend, config).checkpoint()
      const t = await traced(from)
      const g = gameOfStep(t.trace, from.tensors, t.probe, {
        maxNorm: config.clip,
        chunk: CHUNK,
        schedule: schedule ? scheduleOf(config) : undefined,
      })
      const slots = play(
        g,
        initialLeaves(g, 3, (s) => stepData(config, train, from.step, s)),
        3,
      )
      const trainer = Trainer.create(cpuBackend, config, from)
      await trainer.trainSteps(train, 3)
      const want = (await trainer.tensors()).map((x) => Array.from(u32(x.data)))
      const got = g.program.slice(0, g.stateSlots).map((s) => Array.from(slots[2][s.a]))
      if (schedule) expect(got).toEqual(want)
      else expect(got).not.toEqual(want)
      const clip = g.program.findIndex((s) => s.kind === NORM.normClip && s.n === 2)
      for (const step of slots) {
        const scale = f32FromBits(step[clip][1])
        if (clipped) expect(scale).toBeLessThan(1)
        else expect(scale).toBe(1)
      }
    }
  })

  it('refuses a schedule that is not the one the traced step ran at', () => {
    const schedule = { ...scheduleOf(tiny), peak: tiny.lr * 2 }
    expect(() => gameOfStep(trace, before.tensors, probe, { chunk: CHUNK, schedule })).toThrow(
      /is not the schedule's/,
    )
  })

  it('refuses to wire a fresh state by its own trace: its zeros are in many slots', () => {
    expect(() => gameOfStep(trace, before.tensors)).toThrow(GameProgramError)
    expect(() => gameOfStep(trace, before.tensors)).toThrow(/slots .* all hold/)
    // A probe of another step's shape wires nothing.
    const short = { ...probe, trace: { ...probe.trace, records: probe.trace.records.slice(1) } }
    expect(() => gameOfStep(trace, before.tensors, short)).toThrow(/probe has 68 operators, the trace 69/)
  })

  it('reports the largest resolve per kind for the demo preset', async () => {
    const demo = defaultTrainConfig(presets.demo, { steps: 4 })
    const at = await Trainer.create(cpuBackend, demo).checkpoint()
    const state = probeState(at.tensors)
    const { trace: t } = await traceStep(cpuBackend, { ...at, tensors: state }, train)
    const g = gameOfStep(t, state, undefined, { maxNorm: demo.clip })
    // The game's ops give the engine's bits at these shapes too (4 heads, 2 layers, 512 tokens).
    g.program.forEach((s, j) => {
      if (s.kind === COPY || s.kind === INPUT || g.pending.some((p) => p.slot === j)) return
      const out = runSlot(
        s,
        inputSlots(s).map((i) => g.bits[i]),
        1,
      )
      expect(Array.from(out), `slot ${j} kind ${s.kind}`).toEqual(Array.from(g.bits[j]))
    })
    const largest = new Map<number, number>()
    for (const s of g.program)
      largest.set(s.kind, Math.max(largest.get(s.kind) ?? 0, resolveElements(s, g.program)))
    // 8 × 64 = 512 tokens, dModel 64, vocab 256; docs/disputes.md has the table.
    // 292 slots (the five layernorm backwards' dyXhat among them), then the gradient norm's 389
    // (1,024-element chunks): 134 chunks' exponent and squares slots, 46 nodes of each tree
    // (34 + 9 + 2 + 1), the clip and the 28 parameters' clipped gradients.
    expect(g.program.filter((s) => s.kind === NORM.normSquares)).toHaveLength(134)
    expect(g.program.filter((s) => s.kind === ROW.layernormDyXhat)).toHaveLength(5)
    expect(g.program.length).toBe(292 + 2 * (134 + 46) + 1 + 28)
    // dgamma is a column sum of dyXhat (5: 512 rows), whose element reads a row of x, its dy and std
    // (43: 64 + 2); no element of the step reads all of x (30 was 33,792: past one transaction).
    expect(Object.fromEntries(largest)).toEqual({
      ...{ 0: 2, 5: 512, 6: 512, 7: 1024, 12: 1, 17: 66, 19: 64, 20: 257, 21: 4, 23: 2, 25: 1, 26: 514 },
      ...{ 27: 257, 28: 128, 29: 193, 31: 512, 43: 66, 32: 1, 33: 1, 34: 1 },
      ...{ 35: 2, 36: 1024, 37: 64, 38: 64, 254: 0, 255: 0 },
      // The gradient norm: a chunk (and its scale), a node's four 5-word inputs, grad × clipScale.
      ...{ 39: 1024, 40: 1025, 41: 20, 2: 2 },
    })
  }, 120_000)
})
