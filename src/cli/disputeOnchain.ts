// `lockstep dispute --onchain <mine.json> <theirs.json>`: this party's side of the on-chain dispute game
// (contracts/referee/DisputeGame.sol, docs/disputes.md "The game") over the first step two training receipts
// disagree on. The agreed state is re-run here, the disputed step traced, and the game's program and this
// party's trace built from that trace (gameOfStep); then the game is played move by move to its end. With
// --their-trace (the other producer's `lockstep trace` file of that step) or --their-commitment (its signed
// commitment, which holds it to the game) it opens a game against the other receipt's producer; with --id it
// joins or plays game N, with --watch the game opened against this party over this step; with --commit it
// writes this party's own signed commitment and stops. Nobody is trusted: the contract recomputes the
// element the two traces narrow to.
import { readFileSync, writeFileSync } from 'node:fs'
import {
  createPublicClient,
  createWalletClient,
  formatEther,
  getAddress,
  http,
  isAddress,
  parseEther,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainOf } from '../chain/client.ts'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { DEV_CHAIN_ID, devChain, type ChainConfig } from '../chain/config.ts'
import { ChainConfigError } from '../errors/chain.ts'
import { UsageError } from '../errors/cli.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { resolveRelease, trainingBackend } from '../receipts/releases.ts'
import { splitCorpus } from '../train/data.ts'
import { cpuBackend } from '../train/cpu.ts'
import { Trainer, type Checkpoint } from '../train/trainer.ts'
import { firstDivergentStep, type StepTrace } from '../disputes/dispute.ts'
import { GameDriver, Phase, openGame, type Role } from '../disputes/game.ts'
import {
  commitmentOf,
  readTraceCommitment,
  signTraceCommitment,
  type SignedTraceCommitment,
  type TraceCommitment,
} from '../disputes/commitment.ts'
import {
  gameOfStep,
  dataLeaves,
  probeState,
  scheduleOf,
  stepData,
  type StepGame,
} from '../disputes/gameOfStep.ts'
import { runProgram, type GameTrace, type RunOptions } from '../disputes/gameTrace.ts'
import { readStepTrace, traceStep } from '../disputes/stepTrace.ts'
import { flag, positional } from './args.ts'
import { chainIdAt } from './coordinatorArgs.ts'
import { sendingKey } from './keys.ts'
import { shippedCorpus } from './reexec.ts'

const DEFAULT_BOND = '0.01'
const PHASE_NAMES = Object.keys(Phase)

export async function onchainDisputeCommand(args: string[], usage: string): Promise<number> {
  const files = positional(args, ['onchain', 'commit', 'watch'])
  const id = flag(args, 'id')
  const theirTrace = flag(args, 'their-trace')
  const theirCommitment = flag(args, 'their-commitment')
  const commit = args.includes('--commit')
  const watch = args.includes('--watch')
  // One of: publish this party's commitment, open a game (their trace or commitment), play game N, or
  // wait for a game opened against this party.
  const modes = [commit, theirTrace !== undefined || theirCommitment !== undefined, id !== undefined, watch]
  if (files.length !== 2 || modes.filter(Boolean).length !== 1) {
    console.error(usage)
    return 2
  }
  const [mine, theirs] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as TrainingReceipt)
  for (const [i, r] of [mine, theirs].entries()) {
    const failed = (await validateTrainingReceipt(r)).filter((c) => !c.ok)
    if (failed.length) {
      console.log(
        `✗ ${files[i]} does not validate: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
      )
      return 1
    }
  }
  const { index: step } = firstDivergentStep(mine, theirs)
  console.log(`first divergent step: ${step}`)
  const side = await disputedStep(args, mine, step)
  // This party's own trace of the step: --trace (e.g. `lockstep trace --gpu`, the run whose result is
  // disputed), else the one just re-run here on the CPU reference.
  const own = flag(args, 'trace')
  const ownTrace = own === undefined ? side.trace : traceFor(own, mine, step)
  const game = gameOfStep(ownTrace, side.before.tensors, side.probe, {
    maxNorm: mine.body.config.clip,
    schedule: scheduleOf(mine.body.config),
  })
  const data = dataLeaves(game, 1, side.data)
  const trees: RunOptions['trees'] = new Map()
  const trace = recordedTrace(game, data, trees)
  console.log(`game program: ${game.program.length} slots; this party's final root ${trace.commits[1].root}`)

  const chain = await gameChain(args)
  const key = await sendingKey(args, chain.config.chainId)
  const wallet = createWalletClient({
    account: privateKeyToAccount(key),
    chain: chainOf(chain.config),
    transport: http(chain.config.rpcUrl, { retryCount: 0, timeout: 30_000 }),
  })
  if (commit) {
    // This party's answer, published before any game: its program, initial tree and root, signed.
    if (wallet.account.address.toLowerCase() !== mine.body.producer.toLowerCase())
      throw new UsageError(
        `The key is ${wallet.account.address}; ${files[0]} was produced by ${mine.body.producer}, who must sign.`,
      )
    const signed = await signTraceCommitment(commitmentOf(trace, mine.receiptHash), wallet.account, {
      chainId: chain.config.chainId,
      game: chain.game,
    })
    const out = flag(args, 'out') ?? `commitment-step${step}.json`
    writeFileSync(out, JSON.stringify(signed, null, 2))
    console.log(`wrote ${out}: this party's signed commitment to its trace of step ${step}`)
    return 0
  }
  let gameId: bigint
  let role: Role
  const pollMs = Number(flag(args, 'poll') ?? 1000)
  if (theirTrace !== undefined || theirCommitment !== undefined) {
    // Their root, from their own trace of the step (built as this party builds its own) and from their
    // signed commitment: with both, they must agree.
    const roots: Hex[] = []
    if (theirTrace !== undefined) {
      const them = gameOfStep(traceFor(theirTrace, theirs, step), side.before.tensors, side.probe, {
        maxNorm: mine.body.config.clip,
        schedule: scheduleOf(mine.body.config),
      })
      roots.push(recordedTrace(them, data, trees).commits[1].root)
    }
    let signed: SignedTraceCommitment | undefined
    if (theirCommitment !== undefined) {
      signed = await readTraceCommitment(readFileSync(theirCommitment, 'utf8'))
      const off = commitmentMismatch(signed, commitmentOf(trace, theirs.receiptHash), {
        signer: theirs.body.producer,
        chainId: chain.config.chainId,
        game: chain.game,
      })
      if (off.length) {
        console.log(`✗ their commitment is not to this dispute's terms: ${off.join('; ')}`)
        return 1
      }
      roots.push(signed.root)
    }
    if (roots.length === 2 && roots[0] !== roots[1]) {
      console.log(`✗ their trace ends at ${roots[0]} but their commitment names ${roots[1]}`)
      return 1
    }
    const defenderRoot = roots[0]
    if (defenderRoot === trace.commits[1].root) {
      console.log('✗ their trace of the step is this one: there is nothing to dispute on chain')
      return 1
    }
    const bond = parseEther(flag(args, 'bond') ?? DEFAULT_BOND)
    const opened = await openGame(chain.client, wallet, trace, {
      game: chain.game,
      work: theirs.receiptHash,
      defender: theirs.body.producer,
      defenderRoot,
      bond,
      commitment: signed?.signature,
    })
    gameId = opened.id
    role = 'challenger'
    console.log(
      `opened game ${gameId} against ${theirs.body.producer} (bond ${flag(args, 'bond') ?? DEFAULT_BOND} ETH${signed ? ', held to its commitment' : ''})`,
    )
  } else {
    if (id !== undefined && !/^\d{1,20}$/.test(id)) throw new UsageError(`--id ${id} is not a game id`)
    const from = flag(args, 'from-block') ?? '0'
    if (!/^\d{1,20}$/.test(from)) throw new UsageError(`--from-block ${from} is not a block number`)
    const fromBlock = BigInt(from)
    gameId =
      id !== undefined
        ? BigInt(id)
        : await gameAgainst(chain.client, chain.game, wallet.account.address, trace.programTree.root, {
            fromBlock,
            pollMs,
          })
    const g = await stateOf(chain.client, chain.game, gameId)
    const me = wallet.account.address
    if (g.defender !== me && g.challenger !== me)
      throw new UsageError(`Game ${gameId} is between ${g.challenger} and ${g.defender}, not ${me}.`)
    role = g.defender === me ? 'defender' : 'challenger'
    // Join only a game over this step's program: a game over another program is not this dispute.
    if (g.program !== trace.programTree.root) {
      console.log(`✗ game ${gameId} is over another program (${g.program}), not step ${step}'s`)
      return 1
    }
    console.log(`playing game ${gameId} as the ${role}`)
  }
  const driver = new GameDriver(chain.client, wallet, chain.game, gameId, role, trace)
  const won = await playToEnd(driver, pollMs)
  console.log(
    won ? `✓ the game named the other party: ${role} wins` : `✗ the game went against this party (${role})`,
  )
  // What this party won, in this game and any before, is credited to it on the contract: take it.
  const address = wallet.account.address
  const read = { address: chain.game, abi: disputeGameAbi, functionName: 'owed', args: [address] } as const
  const owed = await chain.client.readContract(read)
  if (owed > 0n) {
    await driver.withdraw()
    console.log(`withdrew ${formatEther(owed)} ETH to ${address}`)
  }
  return won ? 0 : 1
}

/**
 * How a signed commitment differs from the terms this party derived for the dispute (the program, the
 * initial tree, one step) and from whom and where it must come: each difference, named.
 */
function commitmentMismatch(
  signed: SignedTraceCommitment,
  derived: TraceCommitment,
  from: { signer: Address; chainId: number; game: Address },
): string[] {
  const off: string[] = []
  if (signed.signer.toLowerCase() !== from.signer.toLowerCase())
    off.push(`signed by ${signed.signer}, not their receipt's producer ${from.signer}`)
  if (signed.chainId !== from.chainId || signed.game.toLowerCase() !== from.game.toLowerCase())
    off.push(`for game ${signed.game} on chain ${signed.chainId}, not ${from.game} on ${from.chainId}`)
  for (const k of ['work', 'program', 'slots', 'steps', 'initial', 'initialDepth'] as const)
    if (signed[k] !== derived[k]) off.push(`${k} ${signed[k]}, derived ${derived[k]}`)
  return off
}

/** A `lockstep trace` file's trace, which must answer for receipt `r`'s step `step`. */
function traceFor(file: string, r: TrainingReceipt, step: number): StepTrace {
  const t = readStepTrace(readFileSync(file, 'utf8'))
  if (t.receiptHash !== r.receiptHash || t.step !== step)
    throw new UsageError(
      `${file} answers for ${t.receiptHash} step ${t.step}, not ${r.receiptHash} step ${step}.`,
    )
  return t.trace
}

/** The state both agree on (after step − 1), re-run on the receipt's release; the step's trace and a probe. */
async function disputedStep(args: string[], r: TrainingReceipt, step: number) {
  const b = r.body
  const { train } = splitCorpus(
    new Uint8Array(readFileSync(flag(args, 'corpus') ?? shippedCorpus(b.data.name))),
    b.data.valFraction,
  )
  const be = trainingBackend(resolveRelease(b.kernelsHash), cpuBackend)
  const trainer = Trainer.create(be, b.config)
  for (let s = 1; s < step; s++) await trainer.trainStep(train)
  const before: Checkpoint = await trainer.checkpoint()
  const { trace } = await traceStep(be, before, train)
  // The wiring from a probe of the same step (fresh state repeats values: gameOfStep explains).
  const state = probeState(before.tensors)
  const probe: { trace: StepTrace; state: typeof state } = {
    trace: (await traceStep(be, { ...before, tensors: state }, train)).trace,
    state,
  }
  const data = (s: number) => stepData(b.config, train, before.step, s)
  return { before, trace, probe, data }
}

/** A one-step game trace of the slots as this trace recorded them (what the party ran, lies and all). */
function recordedTrace(game: StepGame, data: Uint32Array[], trees: RunOptions['trees']): GameTrace {
  const slot = new Map(game.program.map((s, j) => [s, j]))
  return runProgram(game.program, game.initial, 1, {
    data,
    trees,
    run: (s) => game.bits[slot.get(s)!].slice(),
    inputs: () => [],
  })
}

async function gameChain(args: string[]) {
  const rpc = flag(args, 'rpc')
  if (!rpc || !/^https?:\/\//.test(rpc)) throw new UsageError('--rpc takes the chain’s http(s) JSON-RPC URL')
  const chainId = await chainIdAt(rpc)
  const given = flag(args, 'game')
  if (given !== undefined && !isAddress(given, { strict: false }))
    throw new UsageError(`--game ${given} is not an address`)
  const game = given ? getAddress(given) : chainId === DEV_CHAIN_ID ? devChain.disputeGame : undefined
  if (!game) throw new ChainConfigError(`Chain ${chainId} has no default dispute game: pass --game ADDR.`)
  // Only the chain itself: the game's address is all this command reads or writes.
  const config: ChainConfig = {
    chainId,
    name: `Chain ${chainId}`,
    rpcUrl: rpc,
    receiptRegistry: zeroAddress,
    swarmRegistry: zeroAddress,
  }
  const transport = http(rpc, { retryCount: 0, timeout: 10_000 })
  const client = createPublicClient({ chain: chainOf(config), transport, pollingInterval: 250 })
  return { client: client as PublicClient, config, game: game as Address }
}

/**
 * The newest unfinished game opened against `me` over `program` (this step's), from the Opened events that
 * name it as defender since `fromBlock`; until there is one, it says so once and polls.
 */
async function gameAgainst(
  client: PublicClient,
  game: Address,
  me: Address,
  program: Hex,
  { fromBlock, pollMs }: { fromBlock: bigint; pollMs: number },
): Promise<bigint> {
  let said = false
  for (;;) {
    const opened = await client.getContractEvents({
      address: game,
      abi: disputeGameAbi,
      eventName: 'Opened',
      args: { defender: me },
      fromBlock,
    })
    for (const { args } of opened.reverse()) {
      const g = await stateOf(client, game, args.id!)
      if (g.phase !== Phase.Done && g.program === program) {
        console.log(`found game ${args.id} opened against ${me} by ${g.challenger}`)
        return args.id!
      }
    }
    if (!said) console.log(`waiting for a game opened against ${me} over this step's program (${program})`)
    said = true
    await new Promise((r) => setTimeout(r, pollMs))
  }
}

const stateOf = (client: PublicClient, game: Address, id: bigint) =>
  client.readContract({ address: game, abi: disputeGameAbi, functionName: 'gameOf', args: [id] })

/**
 * Moves whenever the game waits on this party, claims a timeout when the other lets its deadline pass, and
 * otherwise waits `pollMs`; returns whether this party won. A move the other party made first (anyone may
 * prove the program entry or resolve) is read again, not an error.
 */
async function playToEnd(driver: GameDriver, pollMs: number): Promise<boolean> {
  let said = ''
  for (;;) {
    const g = await driver.state()
    if (g.phase === Phase.Done) return g.winner === driver.wallet.account.address
    // One line per stage, not per reveal: the descent alternates RevealD and RevealC many times.
    const stage =
      g.phase === Phase.RevealD || g.phase === Phase.RevealC
        ? `descending the ${g.tensorLevel ? `output elements of slot ${g.slot}` : `slots of step ${g.hi}`}`
        : `${PHASE_NAMES[g.phase]}${g.phase >= Phase.Spec ? ` (step ${g.hi}, slot ${g.slot})` : ''}`
    if (stage !== said) console.log(stage)
    said = stage
    let moved: string | null = null
    try {
      moved = await driver.move()
    } catch (e) {
      const now = await driver.state()
      if (now.phase === g.phase && now.pos === g.pos) throw e
    }
    if (moved) continue
    if (await driver.claimTimeout().catch(() => false)) continue
    await new Promise((r) => setTimeout(r, pollMs))
  }
}
