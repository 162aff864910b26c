import { describe, expect, it } from 'vitest'
import { checkpointHash, encodeCheckpoint } from '../../swarm/protocol/codec.ts'
import { stateHash } from '../../train/state.ts'
import type { Checkpoint } from '../../train/trainer.ts'
import { ClaimEvidenceError } from '../../errors/rl.ts'
import { acceptRollouts } from './accept.ts'
import { claimReward, receiptsRoot, recheckClaim, type RewardClaim } from './claim.ts'
import { evidenceHash, evidenceText, makeEvidence, parseEvidence, recheckEvidence } from './evidence.ts'
import { forgeGroups } from './cheat.ts'
import { encodeSapoMessage, type Rollouts } from './messages.ts'
import { fakeBook, fakeCompute, fakeModel, fakeParams } from './testing.ts'

const params = fakeParams()
const compute = fakeCompute()
const ctx = { compute, params, book: fakeBook }
const PEER = 'claimant'

/** The claimant's round-3 message from `model` (forged when asked), its bytes, checkpoint and honest claim. */
async function claimOf(model: Checkpoint, forge = false) {
  const checkpoint = encodeCheckpoint(model)
  const tasks = fakeBook.tasksFor(params.seed, 3, PEER, params.local)
  const honest = await compute.rollouts(model, tasks, params.G, params.rule)
  const made = forge ? forgeGroups(honest, tasks, params.rule) : honest
  const m: Rollouts = {
    type: 'rollouts',
    round: 3,
    state: stateHash(model.step, model.tensors),
    blob: checkpointHash(checkpoint),
    groups: made.map((g) => ({ taskId: g.taskId, completions: g.completions })),
    trainedOn: [],
  }
  const message = encodeSapoMessage(m)
  const claim: RewardClaim = {
    peerId: PEER,
    reward: claimReward(acceptRollouts(m, PEER, params, fakeBook)),
    receiptsRoot: receiptsRoot(message),
  }
  return { m, message, checkpoint, claim }
}

describe('reward claims', () => {
  it('confirm a claim whose rollouts regenerate and add up to its reward', async () => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.5))
    expect(claim.reward).toBeGreaterThan(0n)
    const r = await recheckClaim(claim, message, checkpoint, ctx)
    expect(r).toEqual({ confirmed: true, reward: claim.reward, why: expect.stringContaining('regenerates') })
  })

  it('refute an inflated reward, naming what the rollouts earn', async () => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.5))
    const r = await recheckClaim({ ...claim, reward: claim.reward + 1n }, message, checkpoint, ctx)
    expect(r.confirmed).toBe(false)
    expect(r.reward).toBe(claim.reward)
    expect(r.why).toBe(`it claimed ${claim.reward + 1n}; its rollouts regenerate and earn ${claim.reward}`)
  })

  it('refute forged completions even when the reward adds up to them', async () => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.1), true)
    const honest = await claimOf(fakeModel(0.1))
    expect(claim.reward).toBeGreaterThan(honest.claim.reward)
    const r = await recheckClaim(claim, message, checkpoint, ctx)
    expect(r.confirmed).toBe(false)
    expect(r.why).toMatch(/does not regenerate: completion \d+ token \d+/)
  })

  it('refute rollouts that are not the claimant’s tasks (a message of another peer claimed as its own)', async () => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.5))
    const r = await recheckClaim({ ...claim, peerId: 'someone-else' }, message, checkpoint, ctx)
    expect(r).toMatchObject({
      confirmed: false,
      reward: null,
      why: expect.stringContaining('do not fit the swarm'),
    })
  })

  it('refute rollouts that name a state their model is not', async () => {
    const model = fakeModel(0.5)
    const { m, checkpoint } = await claimOf(model)
    const other = stateHash(model.step + 1, model.tensors)
    const message = encodeSapoMessage({ ...m, state: other })
    const claim = { peerId: PEER, reward: 0n, receiptsRoot: receiptsRoot(message) }
    const r = await recheckClaim(claim, message, checkpoint, ctx)
    expect(r.confirmed).toBe(false)
    expect(r.why).toContain(`not the ${other} its rollouts say`)
  })

  it('refute a replay: rollouts of an RL round an earlier claim of the peer already named', async () => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.5))
    const earlier = { round: 4, stage: 0, receiptsRoot: claim.receiptsRoot, message }
    const r = await recheckClaim(claim, message, checkpoint, ctx, { at: { round: 5, stage: 0 }, earlier })
    expect(r).toMatchObject({ confirmed: false, reward: claim.reward })
    expect(r.why).toBe(
      'it replays: its rollouts are of RL round 3, and its claim in coordinator round 4 stage 0 already named RL round 3',
    )
    // Not earlier, or not its bytes: no evidence of a replay.
    const at = { round: 4, stage: 0 }
    await expect(recheckClaim(claim, message, checkpoint, ctx, { at, earlier })).rejects.toThrow(
      /is not before this one/,
    )
    const other = await claimOf(fakeModel(0.2))
    const forged = { ...earlier, message: other.message }
    await expect(
      recheckClaim(claim, message, checkpoint, ctx, { at: { round: 5, stage: 0 }, earlier: forged }),
    ).rejects.toThrow(ClaimEvidenceError)
  })

  it('refuse bytes the claim does not commit to, with no verdict', async () => {
    const a = await claimOf(fakeModel(0.5))
    const b = await claimOf(fakeModel(0.2))
    await expect(recheckClaim(a.claim, b.message, a.checkpoint, ctx)).rejects.toThrow(ClaimEvidenceError)
    await expect(recheckClaim(a.claim, a.message, b.checkpoint, ctx)).rejects.toThrow(
      /not the 0x[0-9a-f]+ its rollouts name/,
    )
    const huge = new Uint8Array(10_000_000)
    await expect(recheckClaim(a.claim, huge, a.checkpoint, ctx)).rejects.toThrow(/over/)
  })
})

describe('evidence files', () => {
  const attester = { peerId: 'attester', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const }
  const fileOf = async (reward: (honest: bigint) => bigint, lie = false) => {
    const { message, checkpoint, claim } = await claimOf(fakeModel(0.5))
    const claimed = { ...claim, reward: reward(claim.reward), round: 7, stage: 0 }
    const verdict = await recheckClaim(claimed, message, checkpoint, ctx)
    const coordinator = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' as const
    const e = makeEvidence({
      ...{ swarm: 'test', chainId: 31337, coordinator, message, checkpoint, attester },
      claim: claimed,
      verdict: lie ? { ...verdict, confirmed: !verdict.confirmed } : verdict,
    })
    return parseEvidence(evidenceText(e))
  }

  it('carry a refutation that anyone re-executes to the same verdict', async () => {
    const e = await fileOf((r) => r * 2n + 1000n)
    expect(e.verdict.confirmed).toBe(false)
    const again = await recheckEvidence(e, ctx)
    expect(again).toMatchObject({ confirmed: false, holds: true, reward: BigInt(e.verdict.reward!) })
  })

  it("show an attester's false verdict as not holding", async () => {
    const e = await fileOf((r) => r, true)
    expect(e.verdict.confirmed).toBe(false)
    expect(await recheckEvidence(e, ctx)).toMatchObject({ confirmed: true, holds: false })
  })

  it('hash to what the attestation names, and change hash with any field', async () => {
    const e = await fileOf((r) => r)
    const h = evidenceHash(e)
    expect(evidenceHash(parseEvidence(evidenceText(e)))).toBe(h)
    expect(evidenceHash({ ...e, verdict: { ...e.verdict, why: 'x' } })).not.toBe(h)
  })

  it('refuse malformed files by field', () => {
    expect(() => parseEvidence('{')).toThrow('evidence: not JSON')
    expect(() => parseEvidence(JSON.stringify({ kind: 'lockstep/reward-evidence', version: 2 }))).toThrow(
      'evidence.version',
    )
  })
})
