// The numbers a training run plots: loss, validation loss, learning rate and gradient norm per step.
// They live in plain arrays, not $state: a long run has tens of thousands of points and deep
// reactivity would wrap every one in a proxy. `version` is the one reactive signal that says the
// arrays changed; charts redraw from it at most once per frame, and appending is O(1).

export interface StepPoint {
  step: number
  loss: number
  lr?: number
  gradNorm?: number
}

export class TrainSeries {
  version = $state(0)
  readonly step: number[] = []
  readonly loss: number[] = []
  /** Validation loss where it was measured, null elsewhere (uPlot draws across the gaps). */
  readonly val: (number | null)[] = []
  readonly lr: (number | null)[] = []
  readonly gradNorm: (number | null)[] = []
  /** The last validation measurement, for summaries. */
  lastVal: { step: number; loss: number } | null = null

  get length(): number {
    return this.step.length
  }

  push(p: StepPoint): void {
    this.step.push(p.step)
    this.loss.push(p.loss)
    this.val.push(null)
    this.lr.push(p.lr ?? null)
    this.gradNorm.push(p.gradNorm ?? null)
    this.version++
  }

  /** Records a validation loss measured after `step` (a step already plotted, or the run's start). */
  setVal(step: number, loss: number): void {
    const i = this.step.lastIndexOf(step)
    if (i >= 0) this.val[i] = loss
    this.lastVal = { step, loss }
    this.version++
  }

  clear(): void {
    for (const a of [this.step, this.loss, this.val, this.lr, this.gradNorm]) a.length = 0
    this.lastVal = null
    this.version++
  }

  /** Up to `n` points spread evenly over the run (always the first and last): the text alternative. */
  sample(n: number): { step: number; loss: number; val: number | null }[] {
    const len = this.length
    if (len === 0) return []
    const stride = Math.max(1, Math.ceil(len / n))
    const idx: number[] = []
    for (let i = 0; i < len; i += stride) idx.push(i)
    if (idx.at(-1) !== len - 1) idx.push(len - 1)
    return idx.map((i) => ({ step: this.step[i], loss: this.loss[i], val: this.val[i] }))
  }
}
