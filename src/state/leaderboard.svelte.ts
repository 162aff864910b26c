// The Join panel's view of a swarm in the SwarmCoordinator (docs/chain.md#the-leaderboard-view): the
// chain's round and stage, this peer's on-chain identity, the verified-reward board with this peer's and
// known peers' rows, and each known peer's claims in the latest rounds. It polls the chain every few
// seconds while shown; stop() ends that. Reads only: nothing here sends.
import type { Address, PublicClient } from 'viem'
import {
  readClaim,
  readLeaderboard,
  readPeers,
  readSwarm,
  type SwarmRef,
  type SwarmState,
} from '../chain/coordinator.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { detailStages, leaderRows, withIds, type LeaderRow, type RoundDetail } from './leaderboardRows.ts'

/** How often the view reads the chain while shown: about a block on most chains, cheap reads. */
export const LEADERBOARD_POLL_MS = 4000

export class LeaderboardWatch {
  /** The swarm's state on the chain; null before the first read, or when the coordinator has no such swarm. */
  swarm = $state.raw<SwarmState | null>(null)
  /** Whether a read has answered (a null `swarm` then means no such swarm). */
  loaded = $state(false)
  rows = $state.raw<LeaderRow[]>([])
  /** This peer's id and the address the coordinator has for it (null: not registered). */
  me = $state.raw<{ peerId: string; eoa: Address | null } | null>(null)
  detail = $state.raw<RoundDetail[]>([])
  /** The last read's failure; the last good data stays shown beside it. */
  error = $state.raw<ErrorInfo | null>(null)
  /** This tab's peer id, and the swarm peers it knows of: read at each poll. */
  self: string | null = null
  known: string[] = []

  readonly #client: PublicClient
  readonly ref: SwarmRef
  readonly #intervalMs: number
  #timer: ReturnType<typeof setTimeout> | null = null
  #running = false

  constructor(client: PublicClient, ref: SwarmRef, { intervalMs = LEADERBOARD_POLL_MS } = {}) {
    this.#client = client
    this.ref = ref
    this.#intervalMs = intervalMs
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    const tick = async () => {
      await this.refresh()
      if (this.#running) this.#timer = setTimeout(tick, this.#intervalMs)
    }
    void tick()
  }

  stop(): void {
    this.#running = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** One read of everything shown; never throws (a failure is `error`). */
  async refresh(): Promise<void> {
    const client = this.#client
    const self = this.self
    const peers = [self, ...this.known].filter((p, i, all): p is string => !!p && all.indexOf(p) === i)
    try {
      const swarm = await readSwarm(client, this.ref)
      if (!swarm) return this.#show(null, [], null, [])
      const [board, extra] = await Promise.all([
        readLeaderboard(client, this.ref),
        peers.length ? readPeers(client, this.ref, peers).then((t) => withIds(peers, t)) : [],
      ])
      const stages = detailStages(swarm.round, swarm.stage, swarm.stageCount)
      const detail = await Promise.all(
        stages.map(async ({ round, stage }) => ({
          round,
          stage,
          claims: await Promise.all(
            peers.map(async (peerId) => ({
              peerId,
              claim: await readClaim(client, this.ref, round, stage, peerId),
            })),
          ),
        })),
      )
      const rows = leaderRows(board, extra, self)
      const mine = self ? rows.find((r) => r.peerId === self) : undefined
      this.#show(swarm, rows, self ? { peerId: self, eoa: mine?.eoa ?? null } : null, detail)
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  #show(swarm: SwarmState | null, rows: LeaderRow[], me: LeaderboardWatch['me'], detail: RoundDetail[]) {
    this.swarm = swarm
    this.rows = rows
    this.me = me
    this.detail = detail
    this.error = null
    this.loaded = true
  }
}
