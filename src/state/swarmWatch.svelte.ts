// The landing's live view of a swarm: a libp2p node that listens on the swarm's topic and sends nothing.
// It is an observer (joinSwarmNet's option): connected to the relay alone, so the swarm's members neither
// wait for it nor count it towards a `?swarmMin` quorum.
// What it shows is what the swarm's own messages say — the leader's decision (round, model hash, how many
// updates were averaged) and the training loss peers report with their commits, which is a claim: the
// Join page re-executes, this view does not. Loaded only after the landing is interactive (libp2p is
// most of the app's JavaScript), and stopped when the visitor leaves the landing or joins.
import { errorInfo, type ErrorInfo } from '../errors/info.ts'
import { decodeMessage, swarmTopic } from '../swarm/protocol/index.ts'
import { joinSwarmNet, type BrowserSwarmNet } from '../swarm/net/index.ts'
import { resolveRelays } from './relays.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { pageSwarmParams, swarmUrlParams } from './swarmParams.ts'

/** Without a message for this long, the swarm is said to be quiet (rounds take seconds). */
const QUIET_MS = 30_000

export class SwarmWatch {
  status = $state<'connecting' | 'listening' | 'live' | 'quiet' | 'unreachable'>('connecting')
  name = $state('')
  peers = $state(0)
  round = $state<number | null>(null)
  model = $state<string | null>(null)
  included = $state(0)
  /** Median of the training losses reported with this round's commits (claimed, not re-checked). */
  loss = $state<number | null>(null)
  error = $state<ErrorInfo | null>(null)

  #net: BrowserSwarmNet | null = null
  #stopped = false
  #timer: ReturnType<typeof setInterval> | undefined
  #heard = 0
  // Plain, not reactive: read on each decide, never rendered.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #losses = new Map<string, { round: number; loss: number }>()

  async start(search: string): Promise<void> {
    try {
      const url = swarmUrlParams(search)
      this.name = url.name
      // The topic is content-addressed: the corpus descriptor is part of the swarm's parameters.
      const params = pageSwarmParams(KJV_PENTATEUCH, url.stepsPerRound, url.name)
      if (this.#stopped) return
      const joined = await joinSwarmNet(await resolveRelays(search, url.name), () => {}, { observer: true })
      if (this.#stopped) return void (await joined.stop())
      this.#net = joined
      const topic = swarmTopic(params)
      joined.net.subscribe(topic, (m) => this.#onMessage(m.from, m.data))
      this.#timer = setInterval(() => {
        const s = joined.status()
        if (s.relay === 'unreachable') this.status = 'unreachable'
        else if (s.relay === 'connecting') this.status = 'connecting'
        else if (!this.#heard) this.status = 'listening'
        else this.status = Date.now() - this.#heard > QUIET_MS ? 'quiet' : 'live'
      }, 500)
    } catch (e) {
      this.error = errorInfo(e)
      this.status = 'unreachable'
    }
  }

  #onMessage(from: string, data: Uint8Array): void {
    let m
    try {
      m = decodeMessage(data)
    } catch {
      return
    }
    this.#heard = Date.now()
    if (m.type === 'commit') {
      this.#losses.set(from, { round: m.round, loss: m.loss })
      if (this.#losses.size > 256) this.#losses.delete(this.#losses.keys().next().value!)
    }
    if (m.type === 'decide' && (this.round === null || m.round >= this.round)) {
      this.round = m.round
      this.model = m.model
      this.included = m.included.length
      const losses = [...this.#losses.values()]
        .filter((l) => l.round === m.round)
        .map((l) => l.loss)
        .sort((a, b) => a - b)
      if (losses.length) this.loss = losses[Math.floor(losses.length / 2)]
      // Peers that committed to the decided round (this node connects to the relay only and hears the
      // swarm's gossip through it). Counted now: a sender's next commit replaces this one.
      this.peers = losses.length
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    const net = this.#net
    this.#net = null
    await net?.stop()
  }
}
