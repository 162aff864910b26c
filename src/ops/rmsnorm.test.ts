// rmsnorm as an op: its float64 gradients equal finite differences, the deterministic kernels give the
// float64 values to f32-level accuracy through the tape, and a trace records and recomputes it.
import { describe, expect, it } from 'vitest'
import { recompute, TracingBackend } from '../disputes/trace.ts'
import { Tape } from '../train/autograd.ts'
import { cpuBackend } from '../train/cpu.ts'
import { f64Backend, type F64Tensor } from '../train/f64.ts'
import type { Backend } from '../train/backend.ts'
import { mulberry32 } from '../util/random.ts'

const [rows, n] = [5, 12]
const next = mulberry32(17)
const rand = (count: number, offset = 0) =>
  Float32Array.from({ length: count }, () => (next() / 2 ** 32 - 0.5) * 3 + offset)
const x = rand(rows * n)
const gamma = rand(n, 1)
const targets = Int32Array.from({ length: rows }, (_, r) => (r * 5 + 2) % n)

/** loss = cross-entropy of rmsnorm(x) * gamma against fixed targets, with gradients for x and gamma. */
async function run<T>(be: Backend<T>, xs = x, gs = gamma) {
  const tape = new Tape(be)
  const [xt, gt] = [be.upload(xs, [rows, n]), be.upload(gs, [n])]
  const y = await tape.rmsnorm(xt, gt)
  const loss = await tape.crossEntropy(y, targets)
  await tape.backward(loss, loss)
  const got = async (t: T | undefined) => Float64Array.from(await be.download(t!))
  return {
    y: await got(y),
    loss: (await be.download(loss))[0],
    dx: await got(tape.grad(xt)),
    dgamma: await got(tape.grad(gt)),
  }
}

describe('the rmsnorm op', () => {
  it('float64 gradients equal finite differences', async () => {
    const exact = await run(f64Backend)
    const h = 1e-4
    for (const [which, i] of [
      ['x', 7],
      ['x', 40],
      ['gamma', 3],
      ['gamma', 11],
    ] as const) {
      // f64 uploads widen the f32 values: perturb a float64 copy through the backend's own tensors.
      const at = async (delta: number) => {
        const tape = new Tape(f64Backend)
        const xt = f64Backend.upload(x, [rows, n]) as F64Tensor
        const gt = f64Backend.upload(gamma, [n]) as F64Tensor
        ;(which === 'x' ? xt : gt).data[i] += delta
        const loss = await tape.crossEntropy(await tape.rmsnorm(xt, gt), targets)
        return loss.data[0]
      }
      const numeric = ((await at(h)) - (await at(-h))) / (2 * h)
      const analytic = (which === 'x' ? exact.dx : exact.dgamma)[i]
      expect(Math.abs(analytic - numeric), `d/d ${which}[${i}]`).toBeLessThan(1e-7 + 1e-5 * Math.abs(numeric))
    }
  })

  it('the CPU reference gives the float64 values and gradients to f32-level accuracy', async () => {
    const [exact, det] = [await run(f64Backend), await run(cpuBackend)]
    for (const k of ['y', 'dx', 'dgamma'] as const) {
      const scale = Math.max(...exact[k].map(Math.abs))
      const worst = Math.max(...det[k].map((v, i) => Math.abs(v - exact[k][i])))
      // A handful of f32 roundings per element (docs/determinism-norms-optim.md: at most ~3 ulp).
      expect(worst / scale, k).toBeLessThan(1e-5)
    }
    expect(Math.abs(det.loss - exact.loss)).toBeLessThan(1e-5 * exact.loss)
  })

  it('is traced forward and backward, and the referee recomputes each record', async () => {
    const tracing = new TracingBackend(cpuBackend)
    await run(tracing)
    const ops = tracing.records.map((r) => r.op)
    expect(ops).toContain('rmsnorm')
    expect(ops).toContain('rmsnormGrad')
    for (const record of tracing.records.filter((r) => r.op.startsWith('rmsnorm'))) {
      expect(record.outputs).toHaveLength(2)
      expect(await recompute(cpuBackend, record, tracing.values)).toEqual(record.outputs)
    }
  })
})
