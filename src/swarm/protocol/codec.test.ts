import { describe, expect, it } from 'vitest'
import { cpuBackend } from '../../train/cpu.ts'
import { stateHash } from '../../train/state.ts'
import { Trainer, defaultTrainConfig } from '../../train/trainer.ts'
import { MICRO } from '../sim/swarm.ts'
import { averageCheckpoints } from './aggregate.ts'
import {
  CheckpointFormatError,
  checkpointBytes,
  checkpointHash,
  decodeCheckpoint,
  encodeCheckpoint,
} from './codec.ts'

const config = defaultTrainConfig(MICRO, { batch: 2 })
const model = async (seed: number) => {
  const t = Trainer.create(cpuBackend, { ...config, seed })
  return t.checkpoint()
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))

describe('checkpoint codec', () => {
  it('round-trips bit for bit, and its hash is a function of the state', async () => {
    const c = await model(1)
    c.tensors[3].data[0] = -0 // signed zero and a NaN payload survive
    const bytes = encodeCheckpoint(c)
    expect(bytes.length).toBe(checkpointBytes(config))
    const back = decodeCheckpoint(bytes, bytes.length)
    expect(back.config).toEqual(c.config)
    expect(back.step).toBe(c.step)
    for (const [i, t] of back.tensors.entries()) expect(bits(t.data)).toEqual(bits(c.tensors[i].data))
    expect(stateHash(back.step, back.tensors)).toBe(stateHash(c.step, c.tensors))
    expect(checkpointHash(encodeCheckpoint(back))).toBe(checkpointHash(bytes))
  })

  it('refuses over-limit, truncated, corrupted and padded bytes with a named error', async () => {
    const bytes = encodeCheckpoint(await model(1))
    expect(() => decodeCheckpoint(bytes, bytes.length - 1)).toThrow(/over the limit/)
    expect(() => decodeCheckpoint(bytes.subarray(0, 100), bytes.length)).toThrow(/truncated/)
    expect(() => decodeCheckpoint(new Uint8Array([...bytes, 0]), bytes.length + 1)).toThrow(/trailing/)
    const bad = bytes.slice()
    bad[0] = 0
    expect(() => decodeCheckpoint(bad, bytes.length)).toThrow(/magic/)
    // Every single-byte corruption of the header and the first tensor header either decodes to a checkpoint
    // or throws CheckpointFormatError: never anything else.
    for (let i = 0; i < 400; i++) {
      const b = bytes.slice()
      b[i] ^= 0xff
      try {
        decodeCheckpoint(b, bytes.length)
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointFormatError)
      }
    }
  })
})

describe('averaging', () => {
  it('is the f64 mean rounded once to f32, bit for bit, in the given order', async () => {
    const updates = await Promise.all([1, 2, 3].map(model))
    const avg = averageCheckpoints(updates, config)
    for (const [i, t] of avg.tensors.entries()) {
      const expected = new Float32Array(t.data.length)
      for (let j = 0; j < t.data.length; j++)
        expected[j] = Math.fround(
          (updates[0].tensors[i].data[j] + updates[1].tensors[i].data[j] + updates[2].tensors[i].data[j]) / 3,
        )
      expect(bits(t.data)).toEqual(bits(expected))
    }
    expect(stateHash(avg.step, avg.tensors)).toBe(
      stateHash(avg.step, averageCheckpoints(updates, config).tensors),
    )
    expect(() => averageCheckpoints([], config)).toThrow(/no update/)
    expect(() => averageCheckpoints([updates[0], { ...updates[1], step: 5 }], config)).toThrow(/step/)
  })
})
