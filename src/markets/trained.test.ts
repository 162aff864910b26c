// The trained default settlement model: it is the checkpoint its training receipt attests, exported the
// same way every time, and under TASK_RULE it picks the right answer to tasks it never trained on.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { EVAL_SEED } from '../rl/accuracy.ts'
import { tasksFor } from '../rl/tasks.ts'
import type { TaskFamily } from '../rl/types.ts'
import { MarketError } from '../errors/market.ts'
import { RULE, TASK_RULE } from './model.ts'
import { recheckSettlement, settle, signSettlement } from './settlement.ts'
import { TRAINED_MODEL_HASH, TRAINED_STATE_HASH, TRAINED_URI, trainedModel } from './trained.ts'

const checkpoint = new Uint8Array(readFileSync('public/rl/warmstart.lscp'))
const model = trainedModel(checkpoint)
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

/** A market on task t: its true answer among wrong ones of the same shape, in sorted order. */
function taskMarket(family: TaskFamily, prompt: string, answer: string) {
  const wrong =
    family === 'compare'
      ? ['<', '=', '>']
      : [[...answer].reverse().join(''), answer.slice(1) + answer[0], answer.slice(-1) + answer.slice(0, -1)]
  const outcomes = [...new Set([answer, ...wrong])].sort()
  return { question: `What is ${prompt.trim()}?`, input: prompt.slice(1, -1), outcomes }
}

describe('the trained settlement model', () => {
  it('is the warm start its training receipt attests, exported to the pinned bytes', () => {
    const receipt = JSON.parse(readFileSync('public/rl/warmstart.receipt.json', 'utf8'))
    const described = JSON.parse(readFileSync('public/rl/warmstart.json', 'utf8'))
    expect(receipt.body.endStateHash).toBe(TRAINED_STATE_HASH)
    expect(described.stateHash).toBe(TRAINED_STATE_HASH)
    expect(keccak256(model)).toBe(TRAINED_MODEL_HASH)
    expect(keccak256(trainedModel(checkpoint))).toBe(TRAINED_MODEL_HASH)
  })

  it('refuses a checkpoint with one weight changed', () => {
    const changed = checkpoint.slice()
    changed[changed.length - 1] ^= 1
    expect(() => trainedModel(changed)).toThrow(MarketError)
  })

  // Measured on 40 tasks of each (round 7, 2026-12-05): sort 1–2 and reverse 1 all right, compare 1
  // 36 of 40, reverse 2 32 of 37; count and add are near chance and make no market (docs/markets.md).
  it.each([
    ['sort', 1, 1],
    ['sort', 2, 1],
    ['reverse', 1, 1],
    ['compare', 1, 0.8],
  ] as const)(
    'answers %s level %i tasks it never saw: a share of at least %f right',
    (family, level, share) => {
      const tasks = tasksFor(EVAL_SEED, 7, 'market-demo', 20, { families: [family], levels: [level] })
      const markets = tasks.map((t) => ({ t, m: taskMarket(family, t.prompt, t.answer) }))
      const asked = markets.filter(({ m }) => m.outcomes.length >= 2)
      const right = asked.filter(({ t, m }) => {
        const s = settle(model, m, TRAINED_URI, undefined, TASK_RULE)
        return m.outcomes[s.outcome] === t.answer
      })
      expect(asked.length).toBeGreaterThan(10)
      expect(right.length).toBeGreaterThanOrEqual(Math.ceil(share * asked.length))
    },
  )

  it('scores the answer with its end: a prefix of the answer loses to it', () => {
    const m = { question: 'Sorted?', input: 'sort:ecb', outcomes: ['bc', 'bce', 'bcee'] }
    const s = settle(model, m, TRAINED_URI, undefined, TASK_RULE)
    expect(m.outcomes[s.outcome]).toBe('bce')
  })

  it('a TASK_RULE settlement re-checks; the same receipt under the other rule fails its outcome', async () => {
    const m = { question: 'Sorted?', input: 'sort:dca', outcomes: ['acd', 'cad', 'dca'] }
    const settled = settle(model, m, TRAINED_URI, undefined, TASK_RULE)
    expect(settled.rule).toBe(TASK_RULE)
    expect(m.outcomes[settled.outcome]).toBe('acd')
    const r = await signSettlement(settled, account, target)
    expect((await recheckSettlement(r, model)).filter((c) => !c.ok)).toEqual([])

    const other = await signSettlement({ ...settled, rule: RULE }, account, target)
    const failed = (await recheckSettlement(other, model)).filter((c) => !c.ok).map((c) => c.name)
    expect(failed).toContain('outcome')
    const unknown = await signSettlement({ ...settled, rule: 'lockstep/made-up/1' as never }, account, target)
    const refused = (await recheckSettlement(unknown, model)).filter((c) => !c.ok).map((c) => c.name)
    expect(refused).toContain('rule')
  })
})
