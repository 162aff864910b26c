// `lockstep market game ADDR`: defends, with any key, the side of a disputed market that this machine's own
// re-execution of the settlement supports (SettlementReferee; docs/markets.md, "Ruling by the game"):
// commits the honest trace root for it (with the market's input, which a commit publishes), opens and binds a game against every live root of the other side,
// plays every bound game of its root a move at a time, settles them, and asks the referee to rule once one
// side alone has live roots. When re-execution supports neither side, nothing is sent.
import { createWalletClient, http, toHex, zeroAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainOf } from '../chain/client.ts'
import { settlementRefereeAbi } from '../chain/contracts/SettlementReferee.ts'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { MarketError, MarketPhaseError, SettlementHoldsError } from '../errors/market.ts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { readMarket, readTerms } from '../markets/chain.ts'
import { TASK_RULE } from '../markets/model.ts'
import { trainedModel } from '../markets/trained.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { GameDriver, Phase, openGame } from '../disputes/game.ts'
import { gameOfSettlement, settlementData } from '../disputes/gameOfSettlement.ts'
import { runProgram } from '../disputes/gameTrace.ts'
import { committedInput, decideCommitment } from '../disputes/settlementReferee.ts'
import { flag } from './args.ts'
import { sendingKey } from './keys.ts'
import { marketAccess, marketRef, sent } from './marketAccess.ts'
import { marketInput, shippedCheckpoint } from './marketSources.ts'

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

  // The side this machine's re-execution supports, and its trace of the settlement. The input: --input,
  // else the text an earlier commit published (on chain, held to the hash: a creator's URI may serve
  // nothing), else the market's input URI.
  const logged = flag(args, 'input')
    ? null
    : await committedInput(client, referee, ref.address, terms.inputHash)
  if (logged !== null)
    console.log(`✓ input: from the referee's Input log, the committed hash ${terms.inputHash}`)
  const input = logged ?? (await marketInput(args, terms))
  const c = decodeCheckpoint(checkpoint, checkpoint.length)
  const params = c.tensors.filter((t) => !/^[mv]\./.test(t.name))
  const market = { question: terms.question, input, outcomes: terms.outcomes }
  const game = await gameOfSettlement(c.config.model, params, market)
  const trace = runProgram(game.program, game.initial, 1, { data: settlementData(game) })
  const name = (k: number) => `${k} ${JSON.stringify(terms.outcomes[k])}`
  console.log(`re-executed: the model decides outcome ${name(game.outcome)}`)
  const counter = game.outcome === state.counter.outcome
  if (!counter && game.outcome !== state.proposal.outcome)
    throw new SettlementHoldsError(
      `Re-execution decides outcome ${name(game.outcome)}, neither the proposal's ${name(state.proposal.outcome)} nor the counter's ${name(state.counter.outcome)}: there is no side to defend. Nothing was sent.`,
    )
  console.log(`defending the ${counter ? 'counter-settlement' : 'proposal'}'s side`)

  const pollMs = Number(flag(args, 'poll') ?? 1000)
  const write = (what: string, functionName: string, fnArgs: unknown[], value?: bigint) =>
    sent(
      access,
      what,
      wallet.writeContract({
        address: referee,
        abi: settlementRefereeAbi,
        functionName,
        args: fnArgs,
        value,
      } as never),
    )
  const [commitWindow, disputeGame, bond] = await Promise.all([
    read<bigint>('commitWindow'),
    read<Address>('game'),
    read<bigint>('gameBond'),
  ])
  const commitEnd = state.counter.at + commitWindow
  const mine = trace.commits[1].root
  const rootOf = (root: Hex) => read<[Address, boolean, boolean]>('roots', [ref.address, root])
  const [by] = await rootOf(mine)
  if (by === zeroAddress) {
    const x = decideCommitment(trace, game.decide)
    await write('commit the honest trace root', 'commit', [
      ref.address,
      toHex(input),
      counter,
      x.root,
      x.slotProof,
      x.decideRoot,
      x.elementProof,
    ])
  } else if (by !== me) console.log(`the honest trace root is committed by ${by}, who defends it`)
  else console.log('this key committed the honest trace root')
  const defending = (await rootOf(mine))[0] === me

  // Every bound game of this root, played a move at a time (so no game's deadline passes while another is
  // played), and one game opened against each live root of the other side.
  const drivers = new Map<bigint, GameDriver>()
  const settled = new Set<bigint>()
  const opened = new Set<Hex>()
  const events = (eventName: 'Committed' | 'Bound') =>
    client.getContractEvents({
      address: referee,
      abi: settlementRefereeAbi,
      eventName,
      args: { market: ref.address },
      fromBlock: 0n,
    } as never) as Promise<{ args: Record<string, unknown> }[]>
  for (;;) {
    if ((await readMarket(client, ref)).phase !== 'disputed') break
    if (defending) {
      for (const e of await events('Bound')) {
        const id = e.args.gameId as bigint
        if (drivers.has(id)) continue
        const g = await client.readContract({
          address: disputeGame,
          abi: disputeGameAbi,
          functionName: 'gameOf',
          args: [id],
        })
        if (g.cRoot !== mine && g.dRoot !== mine) continue
        const role = g.cRoot === mine ? 'challenger' : 'defender'
        console.log(`playing game ${id} as ${role}`)
        drivers.set(id, new GameDriver(client, wallet, disputeGame, id, role, trace))
      }
      for (const e of await events('Committed')) {
        const root = e.args.root as Hex
        if (e.args.counter === counter || opened.has(root) || !(await rootOf(root))[2]) continue
        opened.add(root)
        const t = await read<{ work: Hex }>('termsFor', [ref.address, toHex(input), mine, root])
        const other = (await rootOf(root))[0]
        const { id } = await openGame(client, wallet, trace, {
          game: disputeGame,
          work: t.work,
          defender: other,
          defenderRoot: root,
          bond,
        })
        console.log(`opened game ${id} against ${other}'s root ${root}`)
        await write(`bind game ${id}`, 'bind', [ref.address, id, toHex(input)])
      }
      for (const [id, driver] of drivers) {
        if (settled.has(id)) continue
        const g = await driver.state()
        if (g.phase === Phase.Done) {
          console.log(g.winner === me ? `✓ won game ${id}` : `✗ lost game ${id}`)
          await write(`settle game ${id}`, 'settleGame', [id])
          settled.add(id)
          continue
        }
        await driver.move().catch(() => null) // a move the other made first is read again next round
        await driver.claimTimeout().catch(() => false)
      }
    }
    if ((await client.getBlock()).timestamp >= commitEnd) {
      const [p, q] = await read<readonly bigint[]>('live', [ref.address])
      if ((p === 0n) !== (q === 0n) && [...drivers.keys()].every((id) => settled.has(id))) {
        await write('ask the referee to rule', 'rule', [ref.address])
        break
      }
    }
    await new Promise((r) => setTimeout(r, pollMs))
  }
  const st = await readMarket(client, ref)
  console.log(`the market is ${st.phase}${st.phase === 'settled' ? `: outcome ${name(st.winner)}` : ''}`)
  return st.phase === 'settled' && st.winner === game.outcome ? 0 : 1
}
