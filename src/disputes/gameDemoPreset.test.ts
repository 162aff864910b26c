// The gas of a whole dispute at the `demo` preset's shapes (2 layers, 4 heads, dModel 64, 512 tokens a
// step), for docs/benchmarks.md: one step's game from the trainer's checkpoint, a lie planted at a seeded
// operator slot and element whose resolve fits one transaction, played to the end on anvil. Heavy (the
// traces commit about a million elements): `npm run bench:game`, not `npm test`.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { presets } from '../train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { mulberry32 } from '../util/random.ts'
import { traceStep } from './stepTrace.ts'
import { COPY, INPUT, outputCount, runSlot } from './gameOps.ts'
import { dataLeaves, gameOfStep, probeState, resolveElements, scheduleOf, stepData } from './gameOfStep.ts'
import type { RunOptions } from './gameTrace.ts'
import { playLie, useGame } from './testing.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
const config = defaultTrainConfig(presets.demo, { steps: 4 })
/** A resolve past this many input elements does not fit one transaction (dgamma's 33,792: its own issue). */
const MAX_RESOLVE = 1_100
const lies = Number(process.env.GAME_DEMO ?? 0)
const chain = lies ? useGame() : undefined

describe.skipIf(!lies)('a dispute game at the demo preset', { timeout: 3_600_000 }, async () => {
  const before = await Trainer.create(cpuBackend, config).checkpoint()
  const { trace } = await traceStep(cpuBackend, before, train)
  const state = probeState(before.tensors)
  const probe = await traceStep(cpuBackend, { ...before, tensors: state }, train)
  const game = gameOfStep(
    trace,
    before.tensors,
    { trace: probe.trace, state },
    {
      maxNorm: config.clip,
      schedule: scheduleOf(config),
    },
  )
  const { program } = game
  const data = dataLeaves(game, 1, (s) => stepData(config, train, before.step, s))
  const ops = program.flatMap((s, j) =>
    s.kind === COPY || s.kind === INPUT || resolveElements(s, program) > MAX_RESOLVE ? [] : [j],
  )
  const liarRun: RunOptions['run'] = (s, ins, step) => {
    try {
      return runSlot(s, ins, step)
    } catch {
      return new Uint32Array(outputCount(s))
    }
  }
  const trees: RunOptions['trees'] = new Map()
  for (let seed = 1; seed <= lies; seed++) {
    const cheater = seed % 2 ? 'defender' : 'challenger'
    it(`names the cheating ${cheater} (seed ${seed})`, async () => {
      const next = mulberry32(0xde0 + seed)
      const slot = ops[next() % ops.length]
      const lie = { step: 1, slot, element: next() % outputCount(program[slot]) }
      const t0 = performance.now()
      const r = await playLie(chain!, program, game.initial, 1, lie, cheater, { data, trees, liarRun })
      console.log(
        `[game demo] ${program.length} slots; lie in slot ${slot} (kind ${program[slot].kind}) element ` +
          `${lie.element}: ${r.moves} moves, ${r.gas} gas, resolve ${r.resolveGas} ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      )
      expect(r.got).toEqual(r.want)
    })
  }
})
