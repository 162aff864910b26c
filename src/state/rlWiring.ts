// Where the app meets the RL swarm's peer (src/rl/sapo/, RlPeer): the swarm a name stands for, the warm
// start every peer begins from (public/rl/, with its training receipt beside it), and the peer's life
// on this page. The compute it is handed runs in workers/rlSwarm.worker.ts.
import type { Hex } from 'viem'
import {
  RL_PEER,
  RlPeer,
  maxBlobBytes,
  rlSwarmParams,
  rlTaskBook,
  sapoTopic,
  type RlPeerEvents,
} from '../rl/sapo/index.ts'
import type { RlCompute, RoundReport } from '../rl/types.ts'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import type { SwarmNet } from '../swarm/types.ts'
import { hashJson } from '../receipts/training.ts'
import type { Checkpoint } from '../train/trainer.ts'
import { CheckpointError } from '../errors/train.ts'
import { FULL_REWARD } from './rlRounds.ts'

/** What the page hands the peer: everything else (params, warm start, clock) the peer derives itself. */
export interface RlPeerStart {
  net: SwarmNet
  /** The worker's compute (rollouts, GRPO update, state hash). */
  compute: RlCompute
  /** The cheat switch: while true the peer publishes forged completions (src/rl/sapo/cheat.ts). */
  forging: (round: number) => boolean
  /** The swarm's name: tabs with one name meet (the RL swarm's topic differs from the averaging one's). */
  name: string
  /** A swarm already runs (its gossip was heard): start at its round rather than at 0. */
  join: boolean
  onRound(report: RoundReport): void
  onError(error: unknown): void
  /** Its rollouts went out (the reward agent claims the latest: src/state/rlRewards.svelte.ts). */
  onPublished?: (p: RlPeerEvents['published']) => void
  /** More bytes to serve by hash: the reward agent's claimed rollouts and models. */
  serve?: (hash: Hex) => Uint8Array | undefined
}

export interface RlPeerRunning {
  stop(): Promise<void>
}

/** The gossip topic of RL swarm `name`, for counting who is there before the first round. */
export function rlTopic(name: string): string {
  return sapoTopic(rlSwarmParams(name))
}

/** The shipped warm start (public/rl/warmstart.lscp), refused unless it is this swarm's model. */
export async function loadWarmStart(name: string, base = document.baseURI): Promise<Checkpoint> {
  const params = rlSwarmParams(name)
  const url = new URL('rl/warmstart.lscp', base).href
  const res = await fetch(url)
  if (!res.ok) throw new CheckpointError(`The RL warm start did not load from ${url} (HTTP ${res.status}).`)
  const model = decodeCheckpoint(new Uint8Array(await res.arrayBuffer()), maxBlobBytes(params))
  if (hashJson(model.config) !== hashJson(params.config))
    throw new CheckpointError(`${url} is not this RL swarm's warm start: its training config differs.`)
  return model
}

/**
 * The warm start's mean sampled reward on held-out tasks (public/rl/warmstart.json, `reward.mean`,
 * thousandths; src/rl/corpus.test.ts recomputes it): the level the chart draws it at. Null when the
 * descriptor does not load or says nothing sensible; the chart then falls back to the first round.
 */
export async function loadWarmStartReward(base = document.baseURI): Promise<number | null> {
  try {
    const res = await fetch(new URL('rl/warmstart.json', base).href)
    const mean: unknown = res.ok ? (await res.json())?.reward?.mean : null
    return typeof mean === 'number' && mean >= -FULL_REWARD && mean <= FULL_REWARD ? mean : null
  } catch {
    return null
  }
}

/** Starts this tab's RL peer; its reports arrive through `onRound`, once per round, until stop(). */
export async function startRlPeer(o: RlPeerStart): Promise<RlPeerRunning> {
  const peer = new RlPeer({
    net: o.net,
    compute: o.compute,
    book: rlTaskBook,
    params: rlSwarmParams(o.name),
    mine: RL_PEER,
    model: await loadWarmStart(o.name),
    join: o.join,
    forging: o.forging,
    serve: o.serve,
  })
  peer.on('round', o.onRound)
  if (o.onPublished) peer.on('published', o.onPublished)
  peer.on('error', o.onError)
  const run = new AbortController()
  const done = peer.start(run.signal).catch((e: unknown) => {
    if (!run.signal.aborted) o.onError(e)
  })
  return {
    stop: async () => {
      run.abort()
      await done
    },
  }
}
