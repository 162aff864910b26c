// The swarm a page joins, and the URL parameters that choose it (docs/automation.md). Parameters are
// content-addressed (swarmTopic), so every tab that should meet must compute exactly these values.
import type { SwarmParams } from '../swarm/protocol/index.ts'
import { DEV_TARGET } from '../receipts/devkey.ts'
import type { Corpus } from '../train/corpus.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import type { GptConfig } from '../train/gpt.ts'

/** Small enough that four tabs sharing two CPU cores finish a round in seconds on the CPU reference. */
const SWARM_MODEL: GptConfig = { vocab: 256, seqLen: 8, dModel: 8, nLayer: 1, nHead: 1 }

/**
 * Which swarm a tab joins: `averaging` trains one shared model and averages weights (docs/swarm.md);
 * `rl` keeps a model per peer and shares rollouts of tasks with checkable answers (docs/rl.md).
 */
export type SwarmKind = 'averaging' | 'rl'

export interface SwarmUrlParams {
  /** `?swarm=1` (or `?swarm=rl`): join as soon as the page loads. */
  autojoin: boolean
  /** `?swarm=rl` or `?swarmKind=rl|averaging`: the kind of swarm (default `averaging`, today's). */
  kind: SwarmKind
  /** `?swarmBackend=gpu`: train on WebGPU in the worker (default: the CPU reference, same bits). */
  backend: 'cpu' | 'gpu'
  /** `?swarmSteps=H`: local steps per round. */
  stepsPerRound: number
  /** `?swarmMin=N`: wait until N tabs (this one included) are present before the first round. */
  minPeers: number
  /** `?swarmCheat=1`: start with "make this peer cheat" on (demos and the byzantine e2e test). */
  cheat: boolean
  /** `?swarmName=`: which swarm to meet in (letters, digits, `-`, `_`; up to 40). */
  name: string
  /** `?swarmClaim=1`: the RL peer claims its rewards on the swarm coordinator (docs/chain.md#verified-rewards). */
  claim: boolean
  /** `?swarmInflate=1`: and claims more than its rollouts earn (the refutation demo and e2e). */
  inflate: boolean
}

export const DEFAULT_SWARM_NAME = 'lockstep'
/** What a swarm name may be: short, and safe in a URL and a gossip topic. */
export const SWARM_NAME = /^[A-Za-z0-9_-]{1,40}$/

export function swarmUrlParams(search: string): SwarmUrlParams {
  const q = new URLSearchParams(search)
  const steps = Number(q.get('swarmSteps'))
  const min = Number(q.get('swarmMin'))
  const join = q.get('swarm')
  const kind = q.get('swarmKind')
  return {
    autojoin: join === '1' || join === 'rl',
    // `?swarm=rl` names the kind and joins; `?swarmKind=` only preselects it (the panel waits for Join).
    kind: join === 'rl' || kind === 'rl' ? 'rl' : 'averaging',
    backend: q.get('swarmBackend') === 'gpu' ? 'gpu' : 'cpu',
    stepsPerRound: Number.isInteger(steps) && steps > 0 && steps <= 100 ? steps : 2,
    minPeers: Number.isInteger(min) && min > 0 && min <= 64 ? min : 1,
    cheat: q.get('swarmCheat') === '1',
    name: SWARM_NAME.test(q.get('swarmName') ?? '') ? q.get('swarmName')! : DEFAULT_SWARM_NAME,
    claim: q.get('swarmClaim') === '1',
    inflate: q.get('swarmInflate') === '1',
  }
}

export function pageSwarmParams(corpus: Corpus, stepsPerRound: number, name: string): SwarmParams {
  return {
    // The default swarm keeps the topic it had before names existed.
    ...(name === DEFAULT_SWARM_NAME ? {} : { name }),
    config: defaultTrainConfig(SWARM_MODEL, { steps: 1000, batch: 2, lr: 1e-2, warmup: 0 }),
    stepsPerRound,
    data: { name: corpus.name, sha256: corpus.sha256, valFraction: corpus.valFraction },
    target: DEV_TARGET,
    checkers: 8,
    checkSteps: stepsPerRound,
    timing: { commitMs: 8000, verifyMs: 8000, decideMs: 4000 },
  }
}

/** The link that opens this page and joins swarm `name` of `kind` (other tabs open it to meet this one). */
export function swarmLink(href: string, name: string, kind: SwarmKind = 'averaging'): string {
  const url = new URL(href)
  url.hash = ''
  url.searchParams.set('swarm', kind === 'rl' ? 'rl' : '1')
  url.searchParams.delete('swarmKind')
  if (name === DEFAULT_SWARM_NAME) url.searchParams.delete('swarmName')
  else url.searchParams.set('swarmName', name)
  for (const p of ['swarmMin', 'swarmCheat']) url.searchParams.delete(p)
  return url.toString()
}
