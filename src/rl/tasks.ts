// Tasks with answers anyone can check: a task is a pure function of its id `<family>/<level>/<seed>`,
// and which ids a peer gets each round is a pure function of (swarm seed, round, peer), so nobody picks
// their own questions and every peer recomputes every reward (docs/rl.md).
import { hexToBytes, isHex, type Hex } from 'viem'
import { TaskError } from '../errors/rl.ts'
import { keccak256Parts } from '../util/keccak.ts'
import { mulberry32 } from '../util/random.ts'
import type { Task, TaskFamily } from './types.ts'

export const FAMILIES: readonly TaskFamily[] = ['add', 'reverse', 'sort', 'count', 'compare']
export const MAX_LEVEL = 4
/** The letters of the string families. */
export const LETTERS = 'abcde'

/** Per level 1..4: digits per operand (add, compare) and string length (reverse, sort, count). */
const DIGITS = [1, 2, 3, 4]
const WORD = [2, 3, 5, 7]
const COUNT_WORD = [3, 5, 7, 9] // at most 9 letters: the count is one digit

/** The bytes each family's answer is made of (reward.ts penalises any other). */
export const ALPHABETS: Record<TaskFamily, string> = {
  add: '0123456789',
  reverse: LETTERS,
  sort: LETTERS,
  count: '0123456789',
  compare: '<=>',
}

type Draw = (n: number) => number

function word(draw: Draw, length: number): string {
  return Array.from({ length }, () => LETTERS[draw(LETTERS.length)]).join('')
}

/** Question (the prompt without '\n' and '=') and answer for each family. */
const MAKERS: Record<TaskFamily, (draw: Draw, level: number) => [string, string]> = {
  add(draw, level) {
    const top = 10 ** DIGITS[level - 1]
    const [a, b] = [draw(top), draw(top)]
    return [`${a}+${b}`, String(a + b)]
  },
  reverse(draw, level) {
    const w = word(draw, WORD[level - 1])
    return [`rev:${w}`, [...w].reverse().join('')]
  },
  sort(draw, level) {
    const w = word(draw, WORD[level - 1])
    return [`sort:${w}`, [...w].sort().join('')]
  },
  count(draw, level) {
    const letter = LETTERS[draw(LETTERS.length)]
    const w = word(draw, COUNT_WORD[level - 1])
    return [`count ${letter}:${w}`, String([...w].filter((c) => c === letter).length)]
  },
  compare(draw, level) {
    const top = 10 ** DIGITS[level - 1]
    const a = draw(top)
    // One pair in five is equal, so '=' is an answer the model sees, not a rarity.
    const b = draw(5) === 0 ? a : draw(top)
    return [`${a}?${b}`, a < b ? '<' : a > b ? '>' : '=']
  },
}

const ID = /^(add|reverse|sort|count|compare)\/([1-9])\/(0|[1-9][0-9]{0,9})$/

/** The task an id names. Refuses (TaskError) anything but `<family>/<level 1..4>/<seed u32 decimal>`. */
export function taskFromId(id: string): Task {
  if (typeof id !== 'string' || id.length > 40) throw new TaskError('A task id must be a short string.')
  const m = ID.exec(id)
  const level = m ? Number(m[2]) : 0
  const seed = m ? Number(m[3]) : -1
  if (!m || level > MAX_LEVEL || seed > 0xffffffff)
    throw new TaskError(`Not a task id: ${JSON.stringify(id)}.`, {
      details: `A task id is <family>/<level>/<seed>: family one of ${FAMILIES.join(', ')}, level 1 to ${MAX_LEVEL}, seed a 32-bit unsigned decimal.`,
    })
  return makeTask(m[1] as TaskFamily, level, seed)
}

/** The task of (family, level, seed): its content drawn from mulberry32(seed), integers only. */
function makeTask(family: TaskFamily, level: number, seed: number): Task {
  const next = mulberry32(seed)
  const draw: Draw = (n) => next() % n
  const [question, answer] = MAKERS[family](draw, level)
  return { id: `${family}/${level}/${seed}`, family, level, prompt: `\n${question}=`, answer }
}

/** Which families and levels tasksFor draws from; all of them when left out. */
export interface TaskMix {
  families?: readonly TaskFamily[]
  levels?: readonly number[]
}

const DOMAIN = new TextEncoder().encode('lockstep-rl-tasks/1')
/** More than a round ever asks for: a request above it is refused before any hashing. */
export const MAX_TASKS = 1024
const u32be = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

/**
 * The `count` tasks of `peer` in `round`: task i comes from keccak256(utf8("lockstep-rl-tasks/1") ‖
 * seed ‖ u32be(round) ‖ utf8(peer) ‖ u32be(i)) — family from its first four bytes, level from the fifth,
 * the task's seed from bytes 8..11.
 */
export function tasksFor(seed: Hex, round: number, peer: string, count: number, mix: TaskMix = {}): Task[] {
  if (!isHex(seed, { strict: true }) || seed.length < 4 || seed.length > 130 || seed.length % 2)
    throw new TaskError('The swarm seed must be 1 to 64 bytes of hex.')
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff
  if (!u32(round)) throw new TaskError(`The round must be a 32-bit unsigned integer (got ${round}).`)
  const peerBytes = new TextEncoder().encode(typeof peer === 'string' ? peer : '')
  if (peerBytes.length < 1 || peerBytes.length > 256) throw new TaskError('A peer id must be 1 to 256 bytes.')
  if (!Number.isInteger(count) || count < 0 || count > MAX_TASKS)
    throw new TaskError(`A round asks for 0 to ${MAX_TASKS} tasks (got ${count}).`)
  const families = mix.families ?? FAMILIES
  const levels = mix.levels ?? [1, 2, 3, 4]
  if (families.length < 1 || families.some((f) => !FAMILIES.includes(f)))
    throw new TaskError(`A task mix names families from ${FAMILIES.join(', ')}.`)
  if (levels.length < 1 || levels.some((l) => !Number.isInteger(l) || l < 1 || l > MAX_LEVEL))
    throw new TaskError(`A task mix names levels from 1 to ${MAX_LEVEL}.`)
  const head = [DOMAIN, hexToBytes(seed), u32be(round), peerBytes]
  return Array.from({ length: count }, (_, i) => {
    const h = keccak256Parts([...head, u32be(i)])
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength)
    return makeTask(families[v.getUint32(0) % families.length], levels[h[4] % levels.length], v.getUint32(8))
  })
}
