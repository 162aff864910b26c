// `lockstep trace <receipt.json> --step N`: a producer's answer to a dispute's challenge. Re-runs its own
// receipt up to step N on the backend in question (with --gpu, the GPU whose result is disputed), traces
// every operator of step N and writes the step-trace file that the page's Settle panel and settle() take
// (docs/receipts.md, Disputes).
import { readFileSync, writeFileSync } from 'node:fs'
import type { TrainingReceipt } from '../receipts/training.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { resolveRelease, trainingBackend } from '../receipts/releases.ts'
import { splitCorpus } from '../train/data.ts'
import { Trainer } from '../train/trainer.ts'
import { stepTraceFile, traceStep } from '../disputes/stepTrace.ts'
import { flag, positional } from './args.ts'
import { cliBackend } from './backend.ts'
import { shippedCorpus } from './reexec.ts'

export async function traceCommand(args: string[], usage: string): Promise<number> {
  const [file] = positional(args, ['gpu'])
  const step = Number(flag(args, 'step'))
  if (!file || !Number.isInteger(step) || step < 1) {
    console.error(usage)
    return 2
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as TrainingReceipt
  const failed = (await validateTrainingReceipt(r)).filter((c) => !c.ok)
  if (failed.length) {
    console.log(`✗ ${file} does not validate: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`)
    return 1
  }
  const b = r.body
  if (b.startStep !== 0 || step > b.endStep) {
    console.log(
      `✗ step ${step} is not in this receipt (steps ${b.startStep + 1}…${b.endStep}, from step 0 only)`,
    )
    return 1
  }
  const out = flag(args, 'out') ?? `trace-step${step}.json`
  const { train } = splitCorpus(
    new Uint8Array(readFileSync(flag(args, 'corpus') ?? shippedCorpus(r.body.data.name))),
    b.data.valFraction,
  )
  const backend = await cliBackend(args)
  try {
    // The receipt's release: its frozen training kernels in place (the CPU reference only, then).
    const be = trainingBackend(resolveRelease(b.kernelsHash), backend.be)
    const trainer = Trainer.create(be, b.config)
    for (let s = 1; s < step; s++) {
      const h = (await trainer.trainStep(train)).stateHash
      // The trace must start from the state both parties agree on; say so when this run disagrees earlier.
      if (h !== b.stepHashes[s - 1])
        console.log(`note: step ${s} re-runs to ${h}; the receipt commits ${b.stepHashes[s - 1]}`)
    }
    const { trace, stateHash } = await traceStep(be, await trainer.checkpoint(), train)
    writeFileSync(out, JSON.stringify(stepTraceFile(r.receiptHash, step, trace)))
    const committed = b.stepHashes[step - 1]
    console.log(`traced step ${step} on ${backend.name}: ${trace.records.length} operators`)
    console.log(
      `state after step ${step}: ${stateHash} (${stateHash === committed ? 'as committed' : `the receipt commits ${committed}`})`,
    )
    console.log(`wrote ${out}`)
    return 0
  } finally {
    backend.dispose()
  }
}
