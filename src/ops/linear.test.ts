// The fused tape rules against the unfused ops they replace: the same output bits and the same bits for
// every gradient, on the CPU reference (the GPU's bits: src/kernels/matmul_fused.gpu.test.ts).
import { describe, expect, it } from 'vitest'
import { Tape } from '../train/autograd.ts'
import { cpuBackend, type CpuTensor } from '../train/cpu.ts'
import { adversarialF32 } from '../kernels/testing.ts'

type Graph = (tape: Tape<CpuTensor>, x: CpuTensor[]) => Promise<CpuTensor>

const shapes = [[6, 8], [8, 5], [5], [6, 5], [3, 4, 7]]

/** The output and every input's gradient, as bits, for a seed gradient drawn from `seed`. */
async function run(graph: Graph, seed: number) {
  const inputs = shapes.map((s, i) =>
    cpuBackend.upload(
      adversarialF32(
        s.reduce((a, b) => a * b, 1),
        seed + i,
      ).map((v) => (Number.isFinite(v) && Math.abs(v) < 1e6 ? v : 0.5)),
      s,
    ),
  )
  const tape = new Tape(cpuBackend)
  const y = await graph(tape, inputs)
  const dy = adversarialF32(y.data.length, seed * 7).map((v) => (Math.abs(v) < 1e3 ? v : 1))
  await tape.backward(y, cpuBackend.upload(dy, y.shape))
  const bits = (t: CpuTensor | undefined) => (t ? [...new Uint32Array(t.data.buffer)] : null)
  return { y: bits(y), grads: inputs.map((x) => bits(tape.grad(x))) }
}

describe('fused tape rules give the unfused bits, forward and backward', () => {
  it('linear with a bias and a residual that already feeds another op', async () => {
    // x feeds both matmuls; r is the residual and is used again after, so gradients meet in it.
    const fused: Graph = async (t, [x, w, b, r]) => {
      const y = await t.linear(x, w, b, r)
      return t.add(await t.linear(x, w, b), await t.add(y, r))
    }
    const unfused: Graph = async (t, [x, w, b, r]) => {
      const y = await t.add(r, await t.add(await t.matmul(x, w), b))
      return t.add(await t.add(await t.matmul(x, w), b), await t.add(y, r))
    }
    for (const seed of [1, 2]) expect(await run(fused, seed)).toEqual(await run(unfused, seed))
  })

  it('attention scores: a scaled matmul with a transposed right operand', async () => {
    const s = 1 / Math.sqrt(7)
    const fused: Graph = async (t, [, , , , q]) => t.scaledMatmul(q, q, s, { transB: true })
    const unfused: Graph = async (t, [, , , , q]) => t.scale(await t.matmul(q, q, { transB: true }), s)
    expect(await run(fused, 3)).toEqual(await run(unfused, 3))
    const plain: Graph = async (t, [x, w]) => t.scaledMatmul(x, w, 0.3)
    const plainUnfused: Graph = async (t, [x, w]) => t.scale(await t.matmul(x, w), 0.3)
    expect(await run(plain, 4)).toEqual(await run(plainUnfused, 4))
  })
})
