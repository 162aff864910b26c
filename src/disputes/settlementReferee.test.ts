// SettlementReferee on anvil: a market on the trained settlement model, settled and challenged with real
// signed settlements, ruled by a dispute game over the settlement program whose terms the contract derives
// itself. An honest party and a cheater (a lie at a seeded operator and element, or in the decide slot
// alone) play to the end with no trusted party, the cheater as proposer and as challenger; the market then
// pays the honest side. Also: the constants re-derived from the checkpoint, a party that does not commit
// losing by default, and the named refusals.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { resolveChain, type ChainConfig } from '../chain/config.ts'
import { devWalletProvider } from '../chain/devWallet.ts'
import { connectWallet, type WalletSession } from '../chain/wallet.ts'
import { walletClient } from '../chain/client.ts'
import { testTokenAbi } from '../chain/contracts/TestToken.ts'
import { settlementRefereeAbi, settlementRefereeBytecode } from '../chain/contracts/SettlementReferee.ts'
import { trainedModel, TRAINED_MODEL_HASH, TRAINED_URI } from '../markets/trained.ts'
import { settle, signSettlement } from '../markets/settlement.ts'
import { TASK_RULE } from '../markets/model.ts'
import {
  approveCollateral,
  challengeMarket,
  createdMarket,
  createMarket,
  DEFAULT_FEES,
  marketTerms,
  readMarket,
  settleMarket,
  type ContractRef,
} from '../markets/chain.ts'
import { deployMarkets, travel } from '../markets/testing.ts'
import { mulberry32 } from '../util/random.ts'
import { COPY, INPUT, outputCount, runSlot } from './gameOps.ts'
import { gameOfSettlement, settlementData } from './gameOfSettlement.ts'
import { runProgram, type RunOptions } from './gameTrace.ts'
import { GameDriver, Phase, openGame } from './game.ts'
import { decideCommitment, settlementRefereeConstants } from './settlementReferee.ts'
import { playOut, useGame } from './testing.ts'
import { lockstep } from '../cli/testing.ts'

const checkpoint = new Uint8Array(readFileSync('public/rl/warmstart.lscp'))
const c = decodeCheckpoint(checkpoint, 1 << 20)
const params = c.tensors.filter((t) => !/^[mv]\./.test(t.name))
const market = {
  question: 'Which is `dca` with its letters in order?',
  input: 'sort:dca',
  outcomes: ['acd', 'cad', 'dca'],
}
const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const ONE = 10n ** 18n
const HOUR = 3600n
const chain = useGame()

describe('SettlementReferee', { timeout: 600_000 }, async () => {
  const game = await gameOfSettlement(c.config.model, params, market)
  const data = settlementData(game)
  const trees: RunOptions['trees'] = new Map()
  const honest = runProgram(game.program, game.initial, 1, { data, trees })
  const truth = game.outcome
  const ops = game.program.flatMap((s, j) => (s.kind === COPY || s.kind === INPUT ? [] : [j]))
  /** A cheater's trace: a lie at `slot` (if any) and the decide slot forced to `claim`. */
  const cheat = (claim: number, slot?: number) => {
    const next = mulberry32(0x5e7 + (slot ?? 0))
    const lie =
      slot === undefined ? undefined : { step: 1, slot, element: next() % outputCount(game.program[slot]) }
    const run: RunOptions['run'] = (s, ins, step) => {
      if (s === game.program[game.decide]) return Uint32Array.of(claim)
      try {
        return runSlot(s, ins, step)
      } catch {
        return new Uint32Array(outputCount(s)) // a lie no kernel takes: still one consistent trace
      }
    }
    return { trace: runProgram(game.program, game.initial, 1, { data, trees, lie, run }), lie }
  }
  const settled = settle(trainedModel(checkpoint), market, TRAINED_URI, undefined, TASK_RULE)

  let config: ChainConfig
  let referee: Address
  let token: Address
  let factory: ContractRef
  const s = {} as Record<'alice' | 'bob', WalletSession>
  const who = () => ({ alice: chain.alice, bob: chain.bob })

  it('is deployed with constants re-derived from the checkpoint; another market has the same program', async () => {
    const constants = await settlementRefereeConstants(c.config.model, params, 4)
    expect(constants.shape).toEqual([c.config.model.seqLen, game.program.length, game.losses])
    const other = await gameOfSettlement(c.config.model, params, {
      question: '?',
      input: 'rev:ab',
      outcomes: ['ba', 'ab', 'aa'],
    })
    expect(other.program.slice(0, -1)).toEqual(game.program.slice(0, -1))
    const hash = await chain.alice.deployContract({
      abi: settlementRefereeAbi,
      bytecode: settlementRefereeBytecode,
      args: [
        chain.game,
        TRAINED_MODEL_HASH,
        constants.shape,
        constants.weightRoots,
        constants.siblings,
        [HOUR, HOUR],
      ],
    })
    referee = (await chain.client.waitForTransactionReceipt({ hash })).contractAddress!
    config = resolveChain({ rpc: chain.rpcUrl, registry: REGISTRY })
    const d = await deployMarkets(chain.rpcUrl, chain.keys[0], {
      registry: REGISTRY,
      treasury: chain.alice.account.address,
      refereeOwner: chain.alice.account.address,
      referee,
    })
    token = d.token
    factory = { config, address: d.factory }
    s.alice = await connectWallet(devWalletProvider(chain.keys[0], config), 'alice')
    s.bob = await connectWallet(devWalletProvider(chain.keys[1], config), 'bob')
    for (const w of Object.values(s)) await mined(mint(w, 1000n * ONE))
  })

  const mined = async (hash: Promise<Hex>) => {
    const r = await chain.client.waitForTransactionReceipt({ hash: await hash })
    expect(r.status).toBe('success')
    return r
  }
  const mint = (w: WalletSession, amount: bigint) =>
    walletClient(w.provider, w.address, config).writeContract({
      address: token,
      abi: testTokenAbi,
      functionName: 'mint',
      args: [w.address, amount],
    } as never)
  const signed = (key: Hex, outcome: number) =>
    signSettlement({ ...settled, outcome }, privateKeyToAccount(key), {
      chainId: config.chainId,
      verifyingContract: REGISTRY,
    })

  /** A market on `m` created by bob, which everyone has approved. */
  async function created(m: typeof market = market): Promise<ContractRef> {
    const economics = {
      collateral: token,
      k: 1n,
      ...DEFAULT_FEES,
      ...{ liquidity: 100n * ONE, deposit: 20n * ONE, bond: 10n * ONE },
      ...{ tradingWindow: HOUR, settlementWindow: HOUR, challengeWindow: HOUR },
    }
    await mined(approveCollateral(s.bob, config, token, factory.address, economics.liquidity))
    const terms = marketTerms(m, { hash: TRAINED_MODEL_HASH, uri: TRAINED_URI }, { rule: TASK_RULE })
    const tx = createMarket(s.bob, factory, economics, terms)
    await mined(tx)
    const ref = { config, address: await createdMarket(chain.client, await tx) }
    for (const w of Object.values(s))
      await mined(approveCollateral(w, config, token, ref.address, 10n ** 30n))
    return ref
  }

  /** A market settled by bob with `proposed` and challenged by alice with `countered`. */
  async function disputed(proposed: number, countered: number): Promise<ContractRef> {
    const ref = await created()
    await travel(chain.rpcUrl, HOUR)
    await mined(settleMarket(s.bob, chain.client, ref, await signed(chain.keys[1], proposed), 'ipfs://p'))
    await mined(
      challengeMarket(s.alice, chain.client, ref, await signed(chain.keys[0], countered), 'ipfs://c'),
    )
    expect((await readMarket(chain.client, ref)).phase).toBe('disputed')
    return ref
  }
  const write = (from: 'alice' | 'bob', functionName: string, args: unknown[]) =>
    who()[from].writeContract({ address: referee, abi: settlementRefereeAbi, functionName, args } as never)
  const commit = (from: 'alice' | 'bob', ref: ContractRef, trace: typeof honest) => {
    const x = decideCommitment(trace, game.decide)
    return write(from, 'commit', [ref.address, x.root, x.slotProof, x.decideRoot, x.elementProof])
  }
  const input = toHex(market.input)

  /** alice (challenger) and bob (proposer) commit, alice opens the game, it is bound and played out, ruled. */
  async function playMarket(ref: ContractRef, aliceTrace: typeof honest, bobTrace: typeof honest) {
    const committed = await mined(commit('bob', ref, bobTrace))
    await mined(commit('alice', ref, aliceTrace))
    const terms = await chain.client.readContract({
      address: referee,
      abi: settlementRefereeAbi,
      functionName: 'termsFor',
      args: [ref.address, input],
    })
    // The contract's own derivation is the trace's: program, initial tree, roots, parties.
    expect(terms.program).toBe(aliceTrace.programTree.root)
    expect(terms.initial).toBe(aliceTrace.commits[0].root)
    expect(terms.initialDepth).toBe(aliceTrace.commits[0].depth)
    const { id, receipt: opened } = await openGame(chain.client, chain.alice, aliceTrace, {
      game: chain.game,
      work: terms.work,
      defender: chain.bob.account.address,
      defenderRoot: bobTrace.commits[1].root,
      bond: 10n ** 17n,
    })
    const bound = await mined(write('bob', 'bind', [ref.address, id, input]))
    const a = new GameDriver(chain.client, chain.alice, chain.game, id, 'challenger', aliceTrace)
    const b = new GameDriver(chain.client, chain.bob, chain.game, id, 'defender', bobTrace)
    const g = await playOut(a, b)
    const r = await mined(write('alice', 'rule', [ref.address]))
    const gas = [...a.sent, ...b.sent].reduce((n, t) => n + t.gas, 0n)
    const extra = `commit ${committed.gasUsed}, open ${opened.gasUsed}, bind ${bound.gasUsed}, rule ${r.gasUsed}`
    return { g, gas, moves: a.sent.length + b.sent.length, extra }
  }

  it('names a cheating proposer (a lie at a seeded operator and element): the challenger wins the market', async () => {
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const liar = cheat(wrong, ops[mulberry32(7)() % ops.length])
    const r = await playMarket(ref, honest, liar.trace)
    expect([r.g.winner, r.g.slot, r.g.element]).toEqual([
      chain.alice.account.address,
      liar.lie!.slot,
      liar.lie!.element,
    ])
    const st = await readMarket(chain.client, ref)
    expect([st.phase, st.winner]).toEqual(['settled', truth])
    console.log(
      `[settlement referee] lie in slot ${liar.lie!.slot}: ${r.moves} moves, ${r.gas} gas; ${r.extra}`,
    )
  })

  it('names a cheating challenger that claims another outcome from an honest forward: the proposal stands', async () => {
    const wrong = (truth + 2) % market.outcomes.length
    const ref = await disputed(truth, wrong)
    const liar = cheat(wrong)
    const r = await playMarket(ref, liar.trace, honest)
    expect([r.g.winner, r.g.slot]).toEqual([chain.bob.account.address, game.decide])
    const st = await readMarket(chain.client, ref)
    expect([st.phase, st.winner]).toEqual(['settled', truth])
    console.log(`[settlement referee] lie in the decide slot: ${r.moves} moves, ${r.gas} gas; ${r.extra}`)
  })

  it('refuses a commitment to another outcome, a stranger, and an early ruling; rules by default', async () => {
    const ref = await disputed((truth + 1) % 3, truth)
    // bob's honest trace decides `truth`, not the outcome bob claimed: its commitment is refused.
    await expect(commit('bob', ref, honest)).rejects.toThrow(/BadDecideProof/)
    await mined(commit('alice', ref, honest))
    await expect(commit('alice', ref, honest)).rejects.toThrow(/AlreadyCommitted/)
    await expect(write('alice', 'rule', [ref.address])).rejects.toThrow(/WindowOpen/)
    await chain.passTime(HOUR)
    // bob never committed a trace that decides its outcome: alice, who did, wins.
    await mined(write('bob', 'rule', [ref.address]))
    const st = await readMarket(chain.client, ref)
    expect([st.phase, st.winner]).toEqual(['settled', truth])
  })

  it('derives the terms of a market whose prompt is cut to the window, as gameOfSettlement does', async () => {
    const long = {
      question: '?',
      input: 'sort:' + 'zyxwvutsrqponml',
      outcomes: ['lmnop', 'l', 'lmnopqrstuvwxyz'],
    }
    const ref = await created(long)
    const mine = await gameOfSettlement(c.config.model, params, long)
    const trace = runProgram(mine.program, mine.initial, 1, { data: settlementData(mine), trees })
    const terms = await chain.client.readContract({
      address: referee,
      abi: settlementRefereeAbi,
      functionName: 'termsFor',
      args: [ref.address, toHex(long.input)],
    })
    expect([terms.program, terms.initial]).toEqual([trace.programTree.root, trace.commits[0].root])
    // Another input than the one the market holds the hash of is refused by name.
    await expect(
      chain.client.readContract({
        address: referee,
        abi: settlementRefereeAbi,
        functionName: 'termsFor',
        args: [ref.address, toHex(long.input + ' ')],
      }),
    ).rejects.toThrow(/WrongInput/)
  })

  it('`lockstep market game` plays an honest challenger to the ruling against a cheating proposer', async () => {
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const liar = cheat(wrong, ops[mulberry32(11)() % ops.length])
    const run = lockstep(
      [
        'market',
        'game',
        ref.address,
        '--rpc',
        chain.rpcUrl,
        '--factory',
        factory.address,
        '--input',
        market.input,
        '--poll',
        '200',
      ],
      { env: { LOCKSTEP_KEY: chain.keys[0] }, limitMs: 400_000 },
    )
    // The cheater commits, waits for the game the CLI opens and binds, and plays it.
    await mined(commit('bob', ref, liar.trace))
    let id = 0n
    while (id === 0n) {
      const [, , bound] = await chain.client.readContract({
        address: referee,
        abi: settlementRefereeAbi,
        functionName: 'disputes',
        args: [ref.address],
      })
      id = bound
      await new Promise((r) => setTimeout(r, 300))
    }
    const b = new GameDriver(chain.client, chain.bob, chain.game, id, 'defender', liar.trace)
    while ((await b.state()).phase !== Phase.Done)
      if (!(await b.move().catch(() => null))) await new Promise((r) => setTimeout(r, 200))
    const r = await run
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/this party won the game/)
    expect(r.status).toBe(0)
    const st = await readMarket(chain.client, ref)
    expect([st.phase, st.winner]).toEqual(['settled', truth])
  })
})
