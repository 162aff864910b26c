// The Settle page's watch on one on-chain dispute game: polls DisputeGame.gameOf, the latest block (the
// chain's clock, which deadlines are checked against) and, once settled, the Settled event; and plays the
// demo game on the dev chain. Read-only apart from the demo, which signs with dev keys of its own.
import { createPublicClient, http, type Address, type PublicClient } from 'viem'
import { chainOf } from '../chain/client.ts'
import { chainConfig, type ChainConfig } from '../chain/config.ts'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { ChainConfigError } from '../errors/chain.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { Phase, type Role } from '../disputes/game.ts'
import { demoGameAddress, demoPlan, playDemo, type DemoEvents, type DemoPlan } from '../disputes/gameDemo.ts'
import { mulberry32 } from '../util/random.ts'
import { gameView, type GameState, type Settled } from '../disputes/gameView.ts'

/** One game the connected account is a party to, as "Your games" lists it. */
export interface PartyGame {
  id: bigint
  role: Role
  done: boolean
  /** Whether the account won, once the game is over. */
  won: boolean | null
  /** The game waits on this party (or on anyone: proveSpec and resolve). */
  yourMove: boolean
  waiting: string
}

export class DisputeGameWatch {
  id = $state<bigint | null>(null)
  game = $state<GameState | null>(null)
  /** The latest block's timestamp when last polled. */
  now = $state<bigint | null>(null)
  settled = $state<Settled | null>(null)
  /** The connected wallet's address (the page sets it), and what the game contract owes it, polled. */
  account = $state<Address | null>(null)
  owed = $state<bigint | null>(null)
  /** The games that name `account` as a party (loadMine), newest first. */
  mine = $state<PartyGame[] | null>(null)
  /** The id names no game on this contract. */
  missing = $state(false)
  error = $state<ErrorInfo | null>(null)
  demo = $state<{
    seed: number
    plan: DemoPlan
    parties?: Record<Role, Address>
    moves: number
    running: boolean
  } | null>(null)
  readonly view = $derived(
    this.game && this.now !== null ? gameView(this.game, this.now, this.settled) : null,
  )

  readonly #client: PublicClient | null
  readonly #address: Address | null
  #timer: ReturnType<typeof setInterval> | null = null
  #abort: AbortController | null = null

  readonly config: ChainConfig | null

  /** `config` defaults to the page's chain; a page whose chain settings are wrong shows why, not a crash. */
  constructor(
    config?: ChainConfig,
    readonly intervalMs = 1000,
  ) {
    try {
      this.config = config ?? chainConfig(globalThis.location?.search ?? '')
    } catch (e) {
      this.config = null
      this.error = errorInfo(e)
    }
    this.#address = this.config?.disputeGame ?? null
    this.#client =
      this.config && this.#address
        ? (createPublicClient({
            chain: chainOf(this.config),
            transport: http(this.config.rpcUrl),
          }) as PublicClient)
        : null
  }

  /** The dispute game contract this page watches. */
  get address(): Address | null {
    return this.#address
  }

  get available() {
    return this.#address !== null
  }

  /** Starts polling game `id` (a new id forgets the old game's state). */
  watch(id: bigint) {
    if (id !== this.id) [this.game, this.settled, this.now, this.missing] = [null, null, null, false]
    this.id = id
    this.error = null
    this.#stopTimer()
    if (!this.#client) {
      this.error = errorInfo(
        new ChainConfigError('No dispute game is configured on this chain (disputeGame=…).'),
      )
      return
    }
    void this.refresh()
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs)
  }

  /** One poll: the game, the chain's clock and, once over, how it was settled. */
  async refresh() {
    const [client, address, id] = [this.#client, this.#address, this.id]
    if (!client || !address || id === null) return
    try {
      const account = this.account
      const [g, block, owed] = await Promise.all([
        client.readContract({ address, abi: disputeGameAbi, functionName: 'gameOf', args: [id] }),
        client.getBlock(),
        account
          ? client.readContract({ address, abi: disputeGameAbi, functionName: 'owed', args: [account] })
          : null,
      ])
      if (id !== this.id) return // a newer watch began meanwhile
      this.owed = account === this.account ? owed : null
      this.missing = g.phase === Phase.None
      this.game = g.phase === Phase.None ? null : (g as GameState)
      this.now = block.timestamp
      if (g.phase === Phase.Done && !this.settled) this.settled = await this.#settledOf(client, address, id)
      this.error = null
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  /**
   * The games whose Opened event names the connected account as challenger or defender, newest first (at
   * most `limit`), each with its state now: what the Settle page lists as "Your games".
   */
  async loadMine(limit = 20) {
    const [client, address, account] = [this.#client, this.#address, this.account]
    if (!client || !address || !account) return
    try {
      const opened = (role: Role) =>
        client.getContractEvents({
          address,
          abi: disputeGameAbi,
          eventName: 'Opened',
          args: role === 'challenger' ? { challenger: account } : { defender: account },
          fromBlock: 0n,
        })
      const [asChallenger, asDefender, block] = await Promise.all([
        opened('challenger'),
        opened('defender'),
        client.getBlock(),
      ])
      const ids = [
        ...asChallenger.map((l) => ({ id: l.args.id!, role: 'challenger' as const })),
        ...asDefender.map((l) => ({ id: l.args.id!, role: 'defender' as const })),
      ]
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit)
      const games = await Promise.all(
        ids.map(({ id }) =>
          client.readContract({ address, abi: disputeGameAbi, functionName: 'gameOf', args: [id] }),
        ),
      )
      if (account !== this.account) return
      this.mine = ids.map(({ id, role }, i) => {
        const v = gameView(games[i] as GameState, block.timestamp)
        const done = games[i].phase === Phase.Done
        return {
          id,
          role,
          done,
          won: done ? games[i].winner.toLowerCase() === account.toLowerCase() : null,
          yourMove: !done && (v.turn === role || v.turn === 'either'),
          waiting: v.waiting,
        }
      })
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  async #settledOf(client: PublicClient, address: Address, id: bigint): Promise<Settled | null> {
    const logs = await client.getContractEvents({
      address,
      abi: disputeGameAbi,
      eventName: 'Settled',
      args: { id },
      fromBlock: 0n,
    })
    const last = logs.at(-1)
    return last ? { byTimeout: last.args.byTimeout!, pot: last.args.pot!, ended: last.args.ended! } : null
  }

  /** Plays a demo game on the dev chain with a random lie, and watches it (`pause`: see DemoEvents). */
  async playDemo(pause: DemoEvents['pause'] = 600, seed = Math.floor(Math.random() * 2 ** 31)) {
    this.error = null
    try {
      if (!this.config) throw new ChainConfigError('This page has no chain configured.')
      demoGameAddress(this.config) // refuses any chain but the dev chain, by name, before anything runs
    } catch (e) {
      this.error = errorInfo(e)
      return
    }
    // The seed is the page's random pick; the lie and the cheater's role follow from it, so a run replays.
    const plan = demoPlan(mulberry32(seed ^ 0x5eed))
    this.demo = { seed, plan, moves: 0, running: true }
    this.#abort = new AbortController()
    try {
      await playDemo(this.config!, plan, seed, {
        pause,
        signal: this.#abort.signal,
        opened: (id, parties) => {
          this.demo = { ...this.demo!, parties }
          this.watch(id)
        },
        moved: () => {
          this.demo = { ...this.demo!, moves: this.demo!.moves + 1 }
          void this.refresh()
        },
      })
      await this.refresh()
    } catch (e) {
      if (!this.#abort?.signal.aborted) this.error = errorInfo(e)
    } finally {
      if (this.demo) this.demo = { ...this.demo, running: false }
    }
  }

  stop() {
    this.#abort?.abort()
    this.#stopTimer()
  }

  #stopTimer() {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
