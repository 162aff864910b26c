// A demo of the on-chain dispute game for the Settle page: two parties, each played by GameDriver from its
// own trace of the toy program (one honest, one with a lie planted at a random step, slot and element),
// signing with two of anvil's well-known dev keys. Dev chain only: those keys are public, so anywhere
// else they would be anyone's money.
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  parseEther,
  toHex,
  type Address,
  type PublicClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ChainConfigError } from '../errors/chain.ts'
import { chainOf } from '../chain/client.ts'
import { DEV_CHAIN_ID, type ChainConfig } from '../chain/config.ts'
import { mulberry32 } from '../util/random.ts'
import { GameDriver, Phase, openGame, type Role, type Wallet } from './game.ts'
import { runProgram, type Lie } from './gameTrace.ts'
import { toyInitial, toyProgram } from './gamePrograms.ts'

/**
 * anvil's second and third dev accounts (public knowledge, funded on every anvil chain). Not the first:
 * the dev chain's stage manager sends from it, and two senders on one key race for nonces.
 */
export const DEMO_KEYS = [
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
] as const

/** The demo's run: 6 steps of the toy program with 4×4 weights (10 slots a step). */
export const DEMO_STEPS = 6
export const DEMO_H = 4
export const DEMO_BOND = parseEther('0.01')

export interface DemoPlan {
  lie: Lie
  cheater: Role
}

/**
 * A random lie that reaches the final state (slots 4 to 8 feed the next step's weights; slot 9, a tanh
 * no later step reads, only in the last step) and a random cheater's role.
 */
export function demoPlan(next: () => number, steps = DEMO_STEPS, h = DEMO_H): DemoPlan {
  const slot = 4 + (next() % 6)
  const sizes = [0, 0, 0, 0, 2 * h, 2 * h, h * h, h * h, h * h, h * h]
  const lie = { step: slot === 9 ? steps : 1 + (next() % steps), slot, element: next() % sizes[slot] }
  return { lie, cheater: next() % 2 ? 'defender' : 'challenger' }
}

export interface DemoEvents {
  /** The game is open: its id, and each role's address. */
  opened?: (id: bigint, parties: Record<Role, Address>) => void
  /** A party made a move (the DisputeGame function it called). */
  moved?: (role: Role, move: string) => void
  /**
   * Pause before each move, so that a view polling the contract shows each: milliseconds (default 600),
   * or a function the next move waits for.
   */
  pause?: number | (() => Promise<void>)
  signal?: AbortSignal
}

/** Refuses any chain but the dev chain, and one with no dispute game configured. */
export function demoGameAddress(config: ChainConfig): Address {
  if (config.chainId !== DEV_CHAIN_ID)
    throw new ChainConfigError(
      `The demo game signs with anvil's public dev keys, so it only runs on the dev chain (${DEV_CHAIN_ID}), not chain ${config.chainId}.`,
    )
  if (!config.disputeGame)
    throw new ChainConfigError('No dispute game is configured on this chain (disputeGame=…).')
  return config.disputeGame
}

/**
 * Plays a whole game on the dev chain: the challenger opens, then both drivers move in turn until the
 * contract settles it. Returns the game's id and the final state.
 */
export async function playDemo(config: ChainConfig, plan: DemoPlan, seed: number, events: DemoEvents = {}) {
  const game = demoGameAddress(config)
  const { pause = 600, signal } = events
  const wait = typeof pause === 'number' ? () => new Promise((r) => setTimeout(r, pause)) : pause
  const chain = chainOf(config)
  const client = createPublicClient({ chain, transport: http(config.rpcUrl) }) as PublicClient
  const wallet = (key: `0x${string}`): Wallet =>
    createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(config.rpcUrl) })
  const [cWallet, dWallet] = DEMO_KEYS.map(wallet)

  const initial = toyInitial(DEMO_H, mulberry32(seed))
  const trees = new Map() // the two traces share most tensors: build each tree once
  const honest = runProgram(toyProgram(DEMO_H), initial, DEMO_STEPS, { trees })
  const liar = runProgram(toyProgram(DEMO_H), initial, DEMO_STEPS, { lie: plan.lie, trees })
  const [cTrace, dTrace] = plan.cheater === 'challenger' ? [liar, honest] : [honest, liar]

  const { id } = await openGame(client, cWallet, cTrace, {
    game,
    work: keccak256(toHex(`Lockstep demo game, seed ${seed}`)),
    defender: dWallet.account.address,
    defenderRoot: dTrace.commits[DEMO_STEPS].root,
    bond: DEMO_BOND,
  })
  events.opened?.(id, { challenger: cWallet.account.address, defender: dWallet.account.address })
  const drivers = [
    new GameDriver(client, cWallet, game, id, 'challenger', cTrace),
    new GameDriver(client, dWallet, game, id, 'defender', dTrace),
  ]
  for (;;) {
    signal?.throwIfAborted()
    await wait()
    const g = await drivers[0].state()
    if (g.phase === Phase.Done) return { id, game: g }
    let moved = false
    for (const d of drivers) {
      const move = await d.move()
      if (move) {
        events.moved?.(d.role, move)
        moved = true
        break
      }
    }
    if (!moved) throw new Error(`Neither party can move in phase ${g.phase}.`)
  }
}
