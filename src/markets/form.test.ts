import { describe, expect, it } from 'vitest'
import { keccak256, zeroAddress } from 'viem'
import { defaultDraft, draftErrors, LIMITS, validateDraft, type Draft } from './form.ts'
import { seedOf } from './cost.ts'

const model = { hash: keccak256('0x01'), uri: 'https://models.example/x.onnx' }
const good = (over: Partial<Draft> = {}): Draft => ({
  ...defaultDraft(model),
  question: 'Will it rain?',
  input: 'Clouds.',
  ...over,
})

describe('draftErrors', () => {
  it('accepts the defaults with a question and input, and builds the contract arguments', () => {
    expect(draftErrors(good(), 18)).toEqual({})
    const v = validateDraft(good({ feePercent: '2.5', tradingMinutes: '2' }), zeroAddress, 18)
    if (v.errors) throw new Error('expected a valid draft')
    expect(v.config.feeBps).toBe(250n)
    expect(v.config.creatorFeeBps).toBe(187n)
    expect(v.config.liquidity).toBe(100n * 10n ** 18n)
    expect(v.config.tradingWindow).toBe(120n)
    expect(v.config.settlementWindow).toBe(3600n)
    expect(v.terms.outcomes).toEqual(['Yes', 'No'])
  })

  it.each([
    [{ question: ' ' }, 'question'],
    [{ question: 'x'.repeat(LIMITS.textBytes + 1) }, 'question'],
    [{ category: 'é'.repeat(257) }, 'category'],
    [{ outcomes: ['Yes'] }, 'outcomes'],
    [{ outcomes: Array.from({ length: 21 }, (_, i) => `o${i}`) }, 'outcomes'],
    [{ outcomes: ['Yes', 'Yes'] }, 'outcome-1'],
    [{ outcomes: ['Yes', ''] }, 'outcome-1'],
    [{ outcomes: ['Yes', ' No'] }, 'outcome-1'],
    [{ outcomes: ['x'.repeat(91), 'No'] }, 'outcome-0'],
    [{ outcomes: ['ü'.repeat(46), 'No'] }, 'outcome-0'], // 92 bytes in 46 characters
    [{ k: '0' }, 'k'],
    [{ k: '101' }, 'k'],
    [{ k: '1.5' }, 'k'],
    [{ feePercent: '0.49' }, 'feePercent'],
    [{ feePercent: '5.01' }, 'feePercent'],
    [{ feePercent: '1.234' }, 'feePercent'],
    [{ deposit: '100' }, 'deposit'],
    [{ liquidity: 'lots' }, 'liquidity'],
    [{ bond: '0' }, 'bond'],
    [{ liquidity: '0.000000000000000001', deposit: '0' }, 'liquidity'],
    [{ model: null }, 'model'],
    [{ model: { ...model, uri: 'x.onnx' } }, 'modelUri'], // a file name nobody else can fetch
    [{ model: { ...model, uri: '' } }, 'modelUri'],
    [{ model: { ...model, uri: 'file:///home/me/x.onnx' } }, 'modelUri'],
    [{ model: { ...model, uri: 'lockstep:bundled/x' } }, 'modelUri'], // not a model the app ships
    [{ model: { ...model, uri: ' https://models.example/x.onnx' } }, 'modelUri'],
    [{ model: { ...model, uri: `https://models.example/${'x'.repeat(512)}` } }, 'modelUri'],
    [{ input: '' }, 'input'],
    [{ tradingMinutes: '1' }, 'tradingMinutes'],
    [{ tradingMinutes: String(365 * 24 * 60 + 1) }, 'tradingMinutes'],
    [{ settlementHours: '0' }, 'settlementHours'],
    [{ settlementHours: '25' }, 'settlementHours'],
    [{ challengeMinutes: '9' }, 'challengeMinutes'],
  ] as [Partial<Draft>, string][])('refuses case %# at its field', (over, field) => {
    const errors = draftErrors(good(over), 18)
    expect(Object.keys(errors)).toContain(field)
    expect(validateDraft(good(over), zeroAddress, 18).errors).toEqual(errors)
  })

  it('refuses liquidity too small to seed exactly where the contract does', () => {
    // 20 outcomes, k = 100: the seed is 0 below ⌈100·√20⌉ base units of budget.
    const outcomes = Array.from({ length: 20 }, (_, i) => `o${i}`)
    const at = (units: bigint) =>
      draftErrors(good({ outcomes, k: '100', liquidity: String(units), deposit: '0' }), 0).liquidity
    expect(seedOf(100n, 20, 448n, 0n)).toBe(1n)
    expect(seedOf(100n, 20, 447n, 0n)).toBe(0n)
    expect(at(448n)).toBeUndefined()
    expect(at(447n)).toMatch(/Too small/)
  })
})
