// The dispute game over a real training step (the tiny GPT of trace.test.ts, on the trainer's own schedule
// and clip): the program and initial tree built from the step's trace (gameOfStep), a lie planted at a
// seeded operator slot and element of the last step, played to the end on anvil with the cheater as defender
// and as challenger. The game must stop at the lie and name the cheater, with no trusted party.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { mulberry32 } from '../util/random.ts'
import { traceStep } from './stepTrace.ts'
import { COPY, INPUT, outputCount } from './gameOps.ts'
import { dataLeaves, gameOfStep, probeState, scheduleOf, stepData } from './gameOfStep.ts'
import type { RunOptions } from './gameTrace.ts'
import { playLie, useGame, liarRun } from './testing.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
const config = defaultTrainConfig(
  { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
  { steps: 4, batch: 2 },
)
/** Steps of the disputed run: the lie is in the last, after an honest step that both agree on. */
const STEPS = 2

const chain = useGame()

describe('DisputeGame over a real training step', { timeout: 300_000 }, async () => {
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
      chunk: 64,
      schedule: scheduleOf(config),
    },
  )
  const { program } = game
  // The initial tree's data leaves (each step's tokens, positions and targets); the state's are `initial`.
  const data = dataLeaves(game, STEPS, (s) => stepData(config, train, before.step, s))
  const ops = program.flatMap((s, j) => (s.kind === COPY || s.kind === INPUT ? [] : [j]))
  console.log(`[game] real step program: ${program.length} slots, ${ops.length} of them operators`)

  // Tensor trees by content, shared by every game below (most of their tensors are the same).
  const trees: RunOptions['trees'] = new Map()
  // Two lies in `npm test`, one per role; GAME_LIES=N plays N (seeds 1…N, roles alternating).
  const lies = Number(process.env.GAME_LIES ?? 2)
  for (let seed = 1; seed <= lies; seed++) {
    const cheater = seed % 2 ? 'defender' : 'challenger'
    it(`names the cheating ${cheater} with a lie at a seeded operator and element (seed ${seed})`, async () => {
      const next = mulberry32(0x7a1 + seed)
      const slot = ops[next() % ops.length]
      const lie = { step: STEPS, slot, element: next() % outputCount(program[slot]) }
      const r = await playLie(chain, program, game.initial, STEPS, lie, cheater, { data, trees, liarRun })
      console.log(
        `[game] real step: lie in slot ${slot} (kind ${program[slot].kind}) element ${lie.element}: ` +
          `${r.moves} moves, ${r.gas} gas, resolve ${r.resolveGas}`,
      )
      expect(r.got).toEqual(r.want)
    })
  }
})
