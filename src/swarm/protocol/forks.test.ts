// Forks: two groups that ran rounds apart (a partition, or tabs that started together and picked
// different leaders) must merge onto one model once they hear each other — including an even split,
// where neither side is a minority, and a lone peer that ran ahead of a larger group.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { VirtualClock } from '../sim/clock.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, cpuCompute, swarmParams, type SimPeer } from '../sim/swarm.ts'
import type { SwarmCompute } from './compute.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const MINUTES = 60_000
const PAUSE_MS = 150

/** Resolves once every peer in `peers` has finished round `round`. */
const reached = (peers: SimPeer[], round: number) =>
  Promise.all(
    peers.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.rounds.some((r) => r.round >= round)) return resolve()
          const off = p.peer.on('round', (r) => r.round >= round && (off(), resolve()))
        }),
    ),
  )

/** The last round every peer finished, and whether they all ended it on one model with everyone in it. */
function lastCommon(peers: SimPeer[]) {
  const last = Math.min(...peers.map((p) => p.rounds.at(-1)!.round))
  const results = peers.map((p) => p.rounds.find((r) => r.round === last)!)
  return { last, models: new Set(results.map((r) => r.model)), included: results[0].included }
}

/**
 * Runs `groups` apart until group i has finished round `roundsApart[i]` (each then waits before training
 * its next round), heals the network, lets everyone go on, and runs to `roundsApart` max + 5.
 */
async function partitionThenHeal(groups: string[][], roundsApart: number[]) {
  // Deadlines of five minutes: a wait that ran one out would show in its round's length (virtual time
  // makes them free: sim/clock.ts).
  const params = await swarmParams(corpus, {
    stepsPerRound: 1,
    checkSteps: 1,
    timing: { commitMs: 5 * MINUTES, verifyMs: 5 * MINUTES, decideMs: 5 * MINUTES },
  })
  const clock = new VirtualClock()
  const network = new MemoryNetwork({ latencyMs: 2, jitterMs: 2, seed: 11, clock })
  network.partition(groups)
  const until = Math.max(...roundsApart) + 5
  let release!: () => void
  const healed = new Promise<void>((resolve) => (release = resolve))
  const held = new Set<string>()
  const peers = groups.flat().map((id) => {
    const inner = cpuCompute(corpus, params, clock)
    const compute: SwarmCompute = {
      ...inner,
      async train(start, seed, steps) {
        if (held.has(id)) await healed
        // A pause per run besides the step's own time: every peer a round time like its own machine's.
        await clock.sleep(PAUSE_MS)
        return inner.train(start, seed, steps)
      },
    }
    return addPeer(network, id, params, compute, { until })
  })
  groups.forEach((g, i) => {
    for (const p of peers.filter((p) => g.includes(p.peer.self)))
      p.peer.on('round', (r) => r.round === roundsApart[i] && held.add(p.peer.self))
  })
  const synced = new Set<string>()
  const log: string[] = []
  for (const p of peers) {
    const self = p.peer.self
    p.peer.on('sync', (s) => {
      synced.add(self)
      log.push(`${self} adopts round ${s.round} ${s.model.slice(0, 8)} from ${s.from.join(',')}`)
    })
    p.peer.on('round', (r) =>
      log.push(
        `${self} round ${r.round} ${r.model.slice(0, 8)} in ${r.included.join(',')} out ${r.excluded.map((x) => `${x.peer}:${x.reason}`).join(',')} ${r.ms} ms`,
      ),
    )
    p.peer.on('error', (e) => log.push(`${self} error: ${e.message}`))
  }
  await Promise.all(peers.map((p) => p.peer.start()))
  await Promise.all(
    groups.map((g, i) =>
      reached(
        peers.filter((p) => g.includes(p.peer.self)),
        roundsApart[i],
      ),
    ),
  )
  const apart = groups.map((g) => peers.find((p) => p.peer.self === g[0])!.rounds.at(-1)!.model)
  expect(new Set(apart).size).toBe(groups.length) // they really forked
  network.heal()
  release()
  await Promise.all(peers.map((p) => p.peer.finished()))
  // Merging never waits out a deadline: every wait ends on a message. A decision that replaced its
  // sender's older one from the chain it left once went unnoticed until then.
  for (const p of peers)
    for (const r of p.rounds) expect(r.ms, `${p.peer.self} round ${r.round}`).toBeLessThan(MINUTES)
  return { peers, synced, log }
}

/** Runs `check`; a failure carries the swarm's log, so a run that went another way explains itself. */
function explained(log: string[], check: () => void) {
  try {
    check()
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : e}\nThe swarm's log:\n${log.join('\n')}`, {
      cause: e,
    })
  }
}

describe('forks merge', () => {
  it(
    'an even split (2 + 2) on the same round merges onto one model, then every round includes all four',
    async () => {
      const { peers, synced, log } = await partitionThenHeal(
        [
          ['a1', 'a2'],
          ['b1', 'b2'],
        ],
        [1, 1],
      )
      const { last, models, included } = lastCommon(peers)
      explained(log, () => {
        expect(last).toBe(6)
        expect(models.size).toBe(1)
        expect(included).toEqual(['a1', 'a2', 'b1', 'b2'])
        // Exactly one side gave up its model: the one whose start hash loses the tie-break.
        expect(synced.size).toBe(2)
      })
    },
    MINUTES,
  )

  it(
    'a lone peer that ran ahead of a group of three rejoins the group instead of carrying on alone',
    async () => {
      const { peers, synced, log } = await partitionThenHeal([['g1', 'g2', 'g3'], ['solo4']], [1, 4])
      const { models, included } = lastCommon(peers)
      explained(log, () => {
        expect(models.size).toBe(1)
        expect(included).toEqual(['g1', 'g2', 'g3', 'solo4'])
        expect([...synced]).toEqual(['solo4'])
      })
    },
    MINUTES,
  )
})
