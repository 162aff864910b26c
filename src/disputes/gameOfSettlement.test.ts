// The settlement program of the trained market model (gameOfSettlement): its slots give the ONNX runtime's
// logits and settle()'s scores and outcome bit for bit, and every slot is one the game recomputes. The game
// played over it, through a market: settlementReferee.test.ts.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { trainedModel, TRAINED_MODEL_HASH, TRAINED_URI } from '../markets/trained.ts'
import { settle } from '../markets/settlement.ts'
import { TASK_RULE, marketInputs, taskScores } from '../markets/model.ts'
import { infer } from '../receipts/inference.ts'
import { COPY, INPUT, covers, runSlot } from './gameOps.ts'
import { gameOfSettlement } from './gameOfSettlement.ts'
import { trainedSettlement } from './testing.ts'
import { settlementRefereeConstants } from './settlementReferee.ts'

const { checkpoint, gpt, params, market } = trainedSettlement()

describe('gameOfSettlement', () => {
  it("computes settle()'s logits, scores and outcome, and the game covers every slot", async () => {
    const game = await gameOfSettlement(gpt, params, market)
    const model = trainedModel(checkpoint)
    const settled = settle(model, market, TRAINED_URI, undefined, TASK_RULE)
    expect(game.outcome).toBe(settled.outcome)
    expect(settled.market.outcomes[game.outcome]).toBe('acd')
    const { inputs } = marketInputs(market, gpt.seqLen, TASK_RULE)
    const logits = Float32Array.from(infer(model, inputs).outputs.logits.data as number[])
    const logitsSlot = game.program[game.losses].a
    expect(game.bits[logitsSlot]).toEqual(new Uint32Array(logits.buffer))
    const losses = new Float32Array(game.bits[game.losses].buffer)
    expect(taskScores(losses, game.layout)).toEqual(settled.scores)
    const ops = game.program.filter((s) => s.kind !== COPY && s.kind !== INPUT)
    expect(ops.filter((s) => !covers(s.kind))).toEqual([])
    expect(game.pending).toEqual([])
    console.log(
      `[settlement game] ${game.program.length} slots, ${ops.length} operators, decide ${game.decide}`,
    )
  })

  it('refuses a decide slot whose layout reads past the losses or names one outcome', async () => {
    const game = await gameOfSettlement(gpt, params, market)
    const decide = game.program[game.decide]
    const losses = [game.bits[game.losses]]
    const run = (consts: number[]) => () => runSlot({ ...decide, consts }, losses, 1)
    expect(run([...game.layout])).not.toThrow()
    expect(run([0, 3])).toThrow(/at least two outcomes/)
    expect(run([0, 3, decide.k - 1, 2])).toThrow(/outcome 1 reads rows/)
    expect(run([0, 0, 5, 1])).toThrow(/outcome 0 reads rows/)
  })

  it("re-derives the dev chain referee's constants (public/rl/settlement-referee.json) from the checkpoint", async () => {
    const file = JSON.parse(readFileSync('public/rl/settlement-referee.json', 'utf8'))
    const mine = await settlementRefereeConstants(gpt, params)
    expect(file).toEqual({ modelHash: TRAINED_MODEL_HASH, ...mine })
  }, 60_000)
})
