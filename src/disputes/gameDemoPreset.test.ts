// The gas of a whole dispute at the `demo` preset's shapes (2 layers, 4 heads, dModel 64, 512 tokens a
// step), for docs/benchmarks.md: one step's game from the trainer's checkpoint, a lie planted at a seeded
// operator slot and element, played to the end on anvil. Heavy (the traces commit millions of elements, about
// 17 minutes here): `npm run bench:game` (GAME_DEMO=N lies), not `npm test`.
import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { presets } from '../train/gpt.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { mulberry32 } from '../util/random.ts'
import { traceStep } from './stepTrace.ts'
import { COPY, INPUT, outputCount } from './gameOps.ts'
import { dataLeaves, gameOfStep, probeState, resolveElements, scheduleOf, stepData } from './gameOfStep.ts'
import type { RunOptions } from './gameTrace.ts'
import { playLie, useGame, liarRun } from './testing.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
const config = defaultTrainConfig(presets.demo, { steps: 4 })
/** The lies' slots: those whose resolve reads at most this many input elements (every kind at these shapes). */
const MAX_RESOLVE = 1_100
const lies = Number(process.env.GAME_DEMO ?? 0)
const chain = lies ? useGame() : undefined

describe.skipIf(!lies)('a dispute game at the demo preset', { timeout: 3_600_000 }, () => {
  // In beforeAll, not the describe's body: vitest runs a skipped suite's body to collect it.
  let game: ReturnType<typeof gameOfStep>
  let data: Uint32Array[]
  let ops: number[]
  beforeAll(async () => {
    const before = await Trainer.create(cpuBackend, config).checkpoint()
    const { trace } = await traceStep(cpuBackend, before, train)
    const state = probeState(before.tensors)
    const probe = await traceStep(cpuBackend, { ...before, tensors: state }, train)
    game = gameOfStep(
      trace,
      before.tensors,
      { trace: probe.trace, state },
      {
        maxNorm: config.clip,
        schedule: scheduleOf(config),
      },
    )
    data = dataLeaves(game, 1, (s) => stepData(config, train, before.step, s))
    ops = game.program.flatMap((s, j) =>
      s.kind === COPY || s.kind === INPUT || resolveElements(s, game.program) > MAX_RESOLVE ? [] : [j],
    )
  }, 600_000)
  const trees: RunOptions['trees'] = new Map()
  // Registered (and skipped) without GAME_DEMO too, so that `npm test` lists what it leaves out.
  for (let seed = 1; seed <= (lies || 2); seed++) {
    const cheater = seed % 2 ? 'defender' : 'challenger'
    it(`names the cheating ${cheater} (seed ${seed})`, async () => {
      const next = mulberry32(0xde0 + seed)
      const { program } = game
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
