// The adversarial fuzz suite (issue 15): seeded lies planted in every kind of place a party can lie —
// operator arguments, config fields, inputs, outputs, trace entries, checkpoint headers and tensors,
// message and receipt fields — across the dispute referee, the swarm fault judge and training-receipt
// verify. Every case has one honest party and one liar; the suite asserts the liar is caught and the
// honest party never convicted. FUZZ_SEED and FUZZ_CASES override the fixed seed and the case count
// (`npm run fuzz` runs ten times as many).
import { describe, expect, it } from 'vitest'
import { defaultTrainConfig } from '../train/trainer.ts'
import { MICRO } from '../swarm/sim/swarm.ts'
import { rng } from './lies.ts'
import { Tally } from './tally.ts'
import { disputeBench, disputeCases } from './disputeArena.ts'
import { swarmBench, swarmCases } from './swarmArena.ts'
import { verifyBench, verifyCases } from './verifyArena.ts'
import { kjvBytes } from '../train/testing.ts'

const corpus = kjvBytes
const SEED = Number(process.env.FUZZ_SEED ?? 15)
// `npm run fuzz` runs ten times the cases of `npm test`.
const CASES = Number(
  process.env.FUZZ_CASES ?? (process.env.npm_lifecycle_event === 'fuzz' ? 102_400 : 10_240),
)
/** How the cases split between the arenas (the rest go to training-receipt verify). */
const SHARE = { dispute: 0.55, swarm: 0.12 /* per swarm bench: full and sampled checks */ }

describe('adversarial fuzz', () => {
  it(
    `${CASES} planted lies: every liar caught, no honest party convicted (seed ${SEED})`,
    async () => {
      const tally = new Tally()
      const r = rng(SEED)
      const times: string[] = []
      const timed = async (name: string, f: () => Promise<void>) => {
        const t0 = performance.now()
        await f()
        times.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      }
      await timed('dispute', async () => {
        const bench = await disputeBench(corpus, defaultTrainConfig(MICRO, { steps: 2, batch: 2 }))
        await disputeCases(bench, tally, Math.round(CASES * SHARE.dispute), r)
      })
      for (const [H, checkSteps] of [
        [2, 2],
        [4, 1],
      ])
        await timed(`swarm (H ${H}, checkSteps ${checkSteps})`, async () =>
          swarmCases(await swarmBench(corpus, H, checkSteps), tally, Math.round(CASES * SHARE.swarm), r),
        )
      await timed('verify', async () => {
        const bench = await verifyBench(corpus, defaultTrainConfig(MICRO, { steps: 3, batch: 2 }))
        await verifyCases(bench, tally, CASES - tally.cases, r)
      })
      const refused = Object.fromEntries(tally.refusedOnly)
      console.log(
        `[fuzz] ${tally.cases} cases: ${tally.honestConvicted.length} honest convicted, ${tally.liarsMissed.length} liars missed (seed ${SEED}; ${times.join(', ')})`,
      )
      console.log(`[fuzz] by kind: ${JSON.stringify(Object.fromEntries(tally.byKind))}`)
      console.log(`[fuzz] refused without anyone excluded, or not drawn: ${JSON.stringify(refused)}`)
      if (process.env.FUZZ_PROFILE)
        console.log(
          `[fuzz] ms by kind: ${JSON.stringify(Object.fromEntries([...tally.ms].map(([k, v]) => [k, Math.round(v)])))}`,
        )
      expect(tally.cases).toBeGreaterThanOrEqual(CASES)
      expect(tally.honestConvicted).toEqual([])
      expect(tally.liarsMissed).toEqual([])
    },
    Math.max(600_000, CASES * 20),
  )
})
