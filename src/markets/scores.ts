// How a market's scores pick its outcome, apart from the model that gives them: pure f64 arithmetic on
// f32 inputs, shared by settle() (model.ts) and the dispute game's decide slot (src/disputes/gameOps.ts),
// which contracts/referee/Score.sol recomputes bit for bit.

/**
 * TASK_RULE's scores from every row's loss (f32 values, the cross-entropy kernel's): outcome k is minus
 * the sum of its rows' losses, accumulated in f64 in row order (s = 0; s −= loss). The dispute game's
 * decide slot recomputes exactly this (contracts/referee/Score.sol).
 */
export function taskScores(losses: ArrayLike<number>, layout: readonly number[]): number[] {
  const scores: number[] = []
  for (let i = 0; i < layout.length; i += 2) {
    let s = 0
    for (let r = layout[i]; r < layout[i] + layout[i + 1]; r++) s -= losses[r]
    scores.push(s)
  }
  return scores
}

/** The highest score wins; ties go to the lowest index. */
export function decide(scores: number[]): number {
  let best = 0
  for (let k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k
  return best
}
