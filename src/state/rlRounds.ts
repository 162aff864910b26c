// What the RL dashboard shows, computed from a peer's RoundReports (src/rl/types.ts): the reward series
// for the chart, accuracy per task family over recent rounds, and the peer table. Pure functions of
// the reports, so the store stays small and all of it is tested without a swarm.
import type { PeerStanding, RoundReport, TaskFamily } from '../rl/types.ts'

/** Rewards are thousandths: 1000 is an exactly right answer (src/rl/reward.ts). */
export const FULL_REWARD = 1000

/**
 * Rounds in the trend line's mean. One round's reward is 16 completions, too few to read a trend in;
 * in two tabs from `npm start` (2026-12-05) 10-round means still swung ±0.07 around 100-round means that
 * rose 0.02–0.05 above the warm start, so the line averages more.
 */
export const TREND_ROUNDS = 50

/**
 * Round numbers, this peer's mean reward, the swarm's median, the warm start's reward (a level line) and
 * this peer's mean over its last TREND_ROUNDS reports (from its third on), in rewards of 1 (for uPlot).
 */
export type RewardSeries = [
  rounds: number[],
  mine: number[],
  median: number[],
  warm: (number | null)[],
  trend: (number | null)[],
]

/**
 * `warmStart`: the warm start's mean reward (thousandths): public/rl/warmstart.json's, measured on 256
 * held-out tasks, or failing that this peer's first round (every peer starts from the warm start).
 */
export function rewardSeries(reports: readonly RoundReport[], warmStart: number | null = null): RewardSeries {
  return [
    reports.map((r) => r.round),
    reports.map((r) => r.meanReward / FULL_REWARD),
    reports.map((r) => r.swarmMedian / FULL_REWARD),
    reports.map(() => (warmStart === null ? null : warmStart / FULL_REWARD)),
    reports.map((_, i) => {
      const t = trendAt(reports, i)
      return t === null ? null : t / FULL_REWARD
    }),
  ]
}

/**
 * This peer's mean reward (thousandths) over the TREND_ROUNDS reports up to `i`, fewer at the start;
 * null before the third.
 */
export function trendAt(reports: readonly RoundReport[], i: number): number | null {
  if (i < 2) return null
  const window = reports.slice(Math.max(0, i + 1 - TREND_ROUNDS), i + 1)
  return window.reduce((n, r) => n + r.meanReward, 0) / window.length
}

export interface FamilyAccuracy {
  family: TaskFamily
  /** In the newest round (0 of 0 when that round had no task of the family). */
  last: { correct: number; total: number }
  /** Over the newest `window` rounds: one round has few tasks per family, so this is the steadier number. */
  recent: { correct: number; total: number }
}

/** Accuracy per task family, families in the order they were first seen in the window. */
export function familyAccuracy(reports: readonly RoundReport[], window: number): FamilyAccuracy[] {
  const recent = reports.slice(-Math.max(1, window))
  const newest = recent.at(-1)
  const rows = new Map<TaskFamily, FamilyAccuracy>()
  for (const r of recent)
    for (const [family, a] of Object.entries(r.accuracy) as [
      TaskFamily,
      { correct: number; total: number },
    ][]) {
      const row = rows.get(family) ?? {
        family,
        last: { correct: 0, total: 0 },
        recent: { correct: 0, total: 0 },
      }
      row.recent = { correct: row.recent.correct + a.correct, total: row.recent.total + a.total }
      if (r === newest) row.last = { correct: a.correct, total: a.total }
      rows.set(family, row)
    }
  return [...rows.values()]
}

/** The peer table: highest score first, then by id, so rows do not jump between equal scores. */
export function standings(report: RoundReport | null): PeerStanding[] {
  if (!report) return []
  return report.peers.toSorted((a, b) => b.score - a.score || a.peer.localeCompare(b.peer))
}

/** A completion as text a person can read: the end token and other control bytes made visible. */
export function visibleText(text: string): string {
  let out = ''
  for (const c of text) {
    const code = c.charCodeAt(0)
    if (c === '\n') out += '⏎'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += c
  }
  return out
}

/** A reward in thousandths as a number of 1 (1.000 is exactly right), or a dash when there is none. */
export const rewardText = (r: number | null): string => (r === null ? '—' : (r / FULL_REWARD).toFixed(3))
