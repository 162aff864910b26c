import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend } from './cpu.ts'
import { memoryRunStore } from './checkpoints.ts'
import { KJV_PENTATEUCH, corpusPath, splitBy } from './corpus.ts'
import { TrainingRun, type StepEvent } from './run.ts'
import { Trainer, defaultTrainConfig } from './trainer.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { replayTrainingReceipt } from '../receipts/replay.ts'
import { signTrainingReceipt, trainingReceiptBody } from '../receipts/training.ts'
import { CorpusError, NoRunError } from '../errors/train.ts'

const bytes = new Uint8Array(readFileSync(`public/${corpusPath(KJV_PENTATEUCH)}`))
const config = defaultTrainConfig(
  { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
  { steps: 6, batch: 2 },
)
// anvil's first dev account and first contract address: public test values, never real funds.
const signer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

const open = (o: Partial<Parameters<typeof TrainingRun.open>[0]> = {}) =>
  TrainingRun.open({ backend: cpuBackend, config, runId: 'run-test', corpus: KJV_PENTATEUCH, bytes, ...o })

describe('TrainingRun on the CPU reference', () => {
  it('trains, reporting each step, and commits to the same states as the bare trainer', async () => {
    const run = await open()
    const events: StepEvent[] = []
    expect(await run.train(3, { onStep: (e) => void events.push(e), evalEvery: 2 })).toBe(3)
    expect(events.map((e) => e.step)).toEqual([1, 2, 3])
    expect(events.every((e) => e.ms >= 0 && Number.isFinite(e.loss))).toBe(true)
    expect(events.map((e) => e.val === undefined)).toEqual([true, false, true])
    expect(run.summary()).toMatchObject({ backend: 'cpu', step: 3, resumed: false })

    const trainer = Trainer.create(cpuBackend, config)
    const train = splitBy(KJV_PENTATEUCH, bytes).train
    for (const e of events) expect((await trainer.trainStep(train)).stateHash).toBe(e.stateHash)
    expect(run.summary().commitments).toEqual(events.map((e) => e.stateHash))
    run.dispose()
  })

  it('overlapping steps commits, validates and saves as stepping one by one does', async () => {
    const store = memoryRunStore()
    const overlapped = await open({ store })
    const events: StepEvent[] = []
    const saved: number[] = []
    const save = store.save
    store.save = async (r) => void (saved.push(r.checkpoint.step), await save(r))
    await overlapped.train(5, {
      overlap: true,
      evalEvery: 2,
      saveEvery: 3,
      onStep: (e) => void events.push(e),
    })
    expect(saved).toEqual([3, 5])
    const plain = await open({ runId: 'plain' })
    const want: StepEvent[] = []
    await plain.train(5, { evalEvery: 2, saveEvery: 3, onStep: (e) => void want.push(e) })
    const strip = (es: StepEvent[]) => es.map(({ ms: _, ...e }) => e)
    expect(strip(events)).toEqual(strip(want))
    expect((await store.load('run-test'))?.checkpoint).toEqual(await plain.checkpoint())
    overlapped.dispose()
    plain.dispose()
  })

  it('stops at a step boundary when asked, and resumes from its store with the same hashes', async () => {
    const store = memoryRunStore()
    const first = await open({ store })
    const done = await first.train(10, { onStep: (e) => void (e.step === 2 && first.stop()) })
    expect(done).toBe(2)
    first.dispose()
    expect(() => first.step).toThrow(NoRunError)

    const again = await open({ store })
    expect(again.summary()).toMatchObject({ step: 2, resumed: true })
    await again.train(2)
    const straight = await open({ runId: 'straight' })
    await straight.train(4)
    expect(again.summary().commitments).toEqual(straight.summary().commitments)
    expect(again.startStateHash).toBe(straight.startStateHash)
    again.dispose()
    straight.dispose()
  })

  it('signs a receipt that validates and replays, naming the split the run trained on', async () => {
    const run = await open()
    await run.train(3)
    const receipt = await run.receipt(signer, target)
    expect(receipt.body.data).toEqual({
      name: 'kjv-pentateuch',
      sha256: KJV_PENTATEUCH.sha256,
      split: 'train',
      valFraction: KJV_PENTATEUCH.valFraction,
    })
    const checks = await validateTrainingReceipt(receipt, { ...target, signer: signer.address })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect((await replayTrainingReceipt(receipt, cpuBackend, bytes)).ok).toBe(true)
    run.dispose()
  })

  it('splits by the descriptor’s fraction and states that fraction: the receipt replays only under it', async () => {
    const quarter = { ...KJV_PENTATEUCH, valFraction: 0.25 }
    const run = await open({ corpus: quarter })
    await run.train(3)
    const receipt = await run.receipt(signer, target)
    expect(receipt.body.data.valFraction).toBe(0.25)
    expect((await replayTrainingReceipt(receipt, cpuBackend, bytes)).ok).toBe(true)
    // The same commitments claimed under the shipped fraction: a replay draws other batches and differs.
    const relabelled = await signTrainingReceipt(
      trainingReceiptBody({
        ...receipt.body,
        data: { ...receipt.body.data, valFraction: KJV_PENTATEUCH.valFraction },
      }),
      signer,
      target,
    )
    const replay = await replayTrainingReceipt(relabelled, cpuBackend, bytes)
    expect(replay.ok).toBe(false)
    expect(replay.firstMismatch).toBe(1)
    run.dispose()
  })

  it('refuses bytes that are not the corpus its descriptor names', async () => {
    await expect(open({ bytes: bytes.subarray(1) })).rejects.toThrow(CorpusError)
  })
})
