// The reward of a completion, in thousandths: integers, so every peer that recomputes it gets the same
// number. The rule is small and monotone, so a better answer never scores lower:
//   1000      the exact answer followed by END_TOKEN, and nothing after it;
//   0..500    otherwise, floor(500 · m / max(|answer|, |body|)) where m counts positions (from the left)
//             at which the completion's body (the bytes before END_TOKEN) matches the answer: partial
//             credit for a nearly right string, shrinking when the body is longer than the answer;
//   −200      format penalty, added to the partial credit, when the completion has no END_TOKEN (it ran
//             out of budget), has bytes after it, or has a body byte outside the family's alphabet.
// So a reward lies in [−200, 1000].
import { RewardInputError } from '../errors/rl.ts'
import { ALPHABETS } from './tasks.ts'
import { END_TOKEN, type Task } from './types.ts'

export const FULL = 1000
export const PARTIAL = 500
export const FORMAT_PENALTY = -200
/** Longer than any rollout (the RL model's context): a longer completion is refused, not scored. */
export const MAX_COMPLETION = 1024

export function reward(task: Task, completion: readonly number[]): number {
  if (!Array.isArray(completion) || completion.length > MAX_COMPLETION)
    throw new RewardInputError(`A completion is an array of at most ${MAX_COMPLETION} token ids.`)
  for (const t of completion)
    if (!Number.isInteger(t) || t < 0 || t > 255)
      throw new RewardInputError(`A completion holds byte token ids 0..255 (got ${JSON.stringify(t)}).`)
  const end = completion.indexOf(END_TOKEN)
  const body = end < 0 ? completion : completion.slice(0, end)
  const answer = [...task.answer].map((c) => c.charCodeAt(0))
  const wellFormed =
    end >= 0 &&
    end === completion.length - 1 &&
    body.every((t) => ALPHABETS[task.family].includes(String.fromCharCode(t)))
  if (wellFormed && body.length === answer.length && body.every((t, i) => t === answer[i])) return FULL
  const matches = answer.filter((t, i) => body[i] === t).length
  const partial = Math.floor((PARTIAL * matches) / Math.max(answer.length, body.length))
  return partial + (wellFormed ? 0 : FORMAT_PENALTY)
}

/** Whether a completion is exactly right (the accuracy the dashboard counts). */
export const isCorrect = (task: Task, completion: readonly number[]) => reward(task, completion) === FULL
