// `lockstep market game ADDR`: plays this party's side of a disputed market's settlement game
// (SettlementReferee; docs/markets.md, "Ruling by the game") from its own re-execution of the settlement:
// commits its trace root, then, as the challenger, opens and binds the game; joins and plays it to the
// end; and asks the referee to rule. A party whose claim its own re-execution does not decide is refused
// before anything is sent: its trace cannot prove the claim, and the game would rule against it.
import { createWalletClient, http, parseEther, toHex, type Address, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainOf } from '../chain/client.ts'
import { settlementRefereeAbi } from '../chain/contracts/SettlementReferee.ts'
import { UsageError } from '../errors/cli.ts'
import { MarketError, MarketPhaseError, SettlementHoldsError } from '../errors/market.ts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { readMarket, readTerms, type ContractRef } from '../markets/chain.ts'
import { TASK_RULE } from '../markets/model.ts'
import { trainedModel } from '../markets/trained.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { GameDriver, openGame } from '../disputes/game.ts'
import { gameOfSettlement, settlementData } from '../disputes/gameOfSettlement.ts'
import { runProgram } from '../disputes/gameTrace.ts'
import { decideCommitment } from '../disputes/settlementReferee.ts'
import { flag } from './args.ts'
import { playToEnd } from './disputeOnchain.ts'
import { sendingKey } from './keys.ts'
import { marketAccess, marketRef, sent } from './marketAccess.ts'
import { marketInput, shippedCheckpoint } from './marketSources.ts'

const DEFAULT_BOND = '0.01'

export async function gameCommand(args: string[], given: string | undefined): Promise<number> {
  const access = await marketAccess(args)
  const ref = await marketRef(access, given)
  const { client } = access
  const [state, terms] = await Promise.all([readMarket(client, ref), readTerms(client, ref)])
  if (state.phase !== 'disputed' || !state.proposal || !state.counter)
    throw new MarketPhaseError(
      `The market is ${state.phase}; a settlement game is played while it is disputed.`,
    )
  const referee = state.referee
  const read = <T>(functionName: string, fnArgs: unknown[] = []) =>
    client.readContract({
      address: referee,
      abi: settlementRefereeAbi,
      functionName,
      args: fnArgs,
    } as never) as Promise<T>
  const modelHash = await read<Hex>('modelHash').catch(() => {
    throw new MarketError(
      `The market's referee ${referee} is not a SettlementReferee: no game rules its dispute.`,
    )
  })
  const checkpoint = shippedCheckpoint()
  if (
    terms.rule !== TASK_RULE ||
    terms.modelHash !== modelHash ||
    keccak256Hex([trainedModel(checkpoint)]) !== modelHash
  )
    throw new MarketError(
      `The market's rule and model (${terms.rule}, ${terms.modelHash}) are not the ones its referee plays games for (${TASK_RULE}, ${modelHash}) with this build's trained model.`,
    )
  const key = await sendingKey(args, access.config.chainId)
  const wallet = createWalletClient({
    account: privateKeyToAccount(key),
    chain: chainOf(access.config),
    transport: http(access.config.rpcUrl, { retryCount: 0, timeout: 30_000 }),
  })
  const me = wallet.account.address
  const challenger = me === state.counter.by
  if (!challenger && me !== state.proposal.by)
    throw new UsageError(
      `The key is ${me}; the market's parties are ${state.proposal.by} and ${state.counter.by}.`,
    )
  const claimed = (challenger ? state.counter : state.proposal).outcome

  // This party's trace of the settlement, re-executed here.
  const input = await marketInput(args, terms)
  const c = decodeCheckpoint(checkpoint, checkpoint.length)
  const params = c.tensors.filter((t) => !/^[mv]\./.test(t.name))
  const market = { question: terms.question, input, outcomes: terms.outcomes }
  const game = await gameOfSettlement(c.config.model, params, market)
  const trace = runProgram(game.program, game.initial, 1, { data: settlementData(game) })
  console.log(
    `re-executed: the model decides outcome ${game.outcome} ${JSON.stringify(terms.outcomes[game.outcome])}; this party (${challenger ? 'challenger' : 'proposer'}) claimed ${claimed}`,
  )
  if (game.outcome !== claimed)
    throw new SettlementHoldsError(
      `Re-execution decides outcome ${game.outcome}, not the ${claimed} this party claimed: its trace cannot prove the claim, and the game would rule against it. Nothing was sent.`,
    )

  const pollMs = Number(flag(args, 'poll') ?? 1000)
  const write = (what: string, functionName: string, fnArgs: unknown[]) =>
    sent(
      access,
      what,
      wallet.writeContract({
        address: referee,
        abi: settlementRefereeAbi,
        functionName,
        args: fnArgs,
      } as never),
    )
  const dispute = async () => {
    const [proposerRoot, challengerRoot, gameId] = await read<[Hex, Hex, bigint]>('disputes', [ref.address])
    return { proposerRoot, challengerRoot, gameId, mine: challenger ? challengerRoot : proposerRoot }
  }
  const [commitWindow, openWindow, disputeGame] = await Promise.all([
    read<bigint>('commitWindow'),
    read<bigint>('openWindow'),
    read<Address>('game'),
  ])
  const commitEnd = state.counter.at + commitWindow
  const openEnd = commitEnd + openWindow
  const now = async () => (await client.getBlock()).timestamp
  const ZERO = `0x${'00'.repeat(32)}`

  if ((await dispute()).mine === ZERO) {
    const x = decideCommitment(trace, game.decide)
    await write('commit this party’s trace root', 'commit', [
      ref.address,
      x.root,
      x.slotProof,
      x.decideRoot,
      x.elementProof,
    ])
  } else console.log('this party’s trace root is committed')

  // Until a game is bound: the challenger opens and binds one once both roots are in; past the windows,
  // the referee rules by default.
  let said = ''
  for (;;) {
    const d = await dispute()
    if (d.gameId !== 0n) break
    const t = await now()
    if ((d.proposerRoot === ZERO || d.challengerRoot === ZERO) && t >= commitEnd)
      return ruleNow(client, ref, claimed, write)
    if (t >= openEnd) return ruleNow(client, ref, claimed, write)
    if (challenger && d.proposerRoot !== ZERO) {
      const terms = await read<{ work: Hex; defenderRoot: Hex }>('termsFor', [ref.address, toHex(input)])
      const bond = parseEther(flag(args, 'game-bond') ?? DEFAULT_BOND)
      const { id } = await openGame(client, wallet, trace, {
        game: disputeGame,
        work: terms.work,
        defender: state.proposal.by,
        defenderRoot: terms.defenderRoot,
        bond,
      })
      console.log(
        `opened game ${id} against ${state.proposal.by} (bond ${flag(args, 'game-bond') ?? DEFAULT_BOND} ETH)`,
      )
      await write(`bind game ${id}`, 'bind', [ref.address, id, toHex(input)])
      continue
    }
    const waiting = challenger ? 'the proposer’s commitment' : 'the challenger’s game'
    if (said !== waiting) console.log(`waiting for ${waiting}`)
    said = waiting
    await new Promise((r) => setTimeout(r, pollMs))
  }
  const { gameId } = await dispute()
  console.log(`playing game ${gameId} on ${disputeGame}`)
  const driver = new GameDriver(
    client,
    wallet,
    disputeGame,
    gameId,
    challenger ? 'challenger' : 'defender',
    trace,
  )
  const won = await playToEnd(driver, pollMs)
  console.log(won ? '✓ this party won the game' : '✗ this party lost the game')
  return ruleNow(client, ref, claimed, write)
}

/**
 * Asks the referee to rule (unless the market is no longer disputed) and prints the market's result; 0 when
 * it settled on this party's claim.
 */
async function ruleNow(
  client: PublicClient,
  ref: ContractRef,
  claimed: number,
  write: (what: string, fn: string, args: unknown[]) => Promise<unknown>,
): Promise<number> {
  if ((await readMarket(client, ref)).phase === 'disputed')
    await write('ask the referee to rule', 'rule', [ref.address])
  const st = await readMarket(client, ref)
  console.log(`the market is ${st.phase}${st.phase === 'settled' ? `: outcome ${st.winner}` : ''}`)
  return st.phase === 'settled' && st.winner === claimed ? 0 : 1
}
