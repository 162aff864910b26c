// Same bits on two independent Vulkan implementations and the CPU reference: every kernel's output and 20
// training steps' state hashes (bench/hashes.ts), on Chromium's SwiftShader and Mesa's lavapipe through Dawn
// for Node, each in its own process (scripts/adapters.mjs), the reference here. scripts/test.mjs installs
// lavapipe first; where it could not, its tests skip and the summary says why.
import { beforeAll, describe, expect, it } from 'vitest'
import { cpuHashes, hashMismatches, HASH_CHECK, type HashReport } from '../bench/hashes.ts'
import { presets } from '../src/train/gpt.ts'
import { stepMemory } from '../src/train/memory.ts'
import { kjvBytes } from '../src/train/testing.ts'
import { adapterEnv, adapters, runOnAdapter } from './adapters.mjs'

type Name = keyof typeof adapters
const names = Object.keys(adapters) as Name[]
const missing = Object.fromEntries(names.map((n) => [n, adapterEnv(n).why])) as Record<
  Name,
  string | undefined
>
let dawn: boolean
try {
  await import('webgpu')
  dawn = true
} catch {
  dawn = false
}

// Settled results: a rejection is reported by the test that needs it, not as an unhandled one.
const runs = new Map<Name, Promise<HashReport | Error>>()
let reference: HashReport

beforeAll(async () => {
  // Started first: the children run beside the reference computed in this process.
  for (const n of names)
    if (dawn && !missing[n])
      runs.set(
        n,
        runOnAdapter(n).catch((e: Error) => e),
      )
  reference = await cpuHashes(kjvBytes, HASH_CHECK)
}, 600_000)

async function report(name: Name): Promise<HashReport> {
  const r = await runs.get(name)!
  if (r instanceof Error) throw r
  return r
}

describe.each(names)('through Dawn on %s', (name) => {
  const skip = !dawn || !!missing[name]
  if (skip)
    console.warn(`[adapters.test] ${name} skipped: ${dawn ? missing[name] : 'the webgpu package is missing'}`)

  it.skipIf(skip)(
    'every kernel gives the CPU reference bits',
    async () => {
      const r = await report(name)
      expect(r.kernels.length).toBeGreaterThan(10)
      expect(hashMismatches(r, reference, 'kernels')).toEqual([])
    },
    600_000,
  )

  it.skipIf(skip)(
    `${HASH_CHECK.steps} training steps give the CPU reference state hashes`,
    async () => {
      const r = await report(name)
      expect(r.steps.length).toBe(HASH_CHECK.steps)
      expect(hashMismatches(r, reference, 'steps')).toEqual([])
    },
    600_000,
  )

  it.skipIf(skip)(
    'holds the GPU buffers src/train/memory.ts counts without a GPU',
    async () => {
      const r = await report(name)
      const { peak } = await stepMemory({ model: presets[HASH_CHECK.preset], batch: HASH_CHECK.batch })
      // A difference means the trainer's step allocates other buffers than memory.ts replays: mirror it there.
      expect(r.trainingPeakBytes, `${name}: peak bytes of the training steps`).toBe(peak)
    },
    600_000,
  )
})

it.skipIf(!dawn || names.some((n) => missing[n]))(
  'SwiftShader and lavapipe give each other the same bits',
  async () => {
    const [a, b] = await Promise.all(names.map(report))
    expect([...hashMismatches(a, b, 'kernels'), ...hashMismatches(a, b, 'steps')]).toEqual([])
    // The two are different drivers, not one picked twice.
    expect(a.adapter).not.toBe(b.adapter)
  },
  600_000,
)
