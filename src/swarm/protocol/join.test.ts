// Joining a peer that runs far faster than the joiners can sync: a tab left alone (its partners closed
// or fell off) runs a tiny model's rounds in milliseconds, while each joiner needs a second or more to
// hear heads, fetch the checkpoint and follow a round. Seen in the app's e2e: the lone tab ran hundreds
// of rounds ahead while the other two resynced onto it again and again, never included. The joiners
// must get in within a few of the fast peer's rounds, at the page's timings (8 s / 8 s / 4 s).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { VirtualClock } from '../sim/clock.ts'
import { MemoryNetwork } from '../sim/memnet.ts'
import { addPeer, cpuCompute, paced, swarmParams, type SimPeer } from '../sim/swarm.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
const MINUTES = 60_000

/** The first round every peer finished on one model with all of them included, if any. */
function together(peers: SimPeer[]): number | undefined {
  const ids = peers.map((p) => p.peer.self).sort()
  for (const r of peers[0].rounds) {
    const rows = peers.map((p) => p.rounds.find((x) => x.round === r.round))
    const same = rows.every((x) => x && x.model === r.model)
    if (same && JSON.stringify([...r.included].sort()) === JSON.stringify(ids)) return r.round
  }
  return undefined
}

describe('joining', () => {
  it(
    'two slow joiners get into the rounds of a lone peer that runs far ahead of them',
    async () => {
      const params = await swarmParams(corpus, {
        stepsPerRound: 1,
        checkSteps: 1,
        timing: { commitMs: 8000, verifyMs: 8000, decideMs: 4000 },
      })
      const clock = new VirtualClock()
      const network = new MemoryNetwork({ latencyMs: 5, jitterMs: 5, seed: 4, clock })
      // Its steps' time and 5 ms a run: a round in a fraction of the joiners' (on virtual time, compute
      // alone takes no time and a peer that never paused would starve the rest).
      const fast = addPeer(
        network,
        'f1',
        params,
        paced(cpuCompute(corpus, params, clock), () => 5, clock),
      )
      await fast.peer.start()
      // Alone, it runs rounds back to back.
      await new Promise<void>((resolve) => fast.peer.on('round', (r) => r.round === 10 && resolve()))
      const joiners = ['s2', 's3'].map((id) =>
        addPeer(
          network,
          id,
          params,
          paced(cpuCompute(corpus, params, clock), () => 300, clock),
          { join: true },
        ),
      )
      const log: string[] = []
      for (const p of [fast, ...joiners]) {
        const self = p.peer.self
        p.peer.on('sync', (s) => log.push(`${self} adopts round ${s.round} from ${s.from.join(',')}`))
        p.peer.on('error', (e) => log.push(`${self} error: ${e.message}`))
      }
      await Promise.all(joiners.map((p) => p.peer.start()))
      const all = [fast, ...joiners]
      try {
        await clock.until(() => together(all) !== undefined, 2 * MINUTES, 'all three in one round')
        const first = together(all)!
        // Each got in on its first sync: the round it adopted could be followed, because it kept the
        // messages for that round that came before it knew it would adopt it (RoundStore.hold).
        for (const id of ['s2', 's3'])
          expect(
            log.filter((l) => l.startsWith(`${id} adopts`)),
            id,
          ).toHaveLength(1)
        // Once in, they stay in: the next rounds include all three too.
        const last = () => Math.min(...all.map((p) => p.rounds.at(-1)?.round ?? -1))
        await clock.until(() => last() >= first + 3, MINUTES, `round ${first + 3} everywhere`)
        for (let r = first; r <= first + 3; r++) {
          const rows = all.map((p) => p.rounds.find((x) => x.round === r))
          expect(new Set(rows.map((x) => x?.model)).size, `round ${r}`).toBe(1)
          expect(rows[0]!.included, `round ${r}`).toHaveLength(3)
        }
      } catch (e) {
        const last = all.map((p) => `${p.peer.self} at round ${p.rounds.at(-1)?.round}`).join(', ')
        throw new Error(`${e instanceof Error ? e.message : e}\n${last}\n${log.slice(-30).join('\n')}`, {
          cause: e,
        })
      } finally {
        await Promise.all(all.map((p) => p.peer.stop()))
      }
    },
    MINUTES,
  )
})
