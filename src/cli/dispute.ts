// `lockstep dispute a.json b.json`: two training receipts that agree on the start and not on the end.
import { readFileSync } from 'node:fs'
import type { TrainingReceipt } from '../receipts/training.ts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { replayTrainingReceipt } from '../receipts/replay.ts'
import { cpuBackend } from '../train/cpu.ts'
import { firstDivergentStep } from '../disputes/dispute.ts'
import { flag, positional } from './args.ts'
import { shippedCorpus } from './reexec.ts'

/**
 * Two training receipts that disagree: bisect to the first divergent step, then referee that one step by
 * replaying it on the CPU reference, naming the receipt(s) whose commitment differs.
 */
export async function disputeCommand(args: string[], usage: string): Promise<number> {
  const files = positional(args)
  if (files.length !== 2) {
    console.error(usage)
    return 2
  }
  const [a, b] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as TrainingReceipt)
  for (const [i, r] of [a, b].entries()) {
    const failed = (await validateTrainingReceipt(r)).filter((c) => !c.ok)
    if (failed.length) {
      console.log(
        `✗ ${files[i]} does not validate: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
      )
      return 1
    }
  }
  const { index: step, rounds } = firstDivergentStep(a, b)
  console.log(`first divergent step: ${step} (found in ${rounds} bisection rounds)`)
  const corpus = new Uint8Array(readFileSync(flag(args, 'corpus') ?? shippedCorpus(a.body.data.name)))
  const ref = await replayTrainingReceipt(
    {
      ...a,
      body: { ...a.body, endStep: step, stepHashes: a.body.stepHashes.slice(0, step - a.body.startStep) },
    },
    cpuBackend,
    corpus,
  )
  const reference = ref.steps.at(-1)?.actual
  if (!reference || ref.steps.slice(0, -1).some((s) => !s.equal)) {
    console.log(
      `✗ the replay before step ${step} already disagrees with the agreed commitments: ${ref.detail}`,
    )
    return 1
  }
  const wrong = files.filter((_, i) => [a, b][i].body.stepHashes[step - a.body.startStep - 1] !== reference)
  console.log(`referee (CPU reference) state after step ${step}: ${reference}`)
  console.log(wrong.length ? `wrong: ${wrong.join(', ')}` : 'neither receipt matches the referee')
  return 0
}
