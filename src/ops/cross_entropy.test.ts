// The weighted cross-entropy op: the tape's root gives the kernel's gradient, the f64 kernels agree
// with the CPU reference, and a trace of its kernels replays from the record (through JSON, as a
// dispute carries it) to the recorded outputs.
import { describe, expect, it } from 'vitest'
import { Tape } from '../train/autograd.ts'
import { cpuBackend } from '../train/cpu.ts'
import { f64Backend } from '../train/f64.ts'
import { TracingBackend, recompute, type OpRecord } from '../disputes/trace.ts'
import { mulberry32 } from '../util/random.ts'

const [rows, vocab] = [5, 11]
const next = mulberry32(7)
const x = Float32Array.from({ length: rows * vocab }, () => (next() / 2 ** 32 - 0.5) * 6)
const targets = Int32Array.from({ length: rows }, () => next() % vocab)
const weights = Float32Array.of(0.25, 0, -0.5, 1.5, -0)

describe('crossEntropyWeighted (op)', () => {
  it('as the tape root, sends back exactly the weighted gradient kernel', async () => {
    const tape = new Tape(cpuBackend)
    const logits = cpuBackend.upload(x, [rows, vocab])
    const loss = await tape.crossEntropyWeighted(logits, targets, weights)
    await tape.backward(loss, loss)
    const want = await cpuBackend.crossEntropyWeightedGrad(logits, targets, weights)
    expect([...(await cpuBackend.download(tape.grad(logits)!))]).toEqual([...want.data])
    tape.dispose()
  })

  it('f64 kernels agree with the CPU reference (loss, rows, gradient)', async () => {
    const c = cpuBackend.upload(x, [rows, vocab])
    const d = f64Backend.upload(x, [rows, vocab])
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) =>
      Array.from(a).forEach((v, i) => expect(Math.abs(v - b[i]), `${i}`).toBeLessThan(tol))
    close(
      (await cpuBackend.crossEntropyWeighted(c, targets, weights)).data,
      (await f64Backend.crossEntropyWeighted(d, targets, weights)).data,
      1e-5,
    )
    close(
      (await cpuBackend.crossEntropyRows(c, targets)).data,
      (await f64Backend.crossEntropyRows(d, targets)).data,
      1e-5,
    )
    close(
      (await cpuBackend.crossEntropyWeightedGrad(c, targets, weights)).data,
      (await f64Backend.crossEntropyWeightedGrad(d, targets, weights)).data,
      1e-6,
    )
  })

  it('each kernel replays from its record to the recorded outputs', async () => {
    const be = new TracingBackend(cpuBackend)
    const logits = be.upload(x, [rows, vocab])
    await be.crossEntropyWeighted(logits, targets, weights)
    await be.crossEntropyWeightedGrad(logits, targets, weights)
    await be.crossEntropyRows(logits, targets)
    expect(be.records.map((r) => r.op)).toEqual([
      'crossEntropyWeighted',
      'crossEntropyWeightedGrad',
      'crossEntropyRows',
    ])
    for (const record of be.records) {
      const carried: OpRecord = JSON.parse(JSON.stringify(record))
      expect(await recompute(cpuBackend, carried, be.values)).toEqual(record.outputs)
    }
    // A changed weight in the record recomputes to another output: the weights are part of the claim.
    const lie: OpRecord = JSON.parse(JSON.stringify(be.records[0]))
    ;(lie.args[1] as number[])[0] = 0x3f000000 // 0.5 for 0.25
    expect(await recompute(cpuBackend, lie, be.values)).not.toEqual(be.records[0].outputs)
  })
})
