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
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_OPS as OP } from './onchain.ts'
import type { Spec } from './gameOps.ts'
import {
  PENDING_OPS,
  gameOfStep,
  type StepGame,
  initialLeaves,
  probeState,
  resolveElements,
  stepData,
} from './gameOfStep.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
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

/** The pending kind (the gradient norm) stood in: AdamW takes its clip scale as a constant. */
function standIn(s: Spec): Uint32Array {
  if (s.kind !== PENDING_OPS.gradNorm) throw new Error(`No stand-in for kind ${s.kind}.`)
  return new Uint32Array(1)
}

/** Runs the program `steps` steps from the initial tree, the pending kinds stood in: each step's slots. */
function play(game: StepGame, leaves: (Uint32Array | undefined)[], steps: number): Uint32Array[][] {
  const out: Uint32Array[][] = []
  for (let step = 1; step <= steps; step++) {
    const slots: Uint32Array[] = []
    game.program.forEach((s) => {
      if (s.kind === COPY) slots.push(step === 1 ? leaves[s.a]! : out[step - 2][s.a])
      else if (s.kind === INPUT) slots.push(leaves[s.consts[0] + (step - 1) * s.consts[1]]!)
      else if (game.pending.some((p) => game.program[p.slot] === s)) slots.push(standIn(s))
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
  const game = gameOfStep(trace, before.tensors, probe)
  const { program, bits } = game

  it('lays out the state, the data, then one slot per output', () => {
    // 16 parameters, m and v; tokens, positions, targets; the 69 records' 115 outputs and the per-row losses.
    expect(game.stateSlots).toBe(48)
    expect(game.data.map((d) => d.role)).toEqual(['ids:wte', 'ids:wpe', 'targets'])
    expect(trace.records.reduce((n, r) => n + r.outputs.length, 0)).toBe(115)
    expect(program.length).toBe(48 + 3 + 115 + 1)
    expect(program.slice(0, 48).every((s) => s.kind === COPY)).toBe(true)
    expect(program.slice(48, 51).map((s) => [s.kind, ...s.consts])).toEqual([
      [INPUT, 167, 3],
      [INPUT, 168, 3],
      [INPUT, 169, 3],
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
    // Cross-entropy's per-row losses are no record's: their mean, the next slot, checks them.
    expect(game.derived).toEqual([
      program.findIndex((s) => s.kind === 20),
      program.findIndex((s) => s.kind === 39),
    ])
    expect(checked).toBe(program.length - 51 - game.pending.length)
  })

  it('lists the slots the game cannot resolve yet', () => {
    const kinds = game.pending.map((p) => [program[p.slot].kind, p.slot])
    expect(kinds).toEqual([[39, 118]])
    // The attention's softmax is causal 19: without the flag the game's 19 gives other bits.
    const causal = program[63]
    expect([causal.kind, ...causal.consts]).toEqual([OP.softmax, 1])
    const plain = runSlot({ ...causal, consts: [] }, [bits[causal.a]], 1)
    expect(Array.from(plain)).not.toEqual(Array.from(bits[63]))
    expect(Array.from(runSlot(causal, [bits[causal.a]], 1))).toEqual(Array.from(bits[63]))
  })

  it('takes the gradient norm the trainer computed, and its clip scale as a constant', () => {
    const norm = program.findIndex((s) => s.kind === PENDING_OPS.gradNorm)
    const record = trace.records.find((r) => r.op === 'gradNorm')!
    expect(keccak256(toBytes(`f32:${bits[norm][0]}`))).toBe(record.outputs[0])
    const adamw = trace.records.find((r) => r.op === 'adamw')!
    const gradScale = (adamw.args[0] as { gradScale: number }).gradScale
    expect(program.find((s) => s.kind === OP.adamw)!.consts[7]).toBe(
      new Uint32Array(new Float32Array([gradScale]).buffer)[0],
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

  it('plays later steps too: the state after three steps is the trainer’s, when lr and the clip scale are constant', async () => {
    // lr constant (minLr = lr) and a clip no gradient reaches (gradScale 1): the program's constants hold
    // for every step. With the default schedule and clip they do not, and the third step's state differs.
    for (const [overrides, same] of [
      [{ minLr: 3e-3, clip: 1e30 }, true],
      [{}, false],
    ] as const) {
      const config = { ...tiny, ...overrides }
      const from = await Trainer.create(cpuBackend, config).checkpoint()
      const t = await traced(from)
      const g = gameOfStep(t.trace, from.tensors, t.probe)
      const slots = play(
        g,
        initialLeaves(g, 3, (s) => stepData(config, train, from.step, s)),
        3,
      )
      const trainer = Trainer.create(cpuBackend, config, from)
      await trainer.trainSteps(train, 3)
      const want = (await trainer.tensors()).map((x) => Array.from(u32(x.data)))
      const got = g.program.slice(0, g.stateSlots).map((s) => Array.from(slots[2][s.a]))
      if (same) expect(got).toEqual(want)
      else expect(got).not.toEqual(want)
    }
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
    const g = gameOfStep(t, state)
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
    expect(g.program.length).toBe(288)
    expect(Object.fromEntries(largest)).toEqual({
      ...{ 0: 2, 5: 512, 6: 512, 7: 1024, 12: 1, 17: 66, 19: 64, 20: 257, 21: 4, 23: 2, 25: 1, 26: 514 },
      ...{ 27: 257, 28: 128, 29: 193, 30: 33_792, 31: 512, 32: 1, 33: 1, 34: 1 },
      ...{ 35: 2, 36: 1024, 37: 64, 38: 64, 39: 120_576, 254: 0, 255: 0 },
    })
  }, 120_000)
})
