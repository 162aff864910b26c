// rmsnorm as an op on the GPU backend: forward and gradients through the tape, bit for bit the CPU
// reference's.
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Gpu } from '../gpu/runtime.ts'
import { expectBitsEqual } from '../kernels/testing.ts'
import { Tape } from '../train/autograd.ts'
import type { Backend } from '../train/backend.ts'
import { cpuBackend } from '../train/cpu.ts'
import { gpuBackend } from '../train/gpu.ts'
import { mulberry32 } from '../util/random.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

const [rows, n] = [6, 96]
const next = mulberry32(23)
const rand = (count: number) =>
  Float32Array.from({ length: count }, () => (next() / 2 ** 32 - 0.5) * 2 ** (next() % 6))
const x = rand(rows * n)
const gamma = rand(n)
const targets = Int32Array.from({ length: rows }, (_, r) => (r * 11 + 1) % n)

async function run<T>(be: Backend<T>) {
  const tape = new Tape(be)
  const [xt, gt] = [be.upload(x, [rows, n]), be.upload(gamma, [n])]
  const y = await tape.rmsnorm(xt, gt)
  const loss = await tape.crossEntropy(y, targets)
  await tape.backward(loss, loss)
  return Promise.all([y, loss, tape.grad(xt)!, tape.grad(gt)!].map((t) => be.download(t)))
}

describe('the rmsnorm op on the GPU backend', () => {
  it('gives the CPU reference bits forward and backward', async () => {
    const [cpu, gpuOut] = [await run(cpuBackend), await run(gpuBackend(gpu))]
    ;['y', 'loss', 'dx', 'dgamma'].forEach((name, i) => expectBitsEqual(gpuOut[i], cpu[i], name))
  })
})
