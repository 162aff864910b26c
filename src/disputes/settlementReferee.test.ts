// SettlementReferee on anvil: a market on the trained settlement model, settled and challenged with real
// signed settlements, ruled by dispute games over the settlement program whose terms the contract derives
// itself. An honest party and a cheater (a lie at a seeded operator and element, or in the decide slot
// alone) play to the end with no trusted party, the cheater as proposer and as challenger; both market
// parties colluding on a lie are defeated by a third party; the market then pays the honest side. Also: the
// constants re-derived from the checkpoint, the input published at the first commit (and read back by an
// observer, and by the CLI given no --input), the CLI playing a side, ruling by default and the refusals.
import { describe, expect, it } from 'vitest'
import {
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  http,
  keccak256,
  toFunctionSelector,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
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
  inputHashOf,
  marketTerms,
  readMarket,
  readTerms,
  settleMarket,
  type ContractRef,
} from '../markets/chain.ts'
import { deployMarkets, travel } from '../markets/testing.ts'
import { mulberry32 } from '../util/random.ts'
import { COPY, INPUT, outputCount } from './gameOps.ts'
import { gameOfSettlement, settlementData } from './gameOfSettlement.ts'
import { runProgram, type RunOptions } from './gameTrace.ts'
import { GameDriver, Phase, openGame } from './game.ts'
import { committedInput, decideCommitment, settlementRefereeConstants } from './settlementReferee.ts'
import { playOut, useGame, WINDOW, liarRun, trainedSettlement } from './testing.ts'
import { lockstep } from '../cli/testing.ts'

const { checkpoint, gpt, params, market } = trainedSettlement()
const REGISTRY = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address
const ONE = 10n ** 18n
const HOUR = 3600n
const chain = useGame()

describe('SettlementReferee', { timeout: 600_000 }, async () => {
  const game = await gameOfSettlement(gpt, params, market)
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
    const run: RunOptions['run'] = (s, ins, step) =>
      s === game.program[game.decide] ? Uint32Array.of(claim) : liarRun(s, ins, step)
    return { trace: runProgram(game.program, game.initial, 1, { data, trees, lie, run }), lie }
  }
  const settled = settle(trainedModel(checkpoint), market, TRAINED_URI, undefined, TASK_RULE)

  let config: ChainConfig
  let referee: Address
  let token: Address
  let factory: ContractRef
  const s = {} as Record<'alice' | 'bob', WalletSession>
  // A third party, neither market party: anvil's third dev key (the chain starts before the tests).
  let carol: typeof chain.alice
  const who = () => {
    carol ??= createWalletClient({
      account: privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'),
      chain: foundry,
      transport: http(chain.rpcUrl),
    })
    return { alice: chain.alice, bob: chain.bob, carol }
  }
  type Who = keyof ReturnType<typeof who>
  const BOND = 10n ** 17n

  it('is deployed with constants re-derived from the checkpoint; another market has the same program', async () => {
    const constants = await settlementRefereeConstants(gpt, params, 4)
    expect(constants.shape).toEqual([gpt.seqLen, game.program.length, game.losses])
    const other = await gameOfSettlement(gpt, params, {
      question: '?',
      input: 'rev:ab',
      outcomes: ['ba', 'ab', 'aa'],
    })
    expect(other.program.slice(0, -1)).toEqual(game.program.slice(0, -1))
    const deploy = (commitWindow: bigint) =>
      chain.alice.deployContract({
        abi: settlementRefereeAbi,
        bytecode: settlementRefereeBytecode,
        args: [
          chain.game,
          TRAINED_MODEL_HASH,
          constants.shape,
          constants.weightRoots,
          constants.siblings,
          commitWindow,
          BOND,
        ],
      })
    // Windows that would outlast the market's 7-day referee timeout are refused (a deployment's revert
    // carries the error's selector alone).
    await expect(deploy(7n * 24n * HOUR)).rejects.toThrow(toFunctionSelector('WindowsPastTimeout()'))
    referee = (await chain.client.waitForTransactionReceipt({ hash: await deploy(HOUR) })).contractAddress!
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
    for (const w of Object.values(s)) await mined(mint(w, 10_000n * ONE))
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
  // On another market than the test's, a receipt of `settled` relabelled: the chain checks only who signed.
  const signed = (key: Hex, outcome: number, m: typeof market = market) =>
    signSettlement({ ...settled, market: m, outcome }, privateKeyToAccount(key), {
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

  /** A market on `m` settled by bob with `proposed` and challenged by alice with `countered`. */
  async function disputed(
    proposed: number,
    countered: number,
    m: typeof market = market,
  ): Promise<ContractRef> {
    const ref = await created(m)
    await travel(chain.rpcUrl, HOUR)
    await mined(settleMarket(s.bob, chain.client, ref, await signed(chain.keys[1], proposed, m), 'ipfs://p'))
    await mined(
      challengeMarket(s.alice, chain.client, ref, await signed(chain.keys[0], countered, m), 'ipfs://c'),
    )
    expect((await readMarket(chain.client, ref)).phase).toBe('disputed')
    return ref
  }
  const write = (from: Who, functionName: string, args: unknown[]) =>
    who()[from].writeContract({ address: referee, abi: settlementRefereeAbi, functionName, args } as never)
  const read = <T>(functionName: string, args: unknown[]) =>
    chain.client.readContract({
      address: referee,
      abi: settlementRefereeAbi,
      functionName,
      args,
    } as never) as Promise<T>
  const input = toHex(market.input)
  /** `from` commits `trace`'s root for the counter's side (`counter`) or the proposal's, with `text`. */
  const commit = (from: Who, ref: ContractRef, counter: boolean, trace: typeof honest, text = input) => {
    const x = decideCommitment(trace, game.decide)
    return write(from, 'commit', [
      ref.address,
      text,
      counter,
      x.root,
      x.slotProof,
      x.decideRoot,
      x.elementProof,
    ])
  }
  /** The named error `tx` was refused with, and its arguments. */
  const refusal = async (tx: Promise<unknown>) => {
    const e = await tx.then(
      () => null,
      (x: unknown) => x,
    )
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
    if (!(revert instanceof ContractFunctionRevertedError)) throw e ?? new Error('Not refused.')
    return [revert.data?.errorName, ...(revert.data?.args ?? [])]
  }

  /** `c` opens a game with its trace against `d`'s committed root, binds it, and both play it out. */
  async function play(ref: ContractRef, c: [Who, typeof honest], d: [Who, typeof honest], dMoves = true) {
    const terms = await read<{ work: Hex; program: Hex; initial: Hex; initialDepth: number }>('termsFor', [
      ref.address,
      input,
      c[1].commits[1].root,
      d[1].commits[1].root,
    ])
    // The contract's own derivation is the trace's: program and initial tree.
    expect([terms.program, terms.initial, terms.initialDepth]).toEqual([
      c[1].programTree.root,
      c[1].commits[0].root,
      c[1].commits[0].depth,
    ])
    const { id, receipt: opened } = await openGame(chain.client, who()[c[0]], c[1], {
      game: chain.game,
      work: terms.work,
      defender: who()[d[0]].account.address,
      defenderRoot: d[1].commits[1].root,
      bond: BOND,
    })
    const bound = await mined(write('bob', 'bind', [ref.address, id, input]))
    const a = new GameDriver(chain.client, who()[c[0]], chain.game, id, 'challenger', c[1])
    const b = new GameDriver(chain.client, who()[d[0]], chain.game, id, 'defender', d[1])
    let g
    if (dMoves) g = await playOut(a, b)
    else {
      // The defender throws the game: it never joins, and the challenger claims the timeout.
      await chain.passTime(WINDOW + 1n)
      await a.claimTimeout()
      g = await a.state()
    }
    const settledGame = await mined(write('carol', 'settleGame', [id]))
    const gas = [...a.sent, ...b.sent].reduce((n, t) => n + t.gas, 0n)
    const extra = `open ${opened.gasUsed}, bind ${bound.gasUsed}, settleGame ${settledGame.gasUsed}`
    return { g, gas, moves: a.sent.length + b.sent.length, extra }
  }
  const live = (ref: ContractRef) => read<readonly bigint[]>('live', [ref.address])
  const ruled = async (ref: ContractRef) => {
    await chain.passTime(HOUR)
    const r = await mined(write('carol', 'rule', [ref.address]))
    const st = await readMarket(chain.client, ref)
    return { phase: st.phase, winner: st.winner, gas: r.gasUsed }
  }

  it('names a cheating proposer (a lie at a seeded operator and element): the challenger wins the market', async () => {
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const liar = cheat(wrong, ops[mulberry32(7)() % ops.length])
    const committed = await mined(commit('bob', ref, false, liar.trace))
    await mined(commit('alice', ref, true, honest))
    await expect(write('carol', 'rule', [ref.address])).rejects.toThrow(/WindowOpen/)
    const r = await play(ref, ['alice', honest], ['bob', liar.trace])
    expect([r.g.winner, r.g.slot, r.g.element]).toEqual([
      chain.alice.account.address,
      liar.lie!.slot,
      liar.lie!.element,
    ])
    expect(await live(ref)).toEqual([0n, 1n])
    const end = await ruled(ref)
    expect([end.phase, end.winner]).toEqual(['settled', truth])
    console.log(
      `[settlement referee] lie in slot ${liar.lie!.slot}: ${r.moves} moves, ${r.gas} gas; commit ${committed.gasUsed}, ${r.extra}, rule ${end.gas}`,
    )
  })

  it('names a cheating challenger that claims another outcome from an honest forward: the proposal stands', async () => {
    const wrong = (truth + 2) % market.outcomes.length
    const ref = await disputed(truth, wrong)
    const liar = cheat(wrong)
    await mined(commit('bob', ref, false, honest))
    await mined(commit('alice', ref, true, liar.trace))
    const r = await play(ref, ['alice', liar.trace], ['bob', honest])
    expect([r.g.winner, r.g.slot]).toEqual([chain.bob.account.address, game.decide])
    const end = await ruled(ref)
    expect([end.phase, end.winner]).toEqual(['settled', truth])
    console.log(`[settlement referee] lie in the decide slot: ${r.moves} moves, ${r.gas} gas; ${r.extra}`)
  })

  it('a third party defends the truth when both market parties collude on a lie', async () => {
    // bob settles a lie; alice, his accomplice, challenges with the truth, commits a broken trace for it
    // and throws the game against bob's lie. Alone, they would settle the market on the lie.
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const lie = cheat(wrong, ops[mulberry32(21)() % ops.length])
    const broken = cheat(truth, ops[mulberry32(22)() % ops.length])
    await mined(commit('bob', ref, false, lie.trace))
    await mined(commit('alice', ref, true, broken.trace))
    const thrown = await play(ref, ['bob', lie.trace], ['alice', broken.trace], false)
    expect(thrown.g.winner).toBe(chain.bob.account.address)
    expect(await live(ref)).toEqual([1n, 0n])
    // carol, neither party, commits the honest trace for the counter's side and beats the lie.
    await mined(commit('carol', ref, true, honest))
    await expect(write('carol', 'rule', [ref.address])).rejects.toThrow(/WindowOpen/)
    const r = await play(ref, ['carol', honest], ['bob', lie.trace])
    expect(r.g.winner).toBe(who().carol.account.address)
    expect(await live(ref)).toEqual([0n, 1n])
    const end = await ruled(ref)
    expect([end.phase, end.winner]).toEqual(['settled', truth])
  })

  it('refuses a commitment to another outcome, a repeat, a game bound late or at another bond; rules by default', async () => {
    const ref = await disputed((truth + 1) % 3, truth)
    // The honest trace decides `truth`, not the proposal's outcome: committing it for that side is refused.
    await expect(commit('bob', ref, false, honest)).rejects.toThrow(/BadDecideProof/)
    await mined(commit('alice', ref, true, honest))
    await expect(commit('carol', ref, true, honest)).rejects.toThrow(/AlreadyCommitted/)
    const liar = cheat((truth + 1) % 3)
    await mined(commit('bob', ref, false, liar.trace))
    const terms = await read<{ work: Hex }>('termsFor', [
      ref.address,
      input,
      honest.commits[1].root,
      liar.trace.commits[1].root,
    ])
    const open = (bond: bigint) =>
      openGame(chain.client, chain.alice, honest, {
        game: chain.game,
        work: terms.work,
        defender: chain.bob.account.address,
        defenderRoot: liar.trace.commits[1].root,
        bond,
      })
    // Term 6 is the bond, term 7 the binding deadline (bind's order).
    const cheap = await open(BOND / 2n)
    expect(await refusal(write('alice', 'bind', [ref.address, cheap.id, input]))).toEqual([
      'TermsDiffer',
      cheap.id,
      6,
    ])
    const late = await open(BOND)
    await chain.passTime(WINDOW / 2n + 1n)
    expect(await refusal(write('alice', 'bind', [ref.address, late.id, input]))).toEqual([
      'TermsDiffer',
      late.id,
      7,
    ])
    // Unbound games count for nothing: both roots stay live, and nothing is ruled.
    await chain.passTime(HOUR)
    await expect(write('carol', 'rule', [ref.address])).rejects.toThrow(/Undecided/)
    // A market where only one side commits is ruled for it once the window passes.
    const other = await disputed(truth, (truth + 2) % 3)
    await mined(commit('carol', other, false, honest))
    const end = await ruled(other)
    expect([end.phase, end.winner]).toEqual(['settled', truth])
  })

  it('publishes the input at the first commit: a commit with another input is refused, an observer reads it back', async () => {
    // The creator (bob) gives no input URI: before this, it could commit its lie and keep the input to itself.
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const { inputHash } = await readTerms(chain.client, ref)
    expect(inputHash).toBe(keccak256(input))
    const liar = cheat(wrong)
    for (const other of [toHex(market.input + ' '), '0x'] as Hex[])
      expect(await refusal(commit('bob', ref, false, liar.trace, other))).toEqual([
        'WrongInput',
        keccak256(other),
      ])
    expect(await committedInput(chain.client, referee, ref.address, inputHash)).toBeNull()
    const first = await mined(commit('bob', ref, false, liar.trace))
    // An observer, from the logs alone: the text, whose keccak is the market's inputHash.
    const logs = await chain.client.getContractEvents({
      address: referee,
      abi: settlementRefereeAbi,
      eventName: 'Input',
      args: { market: ref.address },
      fromBlock: 0n,
    })
    expect(logs.map((l) => [l.transactionHash, l.args.input])).toEqual([[first.transactionHash, input]])
    expect(keccak256(logs[0].args.input!)).toBe(inputHash)
    const text = await committedInput(chain.client, referee, ref.address, inputHash)
    expect(text).toBe(market.input)
    expect(inputHashOf(text!)).toBe(inputHash)
    // Logged once: the other side's commit pays only the calldata.
    const second = await mined(commit('carol', ref, true, honest))
    const again = await chain.client.getContractEvents({
      address: referee,
      abi: settlementRefereeAbi,
      eventName: 'Input',
      args: { market: ref.address },
      fromBlock: 0n,
    })
    expect(again).toHaveLength(1)
    // The same commit on a market whose input is 1,000 bytes longer: the gas per byte of input.
    const long = { ...market, input: market.input + ' '.repeat(1000) }
    const big = await disputed(wrong, truth, long)
    const longFirst = await mined(commit('bob', big, false, liar.trace, toHex(long.input)))
    console.log(
      `[settlement referee] commit (input ${input.length / 2 - 1} B): first ${first.gasUsed} (logs it), next ${second.gasUsed}; first with 1,000 B more input ${longFirst.gasUsed}`,
    )
  })

  it('refuses every root for a market no game could be bound on: an outcome past the window, a count without a program', async () => {
    const T = gpt.seqLen
    const zero = `0x${'00'.repeat(32)}`
    // Outcome 1 is T - 1 bytes: with the answer's end T rows, past the T - 1 after the row holding "=".
    // Before commit refused it, the honest root committed alone would have been ruled for by default.
    const long = { ...market, outcomes: ['acd', 'c'.repeat(T - 1), 'dca'] }
    const ref = await disputed((truth + 1) % 3, truth, long)
    expect(await refusal(commit('carol', ref, true, honest))).toEqual(['OutcomeLength', 1n, BigInt(T - 1)])
    expect(await refusal(read('termsFor', [ref.address, toHex(long.input), zero, zero]))).toEqual([
      'OutcomeLength',
      1n,
      BigInt(T - 1),
    ])
    await chain.passTime(HOUR)
    expect(await refusal(write('carol', 'rule', [ref.address]))).toEqual(['Undecided', ref.address, 0n, 0n])
    // One byte shorter fits: its terms are derived, and commit refuses it only for not being disputed.
    const fits = await created({ ...market, outcomes: ['acd', 'c'.repeat(T - 2), 'dca'] })
    await read('termsFor', [fits.address, input, zero, zero])
    expect(await refusal(commit('carol', fits, true, honest))).toEqual(['NotDisputed', fits.address])
    // The referee is deployed with programs for 2 to 4 outcomes.
    const five = { ...market, outcomes: ['acd', 'cad', 'dca', 'adc', 'cda'] }
    const many = await disputed((truth + 1) % 5, truth, five)
    expect(await refusal(commit('carol', many, true, honest))).toEqual(['OutcomeCount', 5n])
  })

  it('derives the terms of a market whose prompt is cut to the window, as gameOfSettlement does', async () => {
    const long = {
      question: '?',
      input: 'sort:' + 'zyxwvutsrqponml',
      outcomes: ['lmnop', 'l', 'lmnopqrstuvwxyz'],
    }
    const ref = await created(long)
    const mine = await gameOfSettlement(gpt, params, long)
    const trace = runProgram(mine.program, mine.initial, 1, { data: settlementData(mine), trees })
    const zero = `0x${'00'.repeat(32)}`
    const terms = await read<{ program: Hex; initial: Hex }>('termsFor', [
      ref.address,
      toHex(long.input),
      zero,
      zero,
    ])
    expect([terms.program, terms.initial]).toEqual([trace.programTree.root, trace.commits[0].root])
    // Another input than the one the market holds the hash of is refused by name.
    await expect(read('termsFor', [ref.address, toHex(long.input + ' '), zero, zero])).rejects.toThrow(
      /WrongInput/,
    )
  })

  it('`lockstep market game` defends the truth to the ruling against a cheating proposer', async () => {
    const wrong = (truth + 1) % market.outcomes.length
    const ref = await disputed(wrong, truth)
    const liar = cheat(wrong, ops[mulberry32(11)() % ops.length])
    // The cheater (the creator, with no input URI) commits first; the CLI (alice's key), given no --input,
    // reads the input its commit published, commits the honest root, opens, binds and plays.
    await mined(commit('bob', ref, false, liar.trace))
    const run = lockstep(
      ['market', 'game', ref.address, '--rpc', chain.rpcUrl, '--factory', factory.address, '--poll', '200'],
      { env: { LOCKSTEP_KEY: chain.keys[0] }, limitMs: 400_000 },
    )
    let id = 0n
    while (id === 0n) {
      const bound = await chain.client.getContractEvents({
        address: referee,
        abi: settlementRefereeAbi,
        eventName: 'Bound',
        args: { market: ref.address },
        fromBlock: 0n,
      })
      id = bound[0]?.args.gameId ?? 0n
      await new Promise((r) => setTimeout(r, 300))
    }
    const b = new GameDriver(chain.client, chain.bob, chain.game, id, 'defender', liar.trace)
    while ((await b.state()).phase !== Phase.Done)
      if (!(await b.move().catch(() => null))) await new Promise((r) => setTimeout(r, 200))
    // Past the commit window the CLI asks for the ruling.
    await chain.passTime(HOUR)
    const r = await run
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/input: from the referee's Input log/)
    expect(r.stdout).toMatch(/won game/)
    expect(r.status).toBe(0)
    const st = await readMarket(chain.client, ref)
    expect([st.phase, st.winner]).toEqual(['settled', truth])
  })
})
