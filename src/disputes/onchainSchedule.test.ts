// The learning-rate schedule the dispute game derives an AdamW step's rate from
// (contracts/referee/Schedule.sol) against src/kernels/schedule.ts lrSchedule, bit for bit, through anvil:
// 10,000 seeded (schedule, step) cases biased to the schedule's landmarks, and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { opsHarnessAbi } from '../chain/contracts/OpsHarness.ts'
import { f32Bits, f32FromBits } from '../kernels/softfloat.ts'
import { lrSchedule } from '../kernels/schedule.ts'
import { mulberry32 } from '../util/random.ts'
import { CASES, EVM_TIMEOUT, batched, expectSameBits, startReferee } from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>
beforeAll(async () => {
  chain = await startReferee()
}, 120_000)
afterAll(() => chain?.stop())

type Case = [number, number, number, number, number] // peak, min (f32 bits), warmup, total, step

const MAX = 2 ** 31 - 2

function cases(seed: number): Case[] {
  const next = mulberry32(seed)
  const f32 = (lo: number, hi: number) => f32Bits(lo * (hi / lo) ** ((next() % 1_000_000) / 1_000_000))
  return Array.from({ length: CASES }, (): Case => {
    const big = next() % 50 === 0
    const warmup = next() % 4 === 0 ? 0 : big ? MAX - (next() % 1000) - 200_000 : next() % 2000
    const total = next() % 20 === 0 ? warmup : Math.min(MAX, warmup + (next() % (big ? 200_000 : 50_000)))
    const span = total - warmup
    // The landmarks: either end of warmup, the switch from cos to sin near r = 1/2, the last steps.
    const landmarks = [0, warmup - 1, warmup, warmup + Math.floor(span / 2), warmup + Math.ceil(span / 2)]
    const pick = next() % 4
    const step =
      pick === 0
        ? landmarks[next() % landmarks.length]
        : pick === 1
          ? total - (next() % 3)
          : next() % (total + 100 > MAX ? MAX : total + 100)
    const peak = f32(1e-6, 1e-1)
    const min = next() % 5 === 0 ? 0 : next() % 10 === 0 ? f32(1e-1, 1) : f32(1e-8, f32FromBits(peak))
    return [peak, min, warmup, total, Math.min(MAX, Math.max(0, step))]
  })
}

const read = (slice: Case[]) =>
  chain.client.readContract({
    address: chain.harness,
    abi: opsHarnessAbi,
    functionName: 'schedules',
    args: [slice],
  })

describe('Schedule: the learning rate, bit for bit with lrSchedule', () => {
  it(
    '10,000 schedules and steps (warmup, the cosine, both sides of r = 1/2, past the end)',
    async () => {
      const all = cases(0x5c4ed)
      const want = all.map(([peak, min, warmup, total, step]) =>
        f32Bits(lrSchedule(step, { peak: f32FromBits(peak), min: f32FromBits(min), warmup, total })),
      )
      const got = await batched(all, 1000, read)
      expectSameBits(all, got, want)
    },
    EVM_TIMEOUT,
  )

  it('refuses what lrSchedule refuses: total before warmup, a step past 2^31 − 2, a peak or min not finite', async () => {
    const ok: Case = [f32Bits(1e-3), f32Bits(1e-4), 10, 100, 5]
    expect(await read([ok])).toEqual([
      f32Bits(lrSchedule(5, { peak: 1e-3, min: 1e-4, warmup: 10, total: 100 })),
    ])
    for (const bad of [
      [ok[0], ok[1], 10, 9, 5],
      [ok[0], ok[1], 10, 100, MAX + 1],
      [0x7f800000, ok[1], 10, 100, 5],
      [ok[0], 0x7fc00000, 10, 100, 5],
    ] as Case[])
      await expect(read([bad])).rejects.toThrow(/BadSchedule/)
  })
})
