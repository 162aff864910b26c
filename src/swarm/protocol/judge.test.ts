// Issue 15, finding 2: the judge and sampled checks must replay under the round's own config. The state
// hash covers tensors and step, not hyperparameters, so a checkpoint blob's header is a place to lie.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { keccak256, toBytes } from 'viem'
import { signTrainingReceipt, trainingReceiptBody } from '../../receipts/training.ts'
import { sampleSteps } from '../../receipts/replay.ts'
import { decodeCheckpoint } from './codec.ts'
import { roundConfig } from './params.ts'
import { commitOf, honestRun, judgeBench } from './testing.ts'
import { checkCommit, committed, faultRunId, judgeFault } from './verify.ts'
import { testSigner } from '../sim/swarm.ts'

const corpus = new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt'))

describe('the swarm judge replays under the round config', () => {
  it('a checker re-serving the producer’s checkpoint with lr×2 in its header is named, never the producer', async () => {
    const bench = await judgeBench(corpus, { stepsPerRound: 2, checkSteps: 2 })
    const producer = 'p1'
    const commit = await commitOf(bench, producer, 1, await honestRun(bench, producer))
    const r = commit.receipt
    // The checker takes the producer's checkpoint after step 1, doubles lr in its header, replays step 2.
    const own = decodeCheckpoint(bench.blobs.get(commit.checkpoints[0])!, 1 << 24)
    const forged = { ...own, config: { ...own.config, lr: own.config.lr * 2 } }
    const before = bench.keep(forged)
    const [lied] = (await bench.compute.train(forged, forged.config.seed, 1)).stepHashes
    expect(lied).not.toBe(committed(r, 2))
    const signer = testSigner(2)
    const body = trainingReceiptBody({
      runId: faultRunId('p2', r.receiptHash),
      config: r.body.config,
      data: r.body.data,
      startStep: 1,
      endStep: 2,
      startStateHash: committed(r, 1),
      stepHashes: [lied],
      kernelsHash: r.body.kernelsHash,
      producer: signer.address,
    })
    const checker = await signTrainingReceipt(body, signer, bench.params.target)
    const fault = { step: 2, before, receipt: r, checker }
    const wrong = await judgeFault(bench.context(3), 'p2', producer, commit, fault, bench.model)
    expect(wrong).toEqual(['checker'])
  }, 60_000)

  it('a sampled check refuses a producer whose checkpoints carry 5× lr for steps 2–4 (H=4, checkSteps=1)', async () => {
    const bench = await judgeBench(corpus, { stepsPerRound: 4, checkSteps: 1 })
    const producer = 'p1'
    const config = roundConfig(bench.params, 0, producer)
    // Step 1 honest, then steps 2–4 at 5× lr: each checkpoint's header says what it trained with.
    const first = await bench.compute.train({ ...bench.model, config }, config.seed, 1)
    const fast = { ...first.checkpoints[0], config: { ...config, lr: config.lr * 5 } }
    const rest = await bench.compute.train(fast, config.seed, 3)
    const out = {
      stepHashes: [...first.stepHashes, ...rest.stepHashes],
      losses: [...first.losses, ...rest.losses],
      checkpoints: [fast, ...rest.checkpoints],
    }
    const commit = await commitOf(bench, producer, 1, out)
    let late = 0
    for (let i = 0; i < 12; i++) {
      const seed = keccak256(toBytes(`draw ${i}`))
      const [step] = sampleSteps(commit.receipt, 1, seed)
      const result = await checkCommit(bench.context(2), 'p2', producer, commit, bench.model, seed)
      if (step === 1) {
        expect(result.ok).toBe(true) // step 1 was honest: drawn alone, it passes
        continue
      }
      late++
      expect(result.ok).toBe(false)
      expect(result.detail).toMatch(/carries another config \(lr: /)
    }
    expect(late).toBeGreaterThan(0)
  }, 120_000)
})
