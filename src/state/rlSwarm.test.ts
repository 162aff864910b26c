// The RL store and what the dashboard derives, fed synthetic RoundReports: no swarm, worker or engine.
import { describe, expect, it } from 'vitest'
import type { RoundReport } from '../rl/types.ts'
import { MAX_REPORTS, RlSwarmSession } from './rlSwarm.svelte.ts'
import { TREND_ROUNDS, familyAccuracy, rewardSeries, standings, trendAt, visibleText } from './rlRounds.ts'

function report(round: number, over: Partial<RoundReport> = {}): RoundReport {
  return {
    round,
    peer: 'me',
    state: `0x${round.toString(16).padStart(64, '0')}`,
    meanReward: 100 * round,
    swarmMedian: 50 * round,
    accuracy: { add: { correct: round % 3, total: 2 }, sort: { correct: 0, total: 1 } },
    sample: null,
    groupsSent: 4,
    groupsReceived: 6,
    bytesSent: 1000,
    bytesReceived: 1500,
    peers: [
      { peer: 'b', reward: 200, verified: round, failed: 0, dropped: false, score: 3 },
      { peer: 'a', reward: 400, verified: round, failed: 0, dropped: false, score: 3 },
      { peer: 'c', reward: null, verified: 0, failed: 1, dropped: round >= 4, score: -2 },
    ],
    ...over,
  }
}

describe('RlSwarmSession', () => {
  it('keeps reports in round order, the chart series in rewards of 1, totals and when a peer was dropped', () => {
    const s = new RlSwarmSession()
    for (const r of [0, 1, 2, 4, 3, 5]) s.receive(report(r))
    expect(s.reports.map((r) => r.round)).toEqual([0, 1, 2, 3, 4, 5])
    expect(s.latest?.round).toBe(5)
    expect(s.chart).toEqual([
      [0, 1, 2, 3, 4, 5],
      [0, 0.1, 0.2, 0.3, 0.4, 0.5],
      [0, 0.05, 0.1, 0.15, 0.2, 0.25],
      [0, 0, 0, 0, 0, 0],
      // This peer's mean over its last reports, from the third on.
      [null, null, 0.1, 0.15, 0.2, 0.25],
    ])
    expect(s.warmStart).toEqual({ round: 0, reward: 0 })
    // The warm start's measured level (public/rl/warmstart.json), once loaded, replaces its first round's.
    s.warmLevel = 402.6
    expect(s.chart[3]).toEqual(Array(6).fill(0.4026))
    expect(s.totals).toEqual({
      rounds: 6,
      groupsSent: 24,
      groupsReceived: 36,
      bytesSent: 6000,
      bytesReceived: 9000,
    })
    // Round 4 arrived before round 3: the first report that said so counts.
    expect(s.droppedAt).toEqual({ c: 4 })
    expect(s.standings.map((p) => p.peer)).toEqual(['a', 'b', 'c'])
  })

  it('replaces a repeated round without counting it twice, and clears', () => {
    const s = new RlSwarmSession()
    s.receive(report(0))
    s.receive(report(0, { meanReward: 999, bytesSent: 10 }))
    expect(s.reports.length).toBe(1)
    expect(s.latest?.meanReward).toBe(999)
    expect(s.totals).toMatchObject({ rounds: 1, bytesSent: 10, groupsSent: 4 })
    s.clear()
    expect([s.reports.length, s.totals.rounds, s.latest, s.warmStart]).toEqual([0, 0, null, null])
    // A latecomer's first round is its warm start, whatever its number.
    s.receive(report(41, { meanReward: 300 }))
    s.receive(report(42, { meanReward: 800 }))
    expect(s.chart[3]).toEqual([0.3, 0.3])
  })

  it(`keeps the newest ${MAX_REPORTS} reports and counts every round in the totals`, () => {
    const s = new RlSwarmSession()
    for (let r = 0; r < MAX_REPORTS + 20; r++) s.receive(report(r, { peers: [] }))
    expect(s.reports.length).toBe(MAX_REPORTS)
    expect(s.reports[0].round).toBe(20)
    expect(s.chart[0].length).toBe(MAX_REPORTS)
    // Round 0 left the history; the warm start's level line still comes from it.
    expect(s.warmStart).toEqual({ round: 0, reward: 0 })
    expect(s.totals.rounds).toBe(MAX_REPORTS + 20)
    expect(s.totals.bytesReceived).toBe((MAX_REPORTS + 20) * 1500)
    s.receive(report(MAX_REPORTS + 20, { meanReward: 700, peers: [] }))
    expect(s.chart[3].every((w) => w === 0)).toBe(true)
  })
})

describe('what the dashboard derives', () => {
  it('sums accuracy per family over a window, with the newest round apart', () => {
    const reports = [1, 2, 3].map((r) => report(r))
    reports[2] = {
      ...reports[2],
      accuracy: { add: { correct: 2, total: 2 }, count: { correct: 1, total: 3 } },
    }
    expect(familyAccuracy(reports, 2)).toEqual([
      { family: 'add', last: { correct: 2, total: 2 }, recent: { correct: 4, total: 4 } },
      { family: 'sort', last: { correct: 0, total: 0 }, recent: { correct: 0, total: 1 } },
      { family: 'count', last: { correct: 1, total: 3 }, recent: { correct: 1, total: 3 } },
    ])
    expect(familyAccuracy([], 10)).toEqual([])
  })

  it('orders peers by score then id, and shows control bytes in completions', () => {
    expect(standings(null)).toEqual([])
    expect(standings(report(1)).map((p) => p.peer)).toEqual(['a', 'b', 'c'])
    expect(visibleText('46\n')).toBe('46⏎')
    expect(visibleText('a\u0000b\tc')).toBe('a\\x00b\\x09c')
    expect(rewardSeries([])).toEqual([[], [], [], [], []])
    // The trend is a trailing mean over TREND_ROUNDS reports.
    const many = Array.from({ length: TREND_ROUNDS + 5 }, (_, r) =>
      report(r, { meanReward: r % 2 ? 1000 : 0 }),
    )
    expect(trendAt(many, many.length - 1)).toBe(500)
    expect(trendAt(many, 2)).toBe(1000 / 3)
    expect(trendAt(many, 1)).toBeNull()
  })
})
