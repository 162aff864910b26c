import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { cpuBackend, type CpuTensor } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { kjvBytes as corpus } from '../train/testing.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { MICRO, trainedReceipt } from '../receipts/testing.ts'
import { lockstep } from '../cli/testing.ts'
import { TracingBackend, type OpRecord } from './trace.ts'
import { checkEvidence, dispute, firstDivergentStep, type Party } from './dispute.ts'
import { referenceStep, settle } from './settle.ts'

const { train } = splitBy(KJV_PENTATEUCH, corpus)
const config = defaultTrainConfig(MICRO, { steps: 6, batch: 2 })
const honestKey = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const cheatKey = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')

/**
 * A producer whose backend may corrupt one operator of one step (`cheat` = [step, operator index]), or
 * that trains under another config (`trainConfig`) while its receipt names the agreed one.
 */
function producer(name: string, key: typeof honestKey, cheat?: [number, number], trainConfig = config) {
  const tracing = new TracingBackend(cpuBackend)
  let step = 0
  tracing.tamper = async (record: OpRecord, outputs: CpuTensor[]) => {
    if (cheat && step === cheat[0] && record.index === cheat[1]) outputs[0].data[0] += 1e-3 // a small, plausible lie
  }
  const party: Party = {
    name,
    receipt: undefined as never,
    async traceStep(target: number) {
      const trainer = Trainer.create(tracing, trainConfig)
      for (step = 1; step < target; step++) await trainer.trainStep(train)
      step = target
      tracing.reset()
      await trainer.trainStep(train)
      return { records: [...tracing.records], values: new Map(tracing.values) }
    },
  }
  const beforeStep = (s: number) => {
    step = s
    tracing.reset()
  }
  return { party, key, tracing, trainConfig, beforeStep }
}

async function withReceipt(p: ReturnType<typeof producer>, steps: number) {
  p.party.receipt = await trainedReceipt({
    signer: p.key,
    bytes: corpus,
    backend: p.tracing,
    config: p.trainConfig,
    steps,
    runId: p.party.name,
    beforeStep: p.beforeStep,
    // Whatever it trained under, the receipt names the agreed config.
    lie: (body) => ({ ...body, config }),
  })
  return p.party
}

/** The referee's own trace of the disputed step, derived from the receipts' config: never a party's. */
async function referee(a: Party, b: Party) {
  const step = firstDivergentStep(a.receipt, b.receipt).index
  return (await referenceStep(a.receipt, corpus, step)).trace
}

describe('dispute', () => {
  it('finds a planted fault at its exact step and operator, and names the cheater', async () => {
    const honest = await withReceipt(producer('honest', honestKey), 6)
    const cheater = await withReceipt(producer('cheater', cheatKey, [4, 57]), 6)
    expect(cheater.receipt.body.stepHashes.slice(0, 3)).toEqual(honest.receipt.body.stepHashes.slice(0, 3))
    expect(cheater.receipt.body.stepHashes[3]).not.toBe(honest.receipt.body.stepHashes[3])

    const evidence = await dispute(honest, cheater, await referee(honest, cheater))
    expect(evidence.step).toBe(4)
    expect(evidence.stepRounds).toBeLessThanOrEqual(Math.ceil(Math.log2(6)))
    expect(evidence.opIndex).toBe(57)
    const trace = await honest.traceStep(4)
    expect(evidence.opRounds).toBeLessThanOrEqual(Math.ceil(Math.log2(trace.records.length + 1)))
    expect(evidence.op.name).toBe(trace.records[57].op)
    expect(evidence.wrong).toEqual(['cheater'])

    // Self-contained: through JSON and back, anyone recomputes the one operator and agrees.
    expect(await checkEvidence(JSON.parse(JSON.stringify(evidence)), cpuBackend)).toEqual(['cheater'])

    // The CLI referees the same pair from the receipts alone, at step level.
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-dispute-'))
    writeFileSync(join(dir, 'honest.json'), JSON.stringify(honest.receipt))
    writeFileSync(join(dir, 'cheater.json'), JSON.stringify(cheater.receipt))
    const cli = await lockstep(['dispute', join(dir, 'cheater.json'), join(dir, 'honest.json')])
    expect(cli.stdout).toContain('first divergent step: 4')
    expect(cli.stdout).toContain(`wrong: ${join(dir, 'cheater.json')}`)
    expect(cli.status).toBe(0)
  }, 120_000)

  it('catches a lie in the optimizer too, in either argument order', async () => {
    const honest = await withReceipt(producer('honest', honestKey), 3)
    const trace = await honest.traceStep(2)
    const last = trace.records.length - 1 // an adamw update, the step's final operator
    expect(trace.records[last].op).toBe('adamw')
    const cheater = await withReceipt(producer('cheater', cheatKey, [2, last]), 3)
    const evidence = await dispute(cheater, honest, await referee(cheater, honest))
    expect([evidence.step, evidence.opIndex, evidence.op.name]).toEqual([2, last, 'adamw'])
    expect(evidence.wrong).toEqual(['cheater'])
  }, 120_000)

  it('refuses receipts that are not a dispute', async () => {
    const a = await withReceipt(producer('a', honestKey), 2)
    const b = await withReceipt(producer('b', cheatKey), 2)
    await expect(dispute(a, b, { records: [], values: new Map() })).rejects.toThrow(
      /Not a dispute: both commit to the same state/,
    )
  }, 60_000)

  it('a producer that trained with 2× lr, loaded as A, is named; the honest B never (issue 15, finding 1)', async () => {
    const fast = { ...config, lr: 2 * config.lr, minLr: config.minLr }
    const liar = await withReceipt(producer('liar', cheatKey, undefined, fast), 2)
    const honest = await withReceipt(producer('honest', honestKey), 2)
    expect(liar.receipt.body.configHash).toBe(honest.receipt.body.configHash) // it claims the agreed config
    const evidence = await dispute(liar, honest, await referee(liar, honest))
    expect(evidence.op.name).toBe('adamw')
    expect(evidence.wrong).toEqual(['liar'])
    expect(evidence.refused[0]).toMatch(/^args\[0\]\.lr: /)
    expect(evidence.refused[1]).toBeNull()
    expect((evidence.op.args[0] as { lr: number }).lr).not.toBe(
      (evidence.claimed[0]!.args[0] as { lr: number }).lr,
    )
    expect(await checkEvidence(JSON.parse(JSON.stringify(evidence)), cpuBackend)).toEqual(['liar'])

    // The same through settle, from the receipts and the liar's trace file.
    const trace = await liar.traceStep(1)
    const result = await settle({
      a: liar.receipt,
      b: honest.receipt,
      traces: new Map([[liar.receipt.receiptHash, { step: 1, trace }]]),
      corpus,
    })
    expect(result.evidence?.wrong).toEqual([expect.stringMatching(/^A \(/)])
    expect(result.claims.map((c) => c.matchesReference)).toEqual([false, true])

    // Evidence whose own AdamW arguments are not its config's proves nothing.
    const forged = JSON.parse(JSON.stringify(evidence))
    forged.op.args = evidence.claimed[0]!.args
    await expect(checkEvidence(forged, cpuBackend)).rejects.toThrow(/args\[0\]\.lr/)
  }, 120_000)
})
