// The round protocol on the real RL engine (CPU reference, a model too small to learn anything): every
// spot check regenerates another peer's group with the checker's own compute, so honest groups must
// match token for token, and a forger's must not.
import { describe, expect, it } from 'vitest'
import { cpuBackend } from '../../train/cpu.ts'
import { defaultTrainConfig, Trainer } from '../../train/trainer.ts'
import { cpuRlCompute, runRlSwarm, type RlSwarmOptions } from '../sim.ts'
import { rlTaskBook } from './book.ts'
import { forgingCompute } from './cheat.ts'
import { fakeParams, fakePeerParams } from './testing.ts'

const config = defaultTrainConfig({ vocab: 256, seqLen: 22, dModel: 8, nLayer: 1, nHead: 1 }, { lr: 1e-2 })

async function swarm(o: Partial<RlSwarmOptions> = {}) {
  const t = Trainer.create(cpuBackend, config)
  const model = await t.checkpoint()
  t.dispose()
  return runRlSwarm({
    peers: 3,
    rounds: 2,
    params: fakeParams({ local: 1, G: 2, rule: { temperature: 1, top_k: 0, maxNewTokens: 4 }, config }),
    mine: () => fakePeerParams({ external: 2, checkRate: 1 }),
    compute: () => cpuRlCompute(),
    book: rlTaskBook,
    model,
    ...o,
  })
}

describe('SAPO on the RL engine (CPU reference)', () => {
  it('regenerates every checked group of an honest peer exactly', async () => {
    const s = await swarm()
    expect(s.errors.flat()).toEqual([])
    for (const reports of s.reports) {
      expect(reports.map((r) => r.groupsReceived)).toEqual([2, 2])
      const standings = reports[1].peers
      expect(standings.every((p) => p.verified >= 1 && p.failed === 0 && !p.dropped)).toBe(true)
    }
  })

  it('catches completions the model did not produce', async () => {
    const s = await swarm({ compute: (i) => (i === 2 ? forgingCompute(cpuRlCompute()) : cpuRlCompute()) })
    for (const reports of s.reports.slice(0, 2))
      expect(reports[0].peers.find((p) => p.peer === 'peer3')).toMatchObject({ dropped: true })
  })
})
