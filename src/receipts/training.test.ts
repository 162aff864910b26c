import { beforeAll, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { keccak256, toBytes, type Hex } from 'viem'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { kjvBytes as corpus } from '../train/testing.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { MICRO, TEST_TARGET as target, trainedReceipt } from './testing.ts'
import { replayTrainingReceipt, sampleSteps, spotCheckTrainingReceipt } from './replay.ts'
import {
  hashJson,
  signTrainingReceipt,
  stepsTree,
  trainingReceiptBody,
  type TrainingReceipt,
} from './training.ts'
import { validateTrainingReceipt } from './validate.ts'
import vectors from './vectors.json'

// anvil's first dev account and first contract address: public test values, never real funds.
const producer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const other = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const config = defaultTrainConfig(MICRO, { steps: 5, batch: 2 })

/** An honest producer's receipt, or one that commits a made-up state at step `cheatAt` (and signs it all). */
const produce = (cheatAt?: number): Promise<TrainingReceipt> =>
  trainedReceipt({
    signer: producer,
    bytes: corpus,
    config,
    lie: (b) => ({
      ...b,
      stepHashes: b.stepHashes.map((h, i) => (i + 1 === cheatAt ? hashJson({ fake: i }) : h)),
    }),
  })

const failed = async (r: unknown, opts = {}) =>
  (await validateTrainingReceipt(r, opts)).filter((c) => !c.ok).map((c) => c.name)

let honest: TrainingReceipt
beforeAll(async () => {
  honest = await produce()
})

describe('spec test vectors (docs/receipts.md)', () => {
  it('reproduce the canonical hash, the steps root and the signature', async () => {
    const v = vectors.training
    // Independently of hashJson: keccak256 of the UTF-8 bytes of the canonical text in the vector file.
    expect(keccak256(toBytes(vectors.training_canonicalBody))).toBe(v.receiptHash)
    expect(hashJson(v.body)).toBe(v.receiptHash)
    expect(stepsTree(v.body.startStep, v.body.stepHashes as Hex[]).root).toBe(v.body.stepsRoot)
    expect(hashJson(v.body.config)).toBe(v.body.configHash)
    const signed = await signTrainingReceipt(v.body as never, producer, target)
    expect(signed.signature.value).toBe(v.signature.value)
  })
})

describe('validate', () => {
  it('passes an honest receipt with every check named', async () => {
    const checks = await validateTrainingReceipt(honest, { ...target, signer: producer.address })
    expect(checks.map((c) => c.name)).toEqual([
      'structure',
      'limits',
      'config hash',
      'steps root',
      'end state',
      'receipt hash',
      'signature',
      'chain',
      'signer',
      'kernels',
    ])
    expect(checks.filter((c) => !c.ok)).toEqual([])
  })

  it('rejects tampering, naming the check that failed', async () => {
    const copy = () => structuredClone(honest)
    const changedField = copy()
    changedField.body.config.lr = 0.5
    // The signature still covers the stored receiptHash; the body no longer hashes to it.
    expect(await failed(changedField)).toEqual(['config hash', 'receipt hash'])

    const flipped = copy()
    flipped.body.stepHashes[2] = (flipped.body.stepHashes[2].slice(0, -1) +
      (flipped.body.stepHashes[2].endsWith('0') ? '1' : '0')) as Hex
    expect(await failed(flipped)).toContain('steps root')

    const reordered = copy()
    ;[reordered.body.stepHashes[0], reordered.body.stepHashes[1]] = [
      reordered.body.stepHashes[1],
      reordered.body.stepHashes[0],
    ]
    expect(await failed(reordered)).toEqual(['steps root', 'receipt hash'])

    const wrongSigner = copy()
    const forged = await signTrainingReceipt({ ...honest.body, producer: other.address }, other, target)
    wrongSigner.signature = forged.signature
    expect(await failed(wrongSigner)).toEqual(['signature'])
    expect(await failed(honest, { signer: other.address })).toEqual(['signer'])
  })

  it('a receipt signed for one chain does not verify for another', async () => {
    expect(await failed(honest, { chainId: 1 })).toEqual(['chain'])
    const relabelled = structuredClone(honest)
    relabelled.signature.chainId = 1
    expect(await failed(relabelled)).toEqual(['signature'])
  })

  it('survives 10,000 malformed receipts: no throw, every one rejected', async () => {
    const base = JSON.stringify(honest)
    let seed = 12345
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n
    const junk = [null, 0, -1, 1e308, '', 'x', '0x', [], {}, true, '0x' + 'g'.repeat(64), 2 ** 53]
    for (let i = 0; i < 10_000; i++) {
      let value: unknown
      if (i % 4 === 0) {
        // byte-level damage: may not even parse
        const chars = base.split('')
        for (let k = 0; k < 1 + rand(4); k++) chars[rand(chars.length)] = String.fromCharCode(32 + rand(95))
        try {
          value = JSON.parse(chars.join(''))
        } catch {
          value = chars.join('')
        }
      } else {
        // structural damage: replace one value somewhere with junk
        const r = JSON.parse(base)
        const paths = [
          ['kind'],
          ['version'],
          ['body'],
          ['body', 'runId'],
          ['body', 'config'],
          ['body', 'startStep'],
          ['body', 'endStep'],
          ['body', 'stepHashes'],
          ['body', 'stepHashes', 1],
          ['body', 'producer'],
          ['body', 'stepsRoot'],
          ['receiptHash'],
          ['signature'],
          ['signature', 'value'],
          ['signature', 'chainId'],
          ['body', 'data'],
        ]
        const path = paths[rand(paths.length)]
        let at = r
        for (const k of path.slice(0, -1)) at = at[k]
        at[path[path.length - 1]] = junk[rand(junk.length)]
        value = r
      }
      const checks = await validateTrainingReceipt(value)
      const untouched = typeof value === 'object' && JSON.stringify(value) === base
      if (!untouched)
        expect(
          checks.some((c) => !c.ok),
          `mutation ${i}`,
        ).toBe(true)
    }
  }, 120_000)
})

describe('verify by replay', () => {
  it('re-executes every step on the CPU reference and finds them equal', async () => {
    const result = await replayTrainingReceipt(honest, cpuBackend, corpus)
    expect(result.detail).toBe('all 5 steps equal, bit for bit')
    expect(result.steps.every((s) => s.equal)).toBe(true)
  })

  it('finds a planted fault at the exact step, though the receipt itself validates', async () => {
    const cheat = await produce(3)
    expect(await failed(cheat)).toEqual([])
    const result = await replayTrainingReceipt(cheat, cpuBackend, corpus)
    expect(result.ok).toBe(false)
    expect(result.firstMismatch).toBe(3)
    expect(result.detail).toMatch(/^step 3 differs/)
  })

  it('refuses the wrong corpus', async () => {
    const result = await replayTrainingReceipt(honest, cpuBackend, corpus.slice(1))
    expect(result.detail).toMatch(/the corpus hashes to/)
  })
})

describe('verify by spot checks', () => {
  async function withCheckpoints(cheatAt?: number) {
    const trainer = Trainer.create(cpuBackend, config)
    const checkpoints = new Map([[0, structuredClone(await trainer.checkpoint())]])
    const { train } = splitBy(KJV_PENTATEUCH, corpus)
    for (let s = 1; s <= 5; s++) {
      await trainer.trainStep(train)
      checkpoints.set(s, structuredClone(await trainer.checkpoint()))
    }
    const receipt = await produce(cheatAt)
    return { receipt, checkpointAt: async (s: number) => checkpoints.get(s)! }
  }

  it('draws the same steps for the same seed, different ones for another, all distinct', async () => {
    const a = sampleSteps(honest, 3, '0x01')
    expect(sampleSteps(honest, 3, '0x01')).toEqual(a)
    expect(new Set(a).size).toBe(3)
    expect(a.every((s) => s >= 1 && s <= 5)).toBe(true)
    expect(sampleSteps(honest, 5, '0x02').sort()).toEqual([1, 2, 3, 4, 5])
  })

  it('passes an honest producer and catches a faked step from either side of it', async () => {
    const honestRun = await withCheckpoints()
    const ok = await spotCheckTrainingReceipt(honestRun.receipt, cpuBackend, corpus, honestRun.checkpointAt, {
      k: 3,
      seed: '0xbeef',
    })
    expect(ok.ok).toBe(true)
    expect(ok.steps).toHaveLength(3)

    const cheat = await withCheckpoints(3)
    // Drawing step 3 replays it and differs; drawing step 4 needs a checkpoint after 3 that hashes to the fake.
    const all = await spotCheckTrainingReceipt(cheat.receipt, cpuBackend, corpus, cheat.checkpointAt, {
      k: 5,
      seed: '0xbeef',
    })
    expect(all.ok).toBe(false)
    expect([3, 4]).toContain(all.firstMismatch)
  }, 60_000)
  it('replays forward from the nearest published checkpoint, under the receipt’s config', async () => {
    const { receipt, checkpointAt } = await withCheckpoints()
    // Published every 2 steps only.
    const sparse = async (s: number) => checkpointAt(s - (s % 2))
    const result = await spotCheckTrainingReceipt(receipt, cpuBackend, corpus, sparse, { k: 5, seed: '0x07' })
    expect(result.ok).toBe(true)
    expect(result.steps.length).toBeGreaterThan(5) // steps between a checkpoint and a drawn step are replayed too
    // One that claims another learning rate in its header is refused, the field named.
    const lying = async (s: number) => {
      const c = await sparse(s)
      return c.step === 2 ? { ...c, config: { ...c.config, lr: 1 } } : c
    }
    const header = await spotCheckTrainingReceipt(receipt, cpuBackend, corpus, lying, { k: 5, seed: '0x07' })
    expect(header.ok).toBe(false)
    expect(header.detail).toMatch(/after step 2 carries another config \(lr: 1, expected 0.003\)/)
    const late = await spotCheckTrainingReceipt(receipt, cpuBackend, corpus, async () => checkpointAt(5), {
      k: 1,
      seed: '0x07',
    })
    expect(late.ok).toBe(false)
    expect(late.detail).toMatch(/outside/)
  }, 60_000)

  it('ties the start state to the config’s seed (issue 15, finding 3): seed-2 weights claiming seed 1 fail', async () => {
    // The producer trains from seed-2 weights under a config that says seed 1 (batches from seed 1).
    const seed2 = await Trainer.create(cpuBackend, { ...config, seed: 2 }).checkpoint()
    const trainer = Trainer.create(cpuBackend, config, { ...seed2, config })
    const checkpoints = new Map([[0, structuredClone(await trainer.checkpoint())]])
    const startStateHash = await trainer.stateHash()
    const { train } = splitBy(KJV_PENTATEUCH, corpus)
    const stepHashes: Hex[] = []
    for (let s = 1; s <= 5; s++) {
      stepHashes.push((await trainer.trainStep(train)).stateHash)
      checkpoints.set(s, structuredClone(await trainer.checkpoint()))
    }
    const body = trainingReceiptBody({
      ...(await produce()).body,
      startStateHash,
      stepHashes,
    })
    const receipt = await signTrainingReceipt(body, producer, target)
    for (const seed of ['0x01', '0x02', '0x03'] as const) {
      const spot = await spotCheckTrainingReceipt(
        receipt,
        cpuBackend,
        corpus,
        async (s) => checkpoints.get(s)!,
        {
          k: 2,
          seed,
        },
      )
      expect(spot.ok).toBe(false)
      expect(spot.detail).toMatch(/config's seed 1 gives/)
    }
    expect((await replayTrainingReceipt(receipt, cpuBackend, corpus)).ok).toBe(false) // as a full replay finds
  }, 60_000)
})
