// In the browser project (not for the GPU: a real DOM and a real chain). The Settle page's dispute game
// view against anvil (commands.startAnvil): the demo game played to the end by two GameDrivers, the
// view's fields checked against DisputeGame.gameOf and the chain's clock before every move, the honest
// party the winner; and the demo refused off the dev chain, by name.
import { flushSync, mount, unmount } from 'svelte'
import axe from 'axe-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { commands } from 'vitest/browser'
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  type Address,
  type Hex,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import './theme.css'
import DisputeGameView from './DisputeGameView.svelte'
import { resolveChain, type ChainConfig } from '../chain/config.ts'
import { disputeGameAbi, disputeGameBytecode } from '../chain/contracts/DisputeGame.ts'
import { gameOperandsAbi, gameOperandsBytecode } from '../chain/contracts/GameOperands.ts'
import { refereeAbi, refereeBytecode } from '../chain/contracts/Referee.ts'
import { refereeGradAbi, refereeGradBytecode } from '../chain/contracts/RefereeGrad.ts'
import { refereeNormAbi, refereeNormBytecode } from '../chain/contracts/RefereeNorm.ts'
import { refereeRowsAbi, refereeRowsBytecode } from '../chain/contracts/RefereeRows.ts'
import { Phase, openGame } from '../disputes/game.ts'
import { runProgram } from '../disputes/gameTrace.ts'
import { toyInitial, toyProgram } from '../disputes/gamePrograms.ts'
import { idbAnchorStore } from '../chain/store.ts'
import { walletClient } from '../chain/client.ts'
import { mulberry32 } from '../util/random.ts'
import { Wallet } from '../state/wallet.svelte.ts'
import { DisputeGameWatch } from '../state/disputeGame.svelte.ts'

declare module 'vitest/browser' {
  interface BrowserCommands {
    startAnvil: () => Promise<string>
    stopAnvil: (rpcUrl: string) => Promise<void>
  }
}

/** anvil's first dev account, which deploys here (the demo plays with the second and third). */
const DEPLOYER: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

let rpcUrl: string
let client: PublicClient
let config: ChainConfig
beforeAll(async () => {
  rpcUrl = await commands.startAnvil()
  client = createPublicClient({ chain: foundry, transport: http(rpcUrl) }) as PublicClient
  const wallet = createWalletClient({
    account: privateKeyToAccount(DEPLOYER),
    chain: foundry,
    transport: http(rpcUrl),
  })
  const deployed = async (hash: Hex) =>
    (await client.waitForTransactionReceipt({ hash })).contractAddress as Address
  const referee = await deployed(await wallet.deployContract({ abi: refereeAbi, bytecode: refereeBytecode }))
  const rows = await deployed(
    await wallet.deployContract({ abi: refereeRowsAbi, bytecode: refereeRowsBytecode }),
  )
  const norm = await deployed(
    await wallet.deployContract({ abi: refereeNormAbi, bytecode: refereeNormBytecode }),
  )
  const grads = await deployed(
    await wallet.deployContract({ abi: refereeGradAbi, bytecode: refereeGradBytecode, args: [rows, norm] }),
  )
  const operands = await deployed(
    await wallet.deployContract({ abi: gameOperandsAbi, bytecode: gameOperandsBytecode }),
  )
  const game = await deployed(
    await wallet.deployContract({
      abi: disputeGameAbi,
      bytecode: disputeGameBytecode,
      args: [referee, grads, operands, 300n],
    }),
  )
  config = resolveChain({ rpc: rpcUrl, disputeGame: game })
}, 60_000)
afterAll(() => commands.stopAnvil(rpcUrl))

function show(watch: DisputeGameWatch, pause: () => Promise<void>) {
  const target = document.createElement('div')
  target.style.width = '375px'
  document.body.append(target)
  const app = mount(DisputeGameView, { target, props: { watch, pause } })
  return { target, close: () => (unmount(app), target.remove()) }
}

/** Whose move each phase waits for, as DisputeGame's modifiers and `timeout` define it. */
const TURN: Record<number, string> = {
  [Phase.Join]: 'defender',
  [Phase.Propose]: 'defender',
  [Phase.Answer]: 'challenger',
  [Phase.RevealD]: 'defender',
  [Phase.RevealC]: 'challenger',
  [Phase.Spec]: 'either',
  [Phase.ElementD]: 'defender',
  [Phase.ElementC]: 'challenger',
  [Phase.Resolve]: 'either',
  [Phase.Done]: '',
}

it('plays the demo game to the end: the view follows the contract move by move, the honest party wins', async () => {
  const watch = new DisputeGameWatch(config, 60_000) // polled here, before each move, not by the timer
  const phases: number[] = []
  const on: { el?: HTMLElement } = {}
  const check = async () => {
    await watch.refresh()
    flushSync()
    const [g, block] = await Promise.all([
      client.readContract({
        address: config.disputeGame!,
        abi: disputeGameAbi,
        functionName: 'gameOf',
        args: [watch.id!],
      }),
      client.getBlock(),
    ])
    phases.push(g.phase)
    const el = on.el!
    const state = el.querySelector('[data-testid="game-state"]')!
    const data = (k: string) => state.getAttribute(`data-${k}`)
    expect([data('phase'), data('lo'), data('hi'), data('turn')]).toEqual([
      String(g.phase),
      String(g.lo),
      String(g.hi),
      TURN[g.phase],
    ])
    expect(el.querySelector('[data-testid="game-challenger"]')!.textContent).toBe(g.challenger)
    expect(el.querySelector('[data-testid="game-defender"]')!.textContent).toBe(g.defender)
    if (g.phase !== Phase.Done) {
      expect(data('seconds-left')).toBe(String(g.deadline - block.timestamp))
      expect(el.querySelector('[data-testid="game-waiting"]')!.textContent).toContain(
        TURN[g.phase] === 'either' ? 'Someone' : `The ${TURN[g.phase]}`,
      )
    }
    expect(data('step')).toBe(g.hi - g.lo === 1 && g.phase >= Phase.RevealD ? String(g.hi) : '')
    if (g.phase >= Phase.Spec) expect(data('slot')).toBe(String(g.slot))
    if (g.phase === Phase.ElementD || g.phase === Phase.ElementC)
      expect(data('element')).toBe(String(2 * g.count - 2 - g.pos))
    if (g.phase === Phase.Resolve) expect(data('element')).toBe(String(g.element))
    const opened = el.querySelector('[data-testid="game-opened"]')
    if (g.phase === Phase.ElementC) expect(opened?.getAttribute('data-defender')).toBe(String(g.dBits))
    if (g.phase === Phase.Resolve)
      expect([opened?.getAttribute('data-defender'), opened?.getAttribute('data-challenger')]).toEqual([
        String(g.dBits),
        String(g.cBits),
      ])
    const descent = el.querySelector('[data-testid="game-descent"]')
    if (g.phase === Phase.RevealD || g.phase === Phase.RevealC) {
      expect(descent?.getAttribute('data-over')).toBe(g.tensorLevel ? 'elements' : 'slots')
      expect(descent?.getAttribute('data-level')).toBe(String(Math.floor(Math.log2(g.pos + 1))))
    } else expect(descent).toBeNull()
    expect(el.querySelector('[data-testid="game-bonds"]')!.textContent).toContain(
      g.phase === Phase.Join ? '0.01 ETH each; 0.01 ETH at stake' : '0.01 ETH each; 0.02 ETH at stake',
    )
    expect(el.querySelector('[data-testid="game-terms"]')!.getAttribute('data-committed')).toBe(
      String(g.committed),
    )
  }
  const view = show(watch, check)
  const el = (on.el = view.target)
  try {
    el.querySelector<HTMLButtonElement>('[data-testid="game-demo"]')!.click()
    for (let i = 0; i < 600 && watch.demo?.running !== false; i++)
      await new Promise((r) => setTimeout(r, 100))
    expect(watch.error).toBeNull()
    await check() // the settled game
    const plan = watch.demo!.plan
    const g = await client.readContract({
      address: config.disputeGame!,
      abi: disputeGameAbi,
      functionName: 'gameOf',
      args: [watch.id!],
    })
    const honest = plan.cheater === 'challenger' ? 'defender' : 'challenger'
    expect(g.winner).toBe(honest === 'challenger' ? g.challenger : g.defender)
    const state = el.querySelector('[data-testid="game-state"]')!
    const data = (k: string) => state.getAttribute(`data-${k}`)
    expect([data('winner'), data('reason')]).toEqual([honest, 'recompute'])
    // The game stops at exactly the planted lie.
    expect([data('step'), data('slot'), data('element')]).toEqual(
      [plan.lie.step, plan.lie.slot, plan.lie.element].map(String),
    )
    expect(el.querySelector('[data-testid="game-verdict"]')!.textContent).toContain(
      `The ${honest} wins: the contract recomputed element ${plan.lie.element} of slot ${plan.lie.slot}`,
    )
    // Every stage of the game was on screen at least once.
    for (const p of [Phase.Join, Phase.Propose, Phase.Answer, Phase.RevealD, Phase.RevealC, Phase.Spec])
      expect(phases).toContain(p)
    for (const p of [Phase.ElementD, Phase.ElementC, Phase.Resolve, Phase.Done]) expect(phases).toContain(p)
    // The two values opened differ by exactly the planted lie: the top significand bit.
    const opened = el.querySelector('[data-testid="game-opened"]')!
    expect(
      Number(opened.getAttribute('data-defender')) ^ Number(opened.getAttribute('data-challenger')),
    ).toBe(0x400000)
    // Readable (axe: no serious or critical violations) and within a 375 px phone.
    const { violations } = await axe.run(el)
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    ).toEqual([])
    expect(el.querySelector<HTMLElement>('[data-testid="dispute-game"]')!.scrollWidth).toBeLessThanOrEqual(
      375,
    )
    const demo = el.querySelector('[data-testid="game-demo-plan"]')!
    expect([demo.getAttribute('data-cheater'), demo.getAttribute('data-running')]).toEqual([
      plan.cheater,
      'false',
    ])
  } finally {
    watch.stop()
    view.close()
  }
}, 120_000)

it('refuses the demo off the dev chain, by name, and says so for a game id that names no game', async () => {
  const elsewhere = new DisputeGameWatch(
    resolveChain({
      chainId: '1',
      rpc: rpcUrl,
      registry: config.receiptRegistry,
      swarmRegistry: config.swarmRegistry,
      disputeGame: config.disputeGame,
    }),
  )
  const off = show(elsewhere, async () => {})
  try {
    off.target.querySelector<HTMLButtonElement>('[data-testid="game-demo"]')!.click()
    await new Promise((r) => setTimeout(r, 50))
    flushSync()
    expect(off.target.querySelector('[data-testid="game-error"]')?.getAttribute('data-name')).toBe(
      'ChainConfigError',
    )
    expect(elsewhere.demo).toBeNull()
  } finally {
    elsewhere.stop()
    off.close()
  }
  const watch = new DisputeGameWatch(config, 60_000)
  const view = show(watch, async () => {})
  try {
    watch.watch(999n)
    for (let i = 0; i < 50 && !watch.missing; i++) await new Promise((r) => setTimeout(r, 50))
    flushSync()
    expect(view.target.querySelector('[data-testid="game-missing"]')?.textContent).toContain('no game 999')
  } finally {
    watch.stop()
    view.close()
  }
})

it("with the visitor's wallet: ends a game whose defender never joined by timeout, then withdraws the bond", async () => {
  // The page's wallet (the dev wallet on this chain), funded for gas; it opens a game as the challenger
  // against anvil's third account, which never joins. Its queue keeps its own IndexedDB store: browser test
  // files run side by side, and MarketsPage.gpu.test.ts counts the jobs of the default one.
  const wallet = new Wallet(
    `?rpc=${encodeURIComponent(rpcUrl)}&disputeGame=${config.disputeGame}&registry=${config.receiptRegistry}`,
    idbAnchorStore(`lockstep-anchors-game-test-${Date.now()}`),
  )
  wallet.start()
  await wallet.connect('dev')
  const me = wallet.session!.address
  await client.request({ method: 'anvil_setBalance' as never, params: [me, '0xde0b6b3a7640000'] as never })
  const trace = runProgram(toyProgram(4), toyInitial(4, mulberry32(3)), 2)
  const other = runProgram(toyProgram(4), toyInitial(4, mulberry32(3)), 2, {
    lie: { step: 1, slot: 6, element: 0 },
  })
  // Sent through the wallet's own provider (the key it holds), as the page would.
  const challenger = walletClient(wallet.session!.provider, me, wallet.config)
  const { id } = await openGame(client, challenger, trace, {
    game: config.disputeGame!,
    work: `0x${'11'.repeat(32)}`,
    defender: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    defenderRoot: other.commits[2].root,
    bond: parseEther('0.01'),
  })
  const watch = new DisputeGameWatch(config, 200)
  const target = document.createElement('div')
  document.body.append(target)
  const app = mount(DisputeGameView, { target, props: { watch, wallet } })
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 150 && !ok(); i++) await new Promise((r) => setTimeout(r, 100))
    flushSync()
    expect(ok(), what).toBe(true)
  }
  const find = (id: string) => target.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)
  try {
    watch.watch(id)
    await until('the game is shown', () => watch.game !== null)
    // "Your games" lists it: this wallet is its challenger, and the move is the defender's.
    await until('your games list it', () => watch.mine?.some((m) => m.id === id) ?? false)
    flushSync()
    const row = target.querySelector(`[data-testid="game-mine"] li[data-id="${id}"]`)!
    expect([
      row.getAttribute('data-role'),
      row.getAttribute('data-your-move'),
      row.getAttribute('data-done'),
    ]).toEqual(['challenger', 'false', 'false'])
    flushSync()
    expect(find('game-timeout')).toBeNull() // the deadline has not passed
    await client.request({ method: 'evm_increaseTime' as never, params: [301] as never })
    await client.request({ method: 'evm_mine' as never, params: [] as never })
    await until('the timeout is offered', () => (flushSync(), find('game-timeout') !== null))
    // The wallet's controls and "Your games" are readable too.
    const { violations } = await axe.run(target)
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    ).toEqual([])
    expect(find('game-timeout')!.textContent).toContain('the challenger wins')
    find('game-timeout')!.click()
    await until('the game ends', () => watch.game?.phase === Phase.Done)
    expect(watch.game!.winner).toBe(me)
    await watch.loadMine()
    expect(watch.mine!.find((m) => m.id === id)).toMatchObject({ done: true, won: true })
    await until('the bond is owed', () => watch.owed === parseEther('0.01'))
    await until('withdraw is offered', () => (flushSync(), find('game-withdraw') !== null))
    expect(find('game-withdraw')!.textContent).toContain('Withdraw 0.01 ETH')
    const before = await client.getBalance({ address: me })
    find('game-withdraw')!.click()
    await until('nothing is owed', () => watch.owed === 0n)
    expect((await client.getBalance({ address: me })) > before).toBe(true)
    await until('both writes landed', () =>
      wallet.jobs.filter((j) => j.kind.startsWith('lockstep/game-')).every((j) => j.status === 'anchored'),
    )
    expect(
      wallet.jobs
        .filter((j) => j.kind.startsWith('lockstep/game-'))
        .map((j) => j.kind)
        .sort(),
    ).toEqual(['lockstep/game-timeout', 'lockstep/game-withdraw'])
    // A second withdrawal, with nothing owed, ends `missed` without a send.
    const again = await wallet.gameWrite({ kind: 'lockstep/game-withdraw', game: config.disputeGame! })
    await until('the empty withdrawal is missed', () =>
      wallet.jobs.some((j) => j.id === again.id && j.status === 'missed'),
    )
    const missed = wallet.jobs.find((j) => j.id === again.id)!
    expect([missed.lastError?.name, missed.txHash ?? null]).toEqual(['ChainMovedOnError', null])
  } finally {
    unmount(app)
    target.remove()
    watch.stop()
    wallet.stop()
  }
}, 60_000)
