import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { VirtualClock } from './clock.ts'
import { TeachSwarm, type TeachSwarmEvent } from './teach.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))
type RoundEvent = Extract<TeachSwarmEvent, { kind: 'round' }>

let swarm: TeachSwarm | undefined
let clock: VirtualClock
afterEach(async () => swarm?.stop())

/** Resolves once `cond` holds over the events so far, or fails after `ms` of the swarm's virtual time. */
function waitFor(events: TeachSwarmEvent[], cond: () => boolean, what: string, ms = 120_000) {
  return clock.until(cond, ms, what).catch((e) => {
    throw new Error(`${e.message} Events: ${JSON.stringify(events.slice(-8))}`)
  })
}

describe('teach swarm', () => {
  it('four real peers agree each round; a peer switched to cheat is excluded for its fault', async () => {
    const events: TeachSwarmEvent[] = []
    clock = new VirtualClock()
    swarm = await TeachSwarm.create(
      corpus,
      { peers: 4, stepsPerRound: 1, latencyMs: 5 },
      (e) => events.push(e),
      clock,
    )
    const rounds = (peer: string) =>
      events.filter((e): e is RoundEvent => e.kind === 'round' && e.peer === peer)
    const honest = ['p1', 'p2', 'p3']
    await swarm.start()
    await waitFor(events, () => swarm!.ids.every((id) => rounds(id).length >= 2), 'two rounds')
    for (const r of [0, 1]) {
      expect(new Set(swarm.ids.map((id) => rounds(id)[r].model)).size).toBe(1)
      expect(rounds('p1')[r].included).toEqual(swarm.ids)
    }

    swarm.setCheat('p4', true)
    const from = Math.max(...swarm.ids.map((id) => rounds(id).at(-1)!.round)) + 1
    const caught = () =>
      rounds('p1').find(
        (r) => r.round >= from && r.excluded.some((x) => x.peer === 'p4' && x.reason === 'fault'),
      )
    await waitFor(events, () => !!caught(), 'p4 excluded for a fault')
    const at = caught()!.round
    await waitFor(
      events,
      () => honest.every((id) => rounds(id).some((r) => r.round === at + 1)),
      'next round',
    )
    for (const r of [at, at + 1]) {
      const results = honest.map((id) => rounds(id).find((x) => x.round === r)!)
      expect(new Set(results.map((x) => x.model)).size).toBe(1)
      expect(results[0].included).toEqual(honest)
    }
    expect(rounds('p1').at(-1)!.faultsFound).toBeGreaterThanOrEqual(1)
    // The cheater accepted the proof against it and stayed on the swarm's model.
    expect(rounds('p4').find((r) => r.round === at)?.model).toBe(caught()!.model)

    // Switched back, it is averaged again.
    swarm.setCheat('p4', false)
    const honestFrom = Math.max(...swarm.ids.map((id) => rounds(id).at(-1)!.round)) + 1
    await waitFor(
      events,
      () => rounds('p1').some((r) => r.round >= honestFrom && r.included.includes('p4')),
      'p4 averaged again',
    )
    expect(events.filter((e) => e.kind === 'error')).toEqual([])
  }, 60_000)

  it('refuses a swarm of one or of seven', async () => {
    for (const peers of [1, 7])
      await expect(
        TeachSwarm.create(corpus, { peers, stepsPerRound: 1, latencyMs: 0 }, () => {}),
      ).rejects.toThrow(/2 to 6 peers/)
  })
})
