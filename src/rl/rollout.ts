// Rollouts: G completions of each task, sampled from a model with seeds nobody chooses, so anyone who
// holds the model's state regenerates every token (docs/rl.md). All rows that are still generating go
// through one forward pass per position; a row's next token is `sample()` (src/generate/sample.ts, the
// receipts' sampler) on its logits at its last position.
import { hexToBytes, isHex, type Hex } from 'viem'
import { RolloutError, TaskError } from '../errors/rl.ts'
import { sample, samplingProblem } from '../generate/sample.ts'
import { keccak256Parts } from '../util/keccak.ts'
import { taskFromId } from './tasks.ts'
import { END_TOKEN, type Policy, type RolloutGroup, type SamplingRule, type Task } from './types.ts'

const DOMAIN = new TextEncoder().encode('lockstep-rl-rollout/1')
/** More completions per task than any swarm uses: a larger G is refused before any work. */
export const MAX_G = 64
/** Rows (tasks × G) one call generates at most: a round uses tens; more is refused before any work. */
export const MAX_ROWS = 4096

/**
 * The sampling seed of completion `index` of task `taskId` from the model with state hash `state`: the
 * first 53 bits of keccak256(utf8("lockstep-rl-rollout/1") ‖ state ‖ utf8(taskId) ‖ u32be(index)).
 */
export function rolloutSeed(state: Hex, taskId: string, index: number): number {
  if (!isHex(state, { strict: true }) || state.length !== 66)
    throw new RolloutError('A state hash is 32 bytes of hex.')
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RolloutError(`A completion index is a 32-bit unsigned integer (got ${index}).`)
  const tail = new Uint8Array(4)
  new DataView(tail.buffer).setUint32(0, index)
  const h = keccak256Parts([DOMAIN, hexToBytes(state), new TextEncoder().encode(taskId), tail])
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength)
  return (v.getUint32(0) >>> 11) * 2 ** 32 + v.getUint32(4) // 21 + 32 bits
}

interface Row {
  tokens: number[]
  prompt: number
  seed: number
  completion: number[]
}

/**
 * G completions of each task from `policy`, whose state hash the caller names as `state`. A row stops
 * at END_TOKEN, after `rule.maxNewTokens` tokens, or when prompt + completion fill the context: a
 * rollout always fits one training row.
 */
export async function generateGroups(
  policy: Policy,
  state: Hex,
  tasks: readonly Task[],
  G: number,
  rule: SamplingRule,
): Promise<RolloutGroup[]> {
  const { seqLen, vocab } = policy.config.model
  if (!Number.isInteger(G) || G < 1 || G > MAX_G)
    throw new RolloutError(`G must be 1 to ${MAX_G} (got ${G}).`)
  if (!Number.isInteger(rule.maxNewTokens) || rule.maxNewTokens < 1 || rule.maxNewTokens > seqLen)
    throw new RolloutError(`maxNewTokens must be 1 to the context ${seqLen} (got ${rule.maxNewTokens}).`)
  if (tasks.length * G > MAX_ROWS)
    throw new RolloutError(`${tasks.length} tasks × ${G} is over ${MAX_ROWS} rows.`)
  const problem = samplingProblem({ ...rule, top_p: 1, seed: 0 })
  if (problem) throw new RolloutError(`Sampling rule refused: ${problem}.`)
  const rows: Row[] = []
  for (const task of tasks) {
    const prompt = [...new TextEncoder().encode(task.prompt)]
    if (prompt.length < 1 || prompt.length >= seqLen)
      throw new RolloutError(
        `Task ${task.id}'s prompt (${prompt.length} bytes) leaves no room in the context ${seqLen}.`,
      )
    for (let i = 0; i < G; i++)
      rows.push({
        tokens: [...prompt],
        prompt: prompt.length,
        seed: rolloutSeed(state, task.id, i),
        completion: [],
      })
  }
  const done = (r: Row) =>
    r.completion.at(-1) === END_TOKEN || r.completion.length >= rule.maxNewTokens || r.tokens.length >= seqLen
  for (
    let active = rows.filter((r) => !done(r));
    active.length > 0;
    active = active.filter((r) => !done(r))
  ) {
    // Each row's logits depend on its own tokens alone (causal attention, row-wise ops), so finished
    // rows can leave the batch; the padding after a row's last token is never seen by it.
    const ids = new Int32Array(active.length * seqLen).fill(END_TOKEN)
    active.forEach((r, i) => ids.set(r.tokens, i * seqLen))
    const logits = await policy.logits(ids)
    active.forEach((r, i) => {
      const at = (i * seqLen + r.tokens.length - 1) * vocab
      const p = { temperature: rule.temperature, top_k: rule.top_k, top_p: 1, seed: r.seed }
      const t = sample(logits.subarray(at, at + vocab), p, r.completion.length)
      r.tokens.push(t)
      r.completion.push(t)
    })
  }
  return tasks.map((task, k) => ({
    taskId: task.id,
    state,
    completions: rows.slice(k * G, (k + 1) * G).map((r) => r.completion),
  }))
}

/**
 * Why `group` is not what `policy` (state `state`) generates under `rule`, or null when every token
 * matches. The task comes from the group's id (taskFromId), never from the party being checked.
 */
export async function regenerationProblem(
  policy: Policy,
  state: Hex,
  group: RolloutGroup,
  rule: SamplingRule,
): Promise<string | null> {
  if (group.state !== state) return `the group names state ${group.state}, not ${state}`
  if (!Array.isArray(group.completions)) return 'the group has no completions array'
  const G = group.completions.length
  if (G < 1 || G > MAX_G) return `the group has ${G} completions (1 to ${MAX_G} allowed)`
  let task: Task
  try {
    task = taskFromId(group.taskId)
  } catch (e) {
    if (e instanceof TaskError) return `the group's task id is not a task (${e.shortMessage})`
    throw e
  }
  const [again] = await generateGroups(policy, state, [task], G, rule)
  for (let i = 0; i < G; i++) {
    const [got, want] = [group.completions[i], again.completions[i]]
    const n = Math.max(got.length, want.length)
    for (let t = 0; t < n; t++)
      if (got[t] !== want[t])
        return `completion ${i} of ${group.taskId}, token ${t}: published ${got[t] ?? 'nothing'}, regenerated ${want[t] ?? 'nothing'}`
  }
  return null
}
