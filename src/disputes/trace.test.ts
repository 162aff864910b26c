// Every kernel a training step runs is traced through its op module's trace entry and recomputed by
// the referee from the record alone, to the recorded outputs; a record the referee cannot replay is
// refused by name.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { TraceError } from '../errors/dispute.ts'
import { cpuBackend } from '../train/cpu.ts'
import { KJV_PENTATEUCH, splitBy } from '../train/corpus.ts'
import { traceStep } from './stepTrace.ts'
import { Trainer, defaultTrainConfig } from '../train/trainer.ts'
import { recompute } from './trace.ts'

const { train } = splitBy(KJV_PENTATEUCH, new Uint8Array(readFileSync('public/corpus/kjv-pentateuch.txt')))
const config = defaultTrainConfig(
  { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
  { steps: 4, batch: 2 },
)

const ENGINE_KERNELS = [
  'matmul',
  'matmulEpilogue',
  'add',
  'scale',
  'gelu',
  'geluGrad',
  'columnSums',
  'embedding',
  'embeddingGrad',
  'permute',
  'split',
  'concat',
  'softmaxCausal',
  'softmaxCausalGrad',
  'layernorm',
  'layernormGrad',
  'crossEntropy',
  'crossEntropyGrad',
  'gradNorm',
  'adamw',
]

describe('trace entries', () => {
  it('every operator of a step recomputes from its record to the recorded outputs', async () => {
    const before = await Trainer.create(cpuBackend, config).checkpoint()
    const { trace } = await traceStep(cpuBackend, before, train)
    // A GPT step runs all of these; each goes through its module's trace entry both ways.
    const ops = new Set(trace.records.map((r) => r.op))
    for (const op of ENGINE_KERNELS) expect(ops.has(op), op).toBe(true)
    for (const record of trace.records)
      expect(await recompute(cpuBackend, record, trace.values), `${record.index} ${record.op}`).toEqual(
        record.outputs,
      )
  })

  it('refuses an unknown operator and a missing input value by name', async () => {
    const record = { index: 3, op: 'nope', args: [], inputs: [], outputs: [] }
    await expect(recompute(cpuBackend, record, new Map())).rejects.toThrow(TraceError)
    const missing = { ...record, op: 'gelu', inputs: [`0x${'1'.repeat(64)}` as const] }
    await expect(recompute(cpuBackend, missing, new Map())).rejects.toThrow(/operator 3 \(gelu\): no value/i)
  })
})
