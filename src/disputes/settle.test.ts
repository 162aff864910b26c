import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuBackend } from '../train/cpu.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { checkEvidence } from './dispute.ts'
import { LOCAL, partyName, settle } from './settle.ts'
import { readStepTrace, stepTraceFile } from './stepTrace.ts'
import { testKeys, testProducer } from './demo.ts'
import { MICRO } from '../receipts/testing.ts'
import { lockstep } from '../cli/testing.ts'
import { kjvBytes } from '../train/testing.ts'

const corpus = kjvBytes
const config = defaultTrainConfig(MICRO, { steps: 4, batch: 2 })

describe('settle', () => {
  it('names the step, the operator and the cheater from two receipts and the cheater’s trace file', async () => {
    const honest = await testProducer(config, corpus, testKeys[0])
    const cheater = await testProducer(config, corpus, testKeys[1], [3, 40])
    const file = JSON.stringify(stepTraceFile(cheater.receipt.receiptHash, 3, await cheater.traceStep(3)))
    const supplied = readStepTrace(file)
    const traces = new Map([[supplied.receiptHash, supplied]])
    const events: string[] = []

    // Without the cheater's trace: the step and the wrong commitment, and what is missing.
    const partial = await settle({ a: honest.receipt, b: cheater.receipt, corpus })
    expect(partial.step).toBe(3)
    expect(partial.claims.map((c) => c.matchesReference)).toEqual([true, false])
    expect(partial.evidence).toBeUndefined()
    expect(partial.note).toContain(`trace of step 3 from ${partyName('B', cheater.receipt)}`)

    const full = await settle({ a: honest.receipt, b: cheater.receipt, traces, corpus }, (e) =>
      events.push(e.phase),
    )
    expect(full.evidence?.opIndex).toBe(40)
    expect(full.evidence?.wrong).toEqual([partyName('B', cheater.receipt)])
    expect(events).toContain('replay')
    const evidence = JSON.parse(JSON.stringify(full.evidence))
    expect(await checkEvidence(evidence, cpuBackend)).toEqual([partyName('B', cheater.receipt)])
  }, 120_000)

  it('settles one receipt against this computer’s re-execution', async () => {
    const cheater = await testProducer(config, corpus, testKeys[1], [2, 40])
    const trace = await cheater.traceStep(2)
    const result = await settle({
      a: cheater.receipt,
      traces: new Map([[cheater.receipt.receiptHash, { step: 2, trace }]]),
      corpus,
    })
    expect([result.step, result.stepRounds, result.evidence?.opIndex]).toEqual([2, 0, 40])
    expect(result.claims[1]).toMatchObject({ party: LOCAL, matchesReference: true })
    expect(result.evidence?.wrong).toEqual([partyName('A', cheater.receipt)])
  }, 120_000)

  it('refuses a trace of the wrong step and an honest receipt alone', async () => {
    const honest = await testProducer(config, corpus, testKeys[0])
    const cheater = await testProducer(config, corpus, testKeys[1], [2, 40])
    const wrongStep = new Map([[cheater.receipt.receiptHash, { step: 1, trace: await cheater.traceStep(1) }]])
    const r = await settle({ a: honest.receipt, b: cheater.receipt, traces: wrongStep, corpus })
    expect(r.note).toMatch(/is of step 1; the dispute is at step 2/)
    await expect(settle({ a: honest.receipt, corpus })).rejects.toThrow(/Not a dispute/)
    expect(() => readStepTrace('{"kind":"lockstep/dispute-evidence"}')).toThrow(/Not a step trace/)
  }, 120_000)

  it('lockstep trace writes the step-trace file a party hands over, with the producer’s exact operators', async () => {
    const honest = await testProducer(config, corpus, testKeys[0])
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-trace-'))
    writeFileSync(join(dir, 'r.json'), JSON.stringify(honest.receipt))
    const out = join(dir, 't.json')
    const cli = await lockstep(['trace', join(dir, 'r.json'), '--step', '2', '--out', out])
    expect(cli.stdout).toMatch(/traced step 2 on CPU reference: \d+ operators/)
    expect(cli.stdout).toContain('(as committed)')
    expect(cli.status).toBe(0)
    const file = readStepTrace(readFileSync(out, 'utf8'))
    const own = await honest.traceStep(2)
    expect([file.receiptHash, file.step]).toEqual([honest.receipt.receiptHash, 2])
    expect(file.trace.records).toEqual(own.records)
    expect(file.trace.values.size).toBe(own.values.size)
    const usage = await lockstep(['trace', join(dir, 'r.json')])
    expect(usage.status).toBe(2)
  }, 180_000)
})
