import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { bundledModel, decide, marketInputs, BUNDLED_URI } from './model.ts'
import {
  parseSettlementHash,
  recheckSettlement,
  settle,
  settlementHash,
  signSettlement,
} from './settlement.ts'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
const market = {
  question: 'Will it rain?',
  input: 'Clouds gather over the hills.',
  outcomes: ['Yes', 'No', 'Maybe'],
}

describe('market settlements', () => {
  it('lays each outcome after the prompt in its own row, left-truncated to the window', () => {
    const { inputs, starts } = marketInputs({ ...market, input: 'x'.repeat(100) }, 16)
    expect(inputs.input_ids.dims).toEqual([3, 16])
    expect(starts).toEqual([13, 14, 11])
    expect(Array.from(inputs.input_ids.data).slice(13, 16)).toEqual([89, 101, 115]) // "Yes"
  })

  it('breaks ties to the lowest index', () => {
    expect(decide([1, 3, 3])).toBe(1)
    expect(decide([-2, -2])).toBe(0)
  })

  it('settles deterministically, signs, round-trips a link and re-checks; a tampered outcome fails', async () => {
    const bytes = bundledModel()
    const a = settle(bytes, market, BUNDLED_URI)
    expect(settle(bundledModel(), market, BUNDLED_URI)).toEqual(a)
    expect(a.scores).toHaveLength(3)
    const r = await signSettlement(a, account, target)
    const back = JSON.parse(parseSettlementHash(settlementHash(r))!)
    expect(back).toEqual(r)
    const checks = await recheckSettlement(back, bytes)
    expect(checks.filter((c) => !c.ok)).toEqual([])
    const tampered = structuredClone(r)
    tampered.body.outcome = (r.body.outcome + 1) % 3
    const bad = await recheckSettlement(tampered, bytes)
    expect(bad.filter((c) => !c.ok).map((c) => c.name)).toEqual(['outcome', 'receipt hash']) // the signature still covers the claimed hash
  }, 120_000)
})
