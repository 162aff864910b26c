// The numbers of a round's report (RoundReport in ../types.ts) from what the round computed.
import { decode } from '../../train/data.ts'
import { END_TOKEN, type RoundReport, type ScoredGroup, type Task } from '../types.ts'

/** Whether a completion is exactly the answer and the end token. */
export function correct(task: Task, completion: readonly number[]): boolean {
  const want = [...new TextEncoder().encode(task.answer), END_TOKEN]
  return completion.length === want.length && want.every((b, i) => completion[i] === b)
}

export function accuracy(tasks: readonly Task[], groups: readonly ScoredGroup[]): RoundReport['accuracy'] {
  const out: RoundReport['accuracy'] = {}
  groups.forEach((g, i) => {
    const a = (out[tasks[i].family] ??= { correct: 0, total: 0 })
    for (const c of g.completions) {
      a.total++
      if (correct(tasks[i], c)) a.correct++
    }
  })
  return out
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function sampleOf(tasks: readonly Task[], groups: readonly ScoredGroup[]): RoundReport['sample'] {
  if (!groups.length) return null
  return {
    task: tasks[0],
    completions: groups[0].completions.map((c) => decode(c)),
    rewards: groups[0].rewards,
  }
}
