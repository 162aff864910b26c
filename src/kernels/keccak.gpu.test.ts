import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256, type Hex } from 'viem'
import { Gpu } from '../gpu/runtime.ts'
import { upload } from '../gpu/tensor.ts'
import { mulberry32 } from '../util/random.ts'
import { cpuBackend } from '../train/cpu.ts'
import { commitState } from '../train/commit.ts'
import { KJV_PENTATEUCH, corpusPath, fetchCorpus, splitBy } from '../train/corpus.ts'
import { presets } from '../train/gpt.ts'
import { leafPrefix, stateHash, tensorLeaf } from '../train/state.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { DIGEST_WORDS, digestHex, keccak, keccakRef } from './keccak.ts'

let gpu: Gpu
beforeAll(async () => {
  gpu = await Gpu.create()
})
afterAll(() => gpu?.destroy())

function bytes(n: number, seed: number): Uint8Array {
  const next = mulberry32(seed)
  return Uint8Array.from({ length: n }, () => next() & 0xff)
}

function words(n: number, seed: number): Uint32Array {
  const next = mulberry32(seed)
  return Uint32Array.from({ length: n }, () => next())
}

/** Hashes every message in one dispatch: `prefix` bytes, then `data` words of one shared buffer. */
async function onGpu(messages: { prefix: Uint8Array; data?: Uint32Array }[]): Promise<Hex[]> {
  const all = new Uint32Array(messages.reduce((n, m) => n + (m.data?.length ?? 0), 0) + 1)
  let at = 1 // an offset, so `from` is exercised
  const jobs = messages.map((m, i) => {
    all.set(m.data ?? [], at)
    const job = { prefix: m.prefix, from: at, words: m.data?.length ?? 0, out: i * DIGEST_WORDS }
    at += job.words
    return job
  })
  const data = gpu.upload(all)
  const out = gpu.buffer(4 * DIGEST_WORDS * messages.length)
  await keccak(gpu, jobs, data, out)
  const digests = new Uint32Array(await gpu.read(out, 4 * DIGEST_WORDS * messages.length))
  gpu.release(data)
  gpu.release(out)
  return messages.map((_, i) => digestHex(digests.slice(i * DIGEST_WORDS, (i + 1) * DIGEST_WORDS)))
}

describe('keccak256 on the GPU', () => {
  it('gives viem the bits of the empty input and of prefixes around the 136-byte block', async () => {
    const lengths = [0, 1, 3, 4, 7, 8, 31, 32, 33, 135, 136, 137, 271, 272, 273, 1000]
    const messages = lengths.map((n) => ({ prefix: bytes(n, n) }))
    const want = messages.map((m) => keccak256(m.prefix))
    expect(want[0]).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    expect(await onGpu(messages)).toEqual(want)
  })

  it('gives viem the bits for every prefix alignment before the data, across block edges', async () => {
    const messages: { prefix: Uint8Array; data: Uint32Array }[] = []
    for (let r = 0; r < 8; r++)
      for (const total of [135, 136, 137, 139, 272, 273, 136 * 5 + 3]) {
        const n = Math.floor((total - r) / 4)
        messages.push({ prefix: bytes(r, 100 + r), data: words(n, total * 8 + r) })
      }
    messages.push({ prefix: new Uint8Array(0), data: words(0, 1) })
    messages.push({ prefix: bytes(25, 9), data: words(3000, 9) }) // many blocks
    const want = messages.map((m) => keccakRef(m.prefix, m.data))
    expect(await onGpu(messages)).toEqual(want)
  })

  it('commits to a real trainer state with the bits of state.ts, leaves and state hash', async () => {
    const bytesOf = await fetchCorpus(KJV_PENTATEUCH, `/${corpusPath(KJV_PENTATEUCH)}`)
    const { train } = splitBy(KJV_PENTATEUCH, bytesOf)
    const trainer = Trainer.create(cpuBackend, defaultTrainConfig(presets.tiny, { steps: 4, batch: 2 }))
    await trainer.trainStep(train)
    await trainer.trainStep(train) // moments no longer zero
    const state = await trainer.tensors()
    const tensors = state.map((t) => ({ name: t.name, shape: t.shape, t: upload(gpu, t.data, t.shape) }))
    const out = gpu.buffer(64)
    await commitState(gpu, trainer.step, tensors, out, 8)
    const got = digestHex(new Uint32Array(await gpu.read(out, 64)).slice(8, 16))
    expect(got).toBe(stateHash(trainer.step, state))
    expect(got).toBe(await trainer.stateHash())
    // Gathered in many small batches (one dispatch each) instead of one: the same hash.
    await commitState(gpu, trainer.step, tensors, out, 0, { gatherBytes: 8192 })
    expect(digestHex(new Uint32Array(await gpu.read(out, 32)))).toBe(got)
    // Each leaf too: name ‖ 0 ‖ rank ‖ dims, then the values, any length of name.
    const leaves = await onGpu(
      state.map((t) => ({
        prefix: leafPrefix(t.name, t.shape),
        data: new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
      })),
    )
    expect(leaves).toEqual(state.map(tensorLeaf))
    gpu.release(out)
  }, 120_000)
})
