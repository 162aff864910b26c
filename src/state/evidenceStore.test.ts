import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { encodeCheckpoint } from '../swarm/protocol/codec.ts'
import { makeEvidence, evidenceHash } from '../rl/sapo/index.ts'
import { fakeModel } from '../rl/sapo/testing.ts'
import { idbEvidenceStore, MAX_FILES } from './evidenceStore.ts'

const COORDINATOR = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'
const file = (round: number, swarm = 'test') =>
  makeEvidence({
    swarm,
    chainId: 31337,
    coordinator: COORDINATOR,
    claim: { round, stage: 0, peerId: 'claimant', reward: 5n, receiptsRoot: `0x${'11'.repeat(32)}` },
    message: new TextEncoder().encode('{"type":"rollouts"}'),
    checkpoint: encodeCheckpoint(fakeModel(0.1)),
    verdict: { confirmed: false, reward: 3n, why: 'it claimed 5; its rollouts regenerate and earn 3' },
    attester: { peerId: 'attester', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' },
  })

describe('the evidence store', () => {
  it('keeps files across a reopen (a reload), by swarm and coordinator, newest last, at most MAX_FILES', async () => {
    const name = `evidence-${Math.random()}`
    const a = idbEvidenceStore(name)
    const saved = await a.put(file(1))
    expect(saved.hash).toBe(evidenceHash(file(1)))
    await a.put(file(2, 'other'))
    await a.put(file(3))
    const b = idbEvidenceStore(name)
    const back = await b.list('test', COORDINATOR.toLowerCase(), 10)
    expect(back.map((e) => e.claim.round)).toEqual([1, 3])
    expect(evidenceHash(back[0])).toBe(saved.hash)
    expect(await b.list('test', COORDINATOR, 1)).toHaveLength(1)
    for (let r = 10; r < 10 + MAX_FILES; r++) await b.put(file(r))
    const all = await idbEvidenceStore(name).list('test', COORDINATOR, 1000)
    expect(all).toHaveLength(MAX_FILES)
    expect(all[0].claim.round).toBe(10)
  }, 60_000)
})
