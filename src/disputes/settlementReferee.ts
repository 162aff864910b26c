// The TypeScript side of SettlementReferee (contracts/referee/SettlementReferee.sol; docs/markets.md,
// "Ruling by the game"): the constants it is deployed with, re-derived here from the model's checkpoint so
// that anyone can check a deployment, a party's commitment of its settlement trace, and the market's input
// text read back from the referee's logs.
import { hexToString, type Address, type Hex, type PublicClient } from 'viem'
import { settlementRefereeAbi } from '../chain/contracts/SettlementReferee.ts'
import { inputHashOf } from '../markets/chain.ts'
import type { GptConfig } from '../train/gpt.ts'
import type { NamedTensor } from '../train/state.ts'
import { GameProgramError } from '../errors/dispute.ts'
import { tensorTree } from './onchain.ts'
import { programTree, type GameTrace } from './gameTrace.ts'
import { gameOfSettlement } from './gameOfSettlement.ts'

/** Markets with up to this many outcomes, by default (each count is one entry of `siblings`). */
export const SETTLEMENT_MAX_OUTCOMES = 8

export interface SettlementRefereeConstants {
  /** The model's window T, the program's slot count, and the per-row losses slot. */
  shape: [window: number, slots: number, losses: number]
  /** The parameters' tensor roots, in the checkpoint's order: leaves 0.. of the initial tree. */
  weightRoots: Hex[]
  /** For K = 2, 3, …: the program tree's siblings of its last (decide) leaf, leaf up. */
  siblings: Hex[][]
}

/**
 * The constants of a SettlementReferee for the model with `params` (a checkpoint's tensors without m and
 * v): every market with K outcomes has the same program but for its decide slot's layout, so the program
 * of any K-outcome market gives the siblings; this refuses a model where that does not hold.
 */
export async function settlementRefereeConstants(
  config: GptConfig,
  params: readonly NamedTensor[],
  maxOutcomes = SETTLEMENT_MAX_OUTCOMES,
): Promise<SettlementRefereeConstants> {
  const siblings: Hex[][] = []
  let shape: SettlementRefereeConstants['shape'] | undefined
  for (let K = 2; K <= maxOutcomes; K++) {
    const outcomes = Array.from({ length: K }, (_, k) => String.fromCharCode(97 + k))
    const game = await gameOfSettlement(config, params, { question: '', input: 'x', outcomes })
    const next: typeof shape = [config.seqLen, game.program.length, game.losses]
    if (shape && shape.join() !== next.join())
      throw new GameProgramError(`With ${K} outcomes the program's shape is ${next}, not ${shape}.`)
    shape = next
    if (game.decide !== game.program.length - 1) throw new GameProgramError('The decide slot is not last.')
    siblings.push(programTree(game.program).proof(game.decide))
  }
  if (!shape) throw new GameProgramError('A market has at least two outcomes.')
  return { shape, weightRoots: params.map((t) => tensorTree(t.data).root as Hex), siblings }
}

/**
 * What a party posts to SettlementReferee.commit from its trace of the settlement: its root, and the proofs
 * that the decide slot's tensor holds, as element 0, the outcome it claimed.
 */
export function decideCommitment(trace: GameTrace, decide: number) {
  const [tree, slot] = [trace.commits[1], trace.slots[1][decide]]
  return {
    root: tree.root,
    slotProof: tree.proof(decide),
    decideRoot: slot.tree.root as Hex,
    elementProof: slot.tree.getProof(0) as Hex[],
  }
}

/**
 * The input text of `market` as its first commit to `referee` published it (the Input log), held here to
 * the market's `inputHash` as well (the text, re-encoded, must hash to it); null while no log holds it, as
 * before the market's first commit. What lets anyone re-execute a settlement whose creator kept the input.
 */
export async function committedInput(
  client: PublicClient,
  referee: Address,
  market: Address,
  inputHash: Hex,
  fromBlock = 0n,
): Promise<string | null> {
  const logs = await client.getContractEvents({
    address: referee,
    abi: settlementRefereeAbi,
    eventName: 'Input',
    args: { market },
    fromBlock,
  })
  for (const log of logs) {
    const text = log.args.input === undefined ? '' : hexToString(log.args.input)
    if (log.args.input !== undefined && inputHashOf(text) === inputHash) return text
  }
  return null
}
