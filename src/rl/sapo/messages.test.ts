import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../swarm/protocol/schema.ts'
import { END_TOKEN } from '../types.ts'
import { acceptRollouts } from './accept.ts'
import { decodeSapoMessage, encodeSapoMessage, MAX_SAPO_MESSAGE_BYTES, type Rollouts } from './messages.ts'
import { fakeBook, fakeParams } from './testing.ts'

const params = fakeParams()
const H = `0x${'ab'.repeat(32)}` as const

function honest(from = 'p1', round = 3): Rollouts {
  const tasks = fakeBook.tasksFor(params.seed, round, from, params.local)
  return {
    type: 'rollouts',
    round,
    state: H,
    blob: H,
    groups: tasks.map((t) => ({
      taskId: t.id,
      completions: [
        [...new TextEncoder().encode(t.answer), END_TOKEN],
        [0x30, END_TOKEN],
        [0x31, 0x32, END_TOKEN],
        [0x33],
      ],
    })),
    trainedOn: [{ peer: 'p2', taskId: 'add/1/7' }],
  }
}

const wire = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
const decoded = (v: unknown) => decodeSapoMessage(wire(v))
const accepted = (v: unknown, from = 'p1') => acceptRollouts(decoded(v) as Rollouts, from, params, fakeBook)

describe('ROLLOUTS', () => {
  it('round-trips and recomputes every reward from the task id', () => {
    const m = honest()
    expect(decodeSapoMessage(encodeSapoMessage(m))).toEqual(m)
    const a = accepted(m)
    expect(a.groups.map((g) => g.rewards)).toEqual([
      [1000, expect.any(Number), expect.any(Number), -200],
      [1000, expect.any(Number), expect.any(Number), -200],
    ])
    expect(a.groups.every((g) => g.state === H)).toBe(true)
    expect(a.meanReward).toBe(a.groups.flatMap((g) => g.rewards).reduce((x, y) => x + y) / 8)
  })

  it.each<[string, (m: Record<string, unknown>) => unknown]>([
    ['an unknown type', (m) => ({ ...m, type: 'weights' })],
    ['an extra field', (m) => ({ ...m, rewards: [1000] })],
    ['a negative round', (m) => ({ ...m, round: -1 })],
    ['a fractional round', (m) => ({ ...m, round: 1.5 })],
    ['a short state hash', (m) => ({ ...m, state: '0xabcd' })],
    ['a non-hex blob', (m) => ({ ...m, blob: `0x${'zz'.repeat(32)}` })],
    ['a token over 255', (m) => ({ ...m, groups: [{ taskId: 'x', completions: [[256]] }] })],
    ['a negative token', (m) => ({ ...m, groups: [{ taskId: 'x', completions: [[-1]] }] })],
    ['a fractional token', (m) => ({ ...m, groups: [{ taskId: 'x', completions: [[1.5]] }] })],
    ['a string token', (m) => ({ ...m, groups: [{ taskId: 'x', completions: [['1']] }] })],
    [
      'a huge completion',
      (m) => ({ ...m, groups: [{ taskId: 'x', completions: [new Array(257).fill(1)] }] }),
    ],
    ['too many groups', (m) => ({ ...m, groups: new Array(65).fill({ taskId: 'x', completions: [] }) })],
    ['a long task id', (m) => ({ ...m, groups: [{ taskId: 'x'.repeat(65), completions: [] }] })],
    ['a huge trainedOn', (m) => ({ ...m, trainedOn: new Array(257).fill({ peer: 'p', taskId: 't' }) })],
    ['a null', () => null],
    ['an array', () => []],
  ])('refuses %s', (_, change) => {
    expect(() => decoded(change(honest() as unknown as Record<string, unknown>))).toThrow(SchemaError)
  })

  it('refuses bytes over the limit and bytes that are not UTF-8 JSON before parsing them', () => {
    expect(() => decodeSapoMessage(new Uint8Array(MAX_SAPO_MESSAGE_BYTES + 1))).toThrow(/over the limit/)
    expect(() => decodeSapoMessage(new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8 JSON/)
  })

  it.each<[string, (m: Rollouts) => void, RegExp]>([
    [
      'tasks it was not given',
      (m) => (m.groups[1].taskId = 'add/1/12345'),
      /expected add\/1\/\d+ \(tasksFor\)/,
    ],
    ['one group too few', (m) => m.groups.pop(), /expected 2 groups/],
    ['a completion too few', (m) => m.groups[0].completions.pop(), /expected 4 completions/],
    ['a completion over maxNewTokens', (m) => (m.groups[0].completions[1] = [1, 2, 3, 4, 5]), /maxNewTokens/],
    [
      'tokens after the end token',
      (m) => (m.groups[0].completions[1] = [0x31, END_TOKEN, 0x31]),
      /after the end/,
    ],
  ])('does not accept %s', (_, change, why) => {
    const m = honest()
    change(m)
    expect(() => accepted(m)).toThrow(why)
  })

  it("does not accept another peer's tasks or another round's", () => {
    expect(() => accepted(honest('p1'), 'p2')).toThrow(/tasksFor/)
    expect(() => accepted({ ...honest('p1', 3), round: 4 })).toThrow(/tasksFor/)
  })
})

describe('FAULT', () => {
  it('round-trips and refuses extra fields', () => {
    const f = { type: 'fault', round: 2, peer: 'p4', taskId: 'add/1/9' } as const
    expect(decodeSapoMessage(encodeSapoMessage(f))).toEqual(f)
    expect(() => decoded({ ...f, proof: 'trust me' })).toThrow(SchemaError)
    expect(() => decoded({ ...f, peer: 'p'.repeat(129) })).toThrow(SchemaError)
  })
})
