// In the browser project (not for the GPU: for a real canvas, layout and animation frames). A long run
// must not stall the page: appending a step is O(1), and redrawing 100,000 points stays well inside a
// frame budget a person notices.
import { flushSync, mount, unmount } from 'svelte'
import { expect, it } from 'vitest'
import TrainCharts from './TrainCharts.svelte'
import { TrainSeries } from '../state/series.svelte.ts'

const frames = (n: number) =>
  new Promise<void>((resolve) => {
    const next = (left: number) => (left ? requestAnimationFrame(() => next(left - 1)) : resolve())
    next(n)
  })

it('charts 100,000 steps with cheap appends and one redraw per frame, and summarises them in words', async () => {
  const series = new TrainSeries()
  const target = document.createElement('div')
  target.style.width = '900px'
  document.body.append(target)
  const app = mount(TrainCharts, { target, props: { series } })
  const n = 100_000
  const t0 = performance.now()
  for (let i = 1; i <= n; i++)
    series.push({
      step: i,
      loss: 5 * Math.exp(-i / 2e4) + 0.05 * Math.sin(i),
      lr: 3e-3,
      gradNorm: 1 + (i % 7),
    })
  series.setVal(n, 0.5)
  const appendMs = performance.now() - t0
  flushSync()
  await frames(2)

  // One more step: the time until two frames later includes the whole redraw of both charts.
  const t1 = performance.now()
  series.push({ step: n + 1, loss: 0.4, lr: 3e-3, gradNorm: 1 })
  flushSync()
  await frames(2)
  const redrawMs = performance.now() - t1
  console.log(
    `100,000 appends: ${appendMs.toFixed(0)} ms; redraw of 100,001 points + 2 frames: ${redrawMs.toFixed(0)} ms`,
  )
  expect(appendMs).toBeLessThan(1000)
  expect(redrawMs).toBeLessThan(500)

  const charts = target.querySelector('[data-testid=train-charts]')!
  expect(charts.getAttribute('data-points')).toBe(String(n + 1))
  expect(charts.querySelectorAll('canvas').length).toBe(2)
  expect(target.querySelector('[data-testid=chart-loss-summary]')!.textContent).toContain(
    `to 0.400 at step ${n + 1}. Validation loss 0.500 at step ${n}.`,
  )
  // The table is a sample (≤ 20 rows plus the last), not 100,000 rows in the DOM.
  expect(target.querySelectorAll('[data-testid=chart-table] tbody tr').length).toBeLessThanOrEqual(21)
  unmount(app)
  target.remove()
})
