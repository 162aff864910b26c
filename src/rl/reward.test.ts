import { describe, expect, it } from 'vitest'
import { RewardInputError } from '../errors/rl.ts'
import { encode } from '../train/data.ts'
import { isCorrect, reward } from './reward.ts'
import { taskFromId } from './tasks.ts'

const ids = (s: string) => [...encode(s)]
const add = taskFromId('add/4/123456789') // 2814+4471=7285
const sort = taskFromId('sort/4/7') // caeaade → aaacdee
const compare = taskFromId('compare/3/5') // 684?942 → <

describe('reward', () => {
  it('gives 1000 for the exact answer then END_TOKEN, and nothing else gets it', () => {
    expect(reward(add, ids('7285\n'))).toBe(1000)
    expect(reward(sort, ids('aaacdee\n'))).toBe(1000)
    expect(reward(compare, ids('<\n'))).toBe(1000)
    expect(isCorrect(add, ids('7285\n'))).toBe(true)
    expect(isCorrect(add, ids('7285'))).toBe(false)
  })

  it('gives floor(500 · matching positions / longer length) for a wrong answer', () => {
    expect(reward(add, ids('7286\n'))).toBe(375) // 3 of 4
    expect(reward(add, ids('1285\n'))).toBe(375)
    expect(reward(add, ids('728\n'))).toBe(375) // 3 of 4, short
    expect(reward(add, ids('72851\n'))).toBe(400) // 4 of 5: longer than the answer
    expect(reward(add, ids('\n'))).toBe(0)
    expect(reward(sort, ids('aaacded\n'))).toBe(Math.floor((500 * 6) / 7)) // all but the last
    expect(reward(compare, ids('>\n'))).toBe(0)
    expect(reward(compare, ids('<<\n'))).toBe(250)
  })

  it('subtracts 200 without END_TOKEN, with bytes after it, or outside the alphabet', () => {
    expect(reward(add, ids('7285'))).toBe(300) // right digits, never ended
    expect(reward(add, ids('7285\n5'))).toBe(300) // bytes after the end
    expect(reward(add, ids('7285\n\n'))).toBe(300)
    expect(reward(add, ids('72a5\n'))).toBe(375 - 200) // 'a' is no digit
    expect(reward(sort, ids('aaacde1\n'))).toBe(Math.floor((500 * 6) / 7) - 200)
    expect(reward(compare, ids('x\n'))).toBe(-200)
    expect(reward(add, [])).toBe(-200)
  })

  it('is monotone: one more right position never lowers it', () => {
    const a = ids('7285\n')
    const tries = ['0000\n', '7000\n', '7200\n', '7280\n', '7285\n']
    const rs = tries.map((s) => reward(add, ids(s)))
    for (let i = 1; i < rs.length; i++) expect(rs[i]).toBeGreaterThan(rs[i - 1])
    expect(rs.at(-1)).toBe(reward(add, a))
  })

  it('refuses completions that are not byte ids, or too long, with a RewardInputError', () => {
    for (const bad of [[256], [-1], [1.5], ['7' as unknown as number], [NaN]])
      expect(() => reward(add, bad)).toThrow(RewardInputError)
    expect(() => reward(add, new Array(2000).fill(55))).toThrow(RewardInputError)
    expect(() => reward(add, 'abc' as unknown as number[])).toThrow(RewardInputError)
  })
})
