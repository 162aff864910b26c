import { describe, expect, it } from 'vitest'
import { TaskError } from '../errors/rl.ts'
import { RL_MODEL, LONGEST_COMPLETION, RL_SAMPLING } from './model.ts'
import { FAMILIES, MAX_LEVEL, MAX_TASKS, taskFromId, tasksFor } from './tasks.ts'
import type { Task } from './types.ts'

const SEED = `0x${'ab'.repeat(32)}` as const

// An independent solver: reads the question back out of the prompt.
function solve(t: Task): string {
  const q = t.prompt.slice(1, -1)
  let m: RegExpExecArray | null
  if ((m = /^(\d+)\+(\d+)$/.exec(q))) return String(Number(m[1]) + Number(m[2]))
  if ((m = /^(\d+)\?(\d+)$/.exec(q)))
    return Math.sign(Number(m[1]) - Number(m[2])) < 0 ? '<' : m[1] === m[2] ? '=' : '>'
  if ((m = /^rev:([a-e]+)$/.exec(q))) return m[1].split('').reverse().join('')
  if ((m = /^sort:([a-e]+)$/.exec(q))) return m[1].split('').sort().join('')
  if ((m = /^count ([a-e]):([a-e]+)$/.exec(q))) return String(m[2].split(m[1]).length - 1)
  throw new Error(`unknown question ${q}`)
}

describe('tasks', () => {
  it('are pure functions of their ids (pinned)', () => {
    const pins: [string, string, string][] = [
      ['add/1/0', '\n8+7=', '15'],
      ['add/4/123456789', '\n2814+4471=', '7285'],
      ['reverse/3/42', '\nrev:baead=', 'daeab'],
      ['sort/4/7', '\nsort:caeaade=', 'aaacdee'],
      ['count/2/99', '\ncount b:ceaaa=', '0'],
      ['compare/3/5', '\n684?942=', '<'],
      ['compare/1/4294967295', '\n1?8=', '<'],
    ]
    for (const [id, prompt, answer] of pins) {
      expect(taskFromId(id)).toMatchObject({ id, prompt, answer })
      expect(taskFromId(id)).toEqual(taskFromId(id))
    }
  })

  it("are drawn per (seed, round, peer): pinned, and nobody else's", () => {
    const ids = tasksFor(SEED, 3, 'peer-a', 4).map((t) => t.id)
    expect(ids).toEqual([
      'sort/4/4250286626',
      'count/4/1606205461',
      'compare/4/3847240030',
      'add/3/1452087895',
    ])
    expect(tasksFor(SEED, 3, 'peer-a', 2).map((t) => t.id)).toEqual(ids.slice(0, 2))
    expect(tasksFor(SEED, 3, 'peer-b', 4).map((t) => t.id)).not.toEqual(ids)
    expect(tasksFor(SEED, 4, 'peer-a', 4).map((t) => t.id)).not.toEqual(ids)
    expect(tasksFor(`0x${'ac'.repeat(32)}`, 3, 'peer-a', 4).map((t) => t.id)).not.toEqual(ids)
  })

  it('have the answers an independent solver finds, and fit the RL model with END_TOKEN', () => {
    const seen = new Set<string>()
    let longest = 0
    let longestAnswer = 0
    for (const f of FAMILIES)
      for (let level = 1; level <= MAX_LEVEL; level++)
        for (const t of tasksFor(SEED, 0, 'fit', 200, { families: [f], levels: [level] })) {
          expect(t).toMatchObject({ family: f, level })
          expect(t.answer, t.id).toBe(solve(t))
          expect(taskFromId(t.id)).toEqual(t)
          longest = Math.max(longest, t.prompt.length + t.answer.length + 1)
          longestAnswer = Math.max(longestAnswer, t.answer.length + 1)
          seen.add(t.answer)
        }
    expect(longest).toBeLessThanOrEqual(RL_MODEL.seqLen)
    expect(longestAnswer).toBeLessThanOrEqual(LONGEST_COMPLETION)
    expect(RL_SAMPLING.maxNewTokens).toBe(LONGEST_COMPLETION)
    for (const a of ['<', '=', '>']) expect(seen).toContain(a)
  })

  it('mix every family and level when no mix is given', () => {
    const ts = tasksFor(SEED, 0, 'mix', 400)
    for (const f of FAMILIES)
      for (let l = 1; l <= 4; l++) expect(ts.some((t) => t.family === f && t.level === l)).toBe(true)
  })

  it('refuse malformed ids and requests with a TaskError', () => {
    for (const id of [
      'add/0/1',
      'add/5/1',
      'mul/1/1',
      'add/1/4294967296',
      'add/1/01',
      'add/1/-1',
      'add/1/',
      'add/1/1/',
      ' add/1/1',
      'add/01/1',
      'x'.repeat(1e6),
    ])
      expect(() => taskFromId(id), id).toThrow(TaskError)
    expect(() => taskFromId(42 as unknown as string)).toThrow(TaskError)
    expect(() => tasksFor('0x', 0, 'p', 1)).toThrow(TaskError)
    expect(() => tasksFor('0xabc', 0, 'p', 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, -1, 'p', 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 2 ** 32, 'p', 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, '', 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p'.repeat(257), 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p', MAX_TASKS + 1)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p', 1.5)).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p', 1, { levels: [5] })).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p', 1, { families: [] })).toThrow(TaskError)
    expect(() => tasksFor(SEED, 0, 'p', 1, { families: ['mul' as never] })).toThrow(TaskError)
    expect(tasksFor(SEED, 0, 'p', 0)).toEqual([])
  })
})
