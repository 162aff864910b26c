// One tab's membership in the RL swarm (docs/rl.md): the libp2p node and the RL peer's round loop on the
// page, its compute (rollouts, GRPO, hashes) in workers/rlSwarm.worker.ts. The peer reports each round
// (RoundReport, src/rl/types.ts); this store keeps the newest MAX_REPORTS of them and what the RL
// dashboard derives from them. The peer itself is started in rlWiring.ts.
import { joinSwarmNet, type BrowserSwarmNet, type RelayNote } from '../swarm/net/index.ts'
import { resolveRelays } from './relays.ts'
import type { RlCompute, RoundReport } from '../rl/types.ts'
import { SWARM_NAME, swarmUrlParams } from './swarmParams.ts'
import { startRlSwarmWorker } from './workers.ts'
import { loadWarmStartReward, rlTopic, startRlPeer, type RlPeerRunning } from './rlWiring.ts'
import { familyAccuracy, rewardSeries, standings } from './rlRounds.ts'
import type { SwarmPeerView } from './swarm.svelte.ts'
import { SwarmNameError } from '../errors/network.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { RlRewards, type RlRewardsStart } from './rlRewards.svelte.ts'
import type { PeerSigner } from '../chain/peerProof.ts'

/**
 * What claiming on chain needs from the page (a coordinator and a connected wallet, which registers `peer`
 * there), or why it can't.
 */
export type OnChain = (
  peer: PeerSigner,
) => Omit<RlRewardsStart, 'net' | 'compute' | 'name' | 'inflating'> | string

/** Rounds kept (a tab left open for a day runs thousands; the totals still count them all). */
export const MAX_REPORTS = 500
/** Rounds the accuracy table sums over: a round has only a few tasks of each family. */
export const ACCURACY_WINDOW = 10
/** How long a tab waits for its relay before starting alone (it keeps redialling in the background). */
const RELAY_WAIT_MS = 10_000

export class RlSwarmSession {
  status = $state<'idle' | 'joining' | 'waiting' | 'running' | 'leaving' | 'failed'>('idle')
  self = $state('')
  relay = $state<'connecting' | 'connected' | 'unreachable'>('connecting')
  /** Which relay the tab holds, where its address came from, and the listed relays it skipped. */
  relayInfo = $state.raw<{ addr: string | null; source: string; notes: RelayNote[] } | null>(null)
  peers = $state<SwarmPeerView[]>([])
  /** The swarm's name (`?swarmName=`, or typed before joining): tabs with one name meet. */
  name = $state('')
  /** "Make this peer cheat": publish rollouts that answer right but that its model did not produce. */
  cheat = $state(false)
  /** The first round this tab forged rollouts in since the switch went on (null while honest). */
  liedFrom = $state<number | null>(null)
  backend = $state('')
  error = $state<ErrorInfo | null>(null)
  /** The newest reports, in round order. */
  reports = $state.raw<RoundReport[]>([])
  /** Rollouts and bytes over every round since joining, not only those still in `reports`. */
  totals = $state({ rounds: 0, groupsSent: 0, groupsReceived: 0, bytesSent: 0, bytesReceived: 0 })
  /** Each peer this tab dropped, and the first round it was reported dropped in. */
  droppedAt = $state<Record<string, number>>({})
  /** This peer's first round since joining and its mean reward: the warm start's, in one round. */
  warmStart = $state<{ round: number; reward: number } | null>(null)
  /** The warm start's mean reward measured on held-out tasks (public/rl/warmstart.json), once loaded. */
  warmLevel = $state<number | null>(null)
  /** "Claim rewards on chain" (`?claim=1`): register, claim each coordinator round, attest to the others. */
  claim = $state(false)
  /** The cheat switch for claims: claim more than the rollouts earn. */
  inflate = $state(false)
  /** Why claiming is off although asked for (no coordinator, no wallet), or null. */
  claimBlocked = $state<string | null>(null)
  readonly rewards = new RlRewards()
  /** Set by the page: the wallet and coordinator claims go through. */
  onChain: OnChain | null = null
  /** Bumped whenever `reports` changes: the chart redraws on it. */
  version = $state(0)

  latest = $derived(this.reports.at(-1) ?? null)
  /** The chart's arrays, rebuilt when a report arrives (a few hundred points at most). */
  chart = $derived(rewardSeries(this.reports, this.warmLevel ?? this.warmStart?.reward ?? null))
  accuracy = $derived(familyAccuracy(this.reports, ACCURACY_WINDOW))
  standings = $derived(standings(this.latest))

  #net: BrowserSwarmNet | null = null
  #peer: RlPeerRunning | null = null
  #worker: Worker | null = null
  #timer: ReturnType<typeof setInterval> | undefined
  #compute: RlCompute | null = null
  #hooks: ReturnType<RlRewards['start']> | null = null

  /** Takes one round's report from the peer. A second report for a round replaces the first. */
  receive(report: RoundReport): void {
    const old = this.reports.find((r) => r.round === report.round)
    const sign = (r: RoundReport, k: 1 | -1) => ({
      rounds: k,
      groupsSent: k * r.groupsSent,
      groupsReceived: k * r.groupsReceived,
      bytesSent: k * r.bytesSent,
      bytesReceived: k * r.bytesReceived,
    })
    const t = { ...this.totals }
    for (const d of [old && sign(old, -1), sign(report, 1)])
      if (d) for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += d[k]
    this.totals = t
    const rest = this.reports.filter((r) => r !== old)
    const sorted = rest.at(-1) === undefined || rest.at(-1)!.round < report.round
    this.reports = (sorted ? [...rest, report] : [...rest, report].sort((a, b) => a.round - b.round)).slice(
      -MAX_REPORTS,
    )
    if (!this.warmStart || report.round <= this.warmStart.round)
      this.warmStart = { round: report.round, reward: report.meanReward }
    this.version++
    const dropped = report.peers.filter((p) => p.dropped && !(p.peer in this.droppedAt))
    if (dropped.length)
      this.droppedAt = {
        ...this.droppedAt,
        ...Object.fromEntries(dropped.map((p) => [p.peer, report.round])),
      }
  }

  /** Forgets every report (a new join starts a new history). */
  clear(): void {
    this.reports = []
    this.totals = { rounds: 0, groupsSent: 0, groupsReceived: 0, bytesSent: 0, bytesReceived: 0 }
    this.droppedAt = {}
    this.warmStart = null
    this.liedFrom = null
    this.version++
  }

  async join(search = location.search): Promise<void> {
    if (this.status !== 'idle' && this.status !== 'failed') return
    this.status = 'joining'
    this.error = null
    this.relayInfo = null
    this.clear()
    try {
      const url = swarmUrlParams(search)
      if (this.name && !SWARM_NAME.test(this.name))
        throw new SwarmNameError('A swarm name is 1 to 40 letters, digits, "-" or "_".')
      this.name ||= url.name
      if (url.cheat) this.cheat = true
      if (url.claim) this.claim = true
      if (url.inflate) this.inflate = true
      const { worker, api } = startRlSwarmWorker()
      this.#worker = worker
      this.backend = (await api.init({ backend: url.backend })).backend
      void loadWarmStartReward().then((level) => (this.warmLevel = level))
      this.#net = await joinSwarmNet(await resolveRelays(search, this.name), (err) => console.warn(err))
      const net = this.#net.net
      this.self = net.self
      this.#timer = setInterval(() => this.#poll(), 500)
      await this.#untilRelay()
      // Announce ourselves on the topic and wait for the quorum ?swarmMin asks for, so that tabs opened
      // together start round 0 together. Anything heard on the topic means a swarm already runs: join it.
      const topic = rlTopic(this.name)
      let running = false
      const present = net.subscribe(topic, () => (running = true))
      this.status = 'waiting'
      while (this.#net && !running && net.peers(topic).length + 1 < url.minPeers)
        await new Promise((r) => setTimeout(r, 200))
      if (!this.#net) return present()
      const compute: RlCompute = {
        rollouts: (model, tasks, G, rule) => api.rollouts(model, tasks, G, rule),
        update: (model, groups, params) => api.update(model, groups, params),
        stateHash: (model) => api.stateHash(model),
      }
      this.#compute = compute
      const peer = await startRlPeer({
        net,
        compute,
        forging: (round) => this.#forging(round),
        name: this.name,
        join: running,
        onRound: (r) => {
          this.receive(r)
          this.#rewardsRound(r)
        },
        onPublished: (p) => this.#hooks?.published(p),
        serve: (h) => this.#hooks?.serve(h),
        onError: (e) => {
          this.error = errorInfo(e)
          console.warn(e)
        },
      })
      present() // the peer holds its own subscription now
      // Left while the peer was starting: it must not run on without a page that shows it.
      if (!this.#net) return void (await peer.stop())
      this.#peer = peer
      this.status = 'running'
      this.#poll()
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'failed'
      await this.#teardown()
    }
  }

  async leave(): Promise<void> {
    if (this.status === 'idle' || this.status === 'leaving') return
    this.status = 'leaving'
    await this.#teardown()
    this.status = 'idle'
  }

  dispose(): void {
    void this.#teardown()
  }

  /**
   * Asked before each round's rollouts go out, with that round: the first round forged is the one the
   * peer runs, which a catch-up can make later than the newest report's next.
   */
  #forging(round: number): boolean {
    if (!this.cheat) this.liedFrom = null
    else if (this.liedFrom === null) this.liedFrom = round
    return this.cheat
  }

  /** After each round: start claiming once it is asked for and possible, then let the agent run a pass. */
  #rewardsRound(r: RoundReport): void {
    if (!this.claim || !this.#net || !this.#compute) return
    if (!this.#hooks) {
      const chain = this.onChain?.(this.#net.peer) ?? 'This page has no wallet.'
      this.claimBlocked = typeof chain === 'string' ? chain : null
      if (typeof chain === 'string') return
      this.#hooks = this.rewards.start({
        ...chain,
        net: this.#net.net,
        compute: this.#compute,
        name: this.name,
        inflating: () => this.inflate,
      })
    }
    this.#hooks.round(r)
  }

  #poll(): void {
    if (!this.#net) return
    const s = this.#net.status()
    this.relay = s.relay
    if (this.relayInfo?.addr !== s.relayAddr || this.relayInfo.notes !== s.relayNotes)
      this.relayInfo = { addr: s.relayAddr, source: s.relaySource, notes: s.relayNotes }
    // Swarm members only (not the relay), one row per peer however many connections it has.
    const members = this.#net.net.peers(rlTopic(this.name))
    const views: SwarmPeerView[] = []
    for (const p of s.peers) {
      if (!members.includes(p.id)) continue
      const seen = views.find((v) => v.id === p.id)
      if (!seen) views.push({ id: p.id, transport: p.direct ? 'webrtc' : 'circuit' })
      else if (p.direct) seen.transport = 'webrtc'
    }
    this.peers = views.sort((a, b) => a.id.localeCompare(b.id))
  }

  async #untilRelay(): Promise<void> {
    const deadline = Date.now() + RELAY_WAIT_MS
    while (this.#net && this.#net.status().relay !== 'connected' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100))
  }

  async #teardown(): Promise<void> {
    clearInterval(this.#timer)
    const peer = this.#peer
    const net = this.#net
    this.#peer = null
    this.#net = null
    this.rewards.stop()
    this.#hooks = null
    this.#compute = null
    await peer?.stop().catch(() => {})
    await net?.stop().catch(() => {})
    this.#worker?.terminate()
    this.#worker = null
    this.peers = []
  }
}
