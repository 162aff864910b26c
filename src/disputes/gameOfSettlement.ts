// A market settlement as a dispute-game program (docs/disputes.md, "A market settlement as a game"): the
// trained model's forward pass on the market's K windows, traced on the CPU reference, each window's
// per-row cross-entropy against its next bytes, then one decide slot that picks the outcome as
// TASK_RULE does (src/markets/scores.ts). The engine's forward gives the ONNX runtime's logits bit for
// bit (gameOfSettlement.test.ts), so this program computes what settle() computes, slot by slot, and
// the game can settle a disagreement over a market's outcome down to one element, recomputed on chain.
import { cpuBackend } from '../train/cpu.ts'
import { Tape } from '../train/autograd.ts'
import { gptLoss, type GptConfig } from '../train/gpt.ts'
import type { NamedTensor } from '../train/state.ts'
import { marketInputs, nextTokens, taskLayout, TASK_RULE, type Market } from '../markets/model.ts'
import { GameProgramError } from '../errors/dispute.ts'
import { TracingBackend } from './trace.ts'
import { INPUT, inputSlots, runSlot, type Spec } from './gameOps.ts'
import { gameOfStep, type StepGame } from './gameOfStep.ts'
import { ONCHAIN_NORM_OPS as NORM, ONCHAIN_ROW_OPS as ROW } from './onchain.ts'

export interface SettlementGame extends StepGame {
  /** The decide slot (the program's last): its one element is the outcome's index. */
  decide: number
  /** The per-row losses slot it reads. */
  losses: number
  /** [first row, count] per outcome: the decide slot's constants (taskLayout). */
  layout: number[]
  /** The outcome this trace decides. */
  outcome: number
  /** The initial tree's data, by role: the windows' token ids, their positions and next bytes. */
  inputs: Map<string, Uint32Array>
}

/**
 * The settlement game of `market` on a GPT's parameters (`params`: a checkpoint's tensors without m and
 * v, in its order). The program is one frozen step: COPY slots for the parameters, INPUT slots for the
 * data, the forward's operators, the losses, their mean (the traced record) and the decide slot.
 */
export async function gameOfSettlement(
  config: GptConfig,
  params: readonly NamedTensor[],
  market: Market,
): Promise<SettlementGame> {
  if (params.some((t) => /^[mv]\./.test(t.name)))
    throw new GameProgramError('A settlement reads the parameters alone: drop the moments m and v.')
  const T = config.seqLen
  const ids = marketInputs(market, T, TASK_RULE).inputs.input_ids.data
  const tracing = new TracingBackend(cpuBackend)
  const tensors = new Map(params.map((t) => [t.name, tracing.upload(t.data, t.shape)]))
  await gptLoss(new Tape(tracing), tensors, config, Int32Array.from(ids), nextTokens(ids, T))
  const game = gameOfStep({ records: tracing.records, values: tracing.values }, params, undefined, {
    frozen: true,
  })
  const losses = game.program.findIndex((s) => s.kind === ROW.crossEntropy)
  if (losses < 0) throw new GameProgramError('The traced forward has no cross-entropy.')
  const layout = taskLayout(market, T)
  const decide: Spec = {
    kind: NORM.taskDecide,
    ...{ a: losses, b: 0, c: 0, d: 0 },
    ...{ m: 1, k: game.program[losses].m, n: 1 },
    consts: layout,
  }
  const out = runSlot(
    decide,
    inputSlots(decide).map((i) => game.bits[i]),
    1,
  )
  const slot = game.program.length
  const inputs = new Map<string, Uint32Array>()
  for (const d of game.data) inputs.set(d.role, game.bits[d.slot])
  // The data leaves follow the program's slots in the initial tree (gameOfStep put them after the slots it
  // made): move them past the decide slot, where SettlementReferee derives them.
  const program = game.program.map((s) =>
    s.kind === INPUT ? { ...s, consts: [s.consts[0] + 1, ...s.consts.slice(1)] } : s,
  )
  return {
    ...game,
    program: [...program, decide],
    bits: [...game.bits, out],
    derived: [...game.derived, slot],
    decide: slot,
    losses,
    layout,
    outcome: out[0],
    inputs,
  }
}

/** The initial tree's data leaves of a settlement game (runProgram's `data`): the roles in slot order. */
export function settlementData(game: SettlementGame): Uint32Array[] {
  const data: Uint32Array[] = []
  for (const d of game.data) data[game.program[d.slot].consts[0]] = game.inputs.get(d.role)!
  return data
}
