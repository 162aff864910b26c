// A swarm in one process: N SwarmPeers over a MemoryNetwork, each with its own key and compute, on the
// network's clock (a VirtualClock in the protocol's tests and the simulator: sim/clock.ts).
// Used by the protocol's tests and by the simulator's real-protocol mode.
import { keccak256, toBytes } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend } from '../../train/cpu.ts'
import { defaultTrainConfig } from '../../train/trainer.ts'
import type { GptConfig } from '../../train/gpt.ts'
import type { Clock } from '../protocol/clock.ts'
import { backendCompute, type SwarmCompute } from '../protocol/compute.ts'
import type { SwarmParams } from '../protocol/params.ts'
import { SwarmPeer, type SwarmPeerOptions } from '../protocol/peer.ts'
import type { RoundResult } from '../protocol/round.ts'
import { MemoryNetwork } from './memnet.ts'
import { KJV_PENTATEUCH, describeCorpus } from '../../train/corpus.ts'

export { byzantineCompute } from '../protocol/cheat.ts'

/** A model small enough that a swarm of a few peers runs a round in well under a second on one core. */
export const MICRO: GptConfig = { vocab: 256, seqLen: 8, dModel: 8, nLayer: 1, nHead: 1 }

export async function swarmParams(
  corpus: Uint8Array,
  overrides: Partial<SwarmParams> = {},
): Promise<SwarmParams> {
  return {
    config: defaultTrainConfig(MICRO, { steps: 1000, batch: 2, lr: 1e-2, warmup: 0 }),
    stepsPerRound: 2,
    // The shipped corpus's name and split, with these bytes' own hash (one descriptor: src/train/corpus.ts).
    data: await describeCorpus(KJV_PENTATEUCH.name, corpus, KJV_PENTATEUCH.valFraction),
    target: { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    checkers: 8,
    checkSteps: 2,
    // The page's (src/state/swarmParams.ts). Waits end on messages and departures; these deadlines only
    // bound a wait on a connected peer that stays silent. On virtual time a busy CPU never reaches them:
    // time stands still while any peer has work (sim/clock.ts).
    timing: { commitMs: 8000, verifyMs: 8000, decideMs: 4000 },
    ...overrides,
  }
}

/** The i-th test key: deterministic, never for real funds. */
export const testSigner = (i: number) =>
  privateKeyToAccount(keccak256(toBytes(`lockstep swarm test key ${i}`)))

export interface SimPeer {
  peer: SwarmPeer
  rounds: RoundResult[]
  errors: Error[]
}

export function addPeer(
  network: MemoryNetwork,
  id: string,
  params: SwarmParams,
  compute: SwarmCompute,
  options: Partial<SwarmPeerOptions> = {},
): SimPeer {
  const net = network.join(id)
  const peer = new SwarmPeer({
    net,
    compute,
    params,
    clock: network.options.clock,
    signer: testSigner(Number.parseInt(id.replace(/\D/g, '') || '0')),
    ...options,
  })
  const sim: SimPeer = { peer, rounds: [], errors: [] }
  peer.on('round', (r) => sim.rounds.push(r))
  peer.on('error', (e) => sim.errors.push(e))
  return sim
}

/**
 * What a training step of the micro model costs on virtual time: about what it takes on the CPU reference
 * here. With compute free, a peer would decide, train and commit the next round in the same instant, and
 * its commit could overtake its decision on the wire (latency jitter), which no real machine does.
 */
export const STEP_MS = 50

/** The CPU reference; on `clock` (virtual time) each training step also takes `stepMs` of its time. */
export function cpuCompute(
  corpus: Uint8Array,
  params: SwarmParams,
  clock?: Clock,
  stepMs = STEP_MS,
): SwarmCompute {
  const inner = backendCompute(cpuBackend, corpus, params.data.valFraction)
  if (!clock) return inner
  return {
    ...inner,
    async train(start, seed, steps) {
      const out = await inner.train(start, seed, steps)
      await clock.sleep(steps * stepMs)
      return out
    },
  }
}

/**
 * `inner`, pausing `ms(seed)` on `clock` before each training run: a peer with a round time of its own (a
 * busy tab, a slow machine). On virtual time compute takes no time at all, so the pauses are the round
 * times; on the real clock every peer shares one thread, and a peer that never waits would starve the rest.
 */
export function paced(inner: SwarmCompute, ms: (seed: number) => number, clock: Clock): SwarmCompute {
  return {
    ...inner,
    async train(start, seed, steps) {
      await clock.sleep(ms(seed))
      return inner.train(start, seed, steps)
    },
  }
}
