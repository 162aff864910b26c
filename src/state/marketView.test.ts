import { afterEach, expect, it, vi } from 'vitest'
import { settlementHash, type SettlementReceipt } from '../markets/settlement.ts'
import { receiptAt } from './marketView.svelte.ts'

afterEach(() => vi.unstubAllGlobals())

it('reads a posted settlement from its link, or from an http(s) URL of modest size, and nothing else', async () => {
  const r = { kind: 'lockstep/market-settlement', receiptHash: '0x12' } as unknown as SettlementReceipt
  expect(JSON.parse(await receiptAt(`http://x.test/app/?a=1${settlementHash(r)}`))).toEqual(r)
  await expect(receiptAt('lockstep:bundled')).rejects.toThrow(/neither a settlement link nor/)
  await expect(receiptAt('javascript:alert(1)')).rejects.toThrow(/neither/)
  vi.stubGlobal('fetch', async () => new Response('{"a":1}'))
  expect(await receiptAt('https://x.test/s.json')).toBe('{"a":1}')
  vi.stubGlobal('fetch', async () => new Response('x'.repeat(1_000_001)))
  await expect(receiptAt('https://x.test/big.json')).rejects.toThrow(/too large/)
  vi.stubGlobal('fetch', async () => new Response('gone', { status: 404 }))
  await expect(receiptAt('https://x.test/gone.json')).rejects.toThrow(/HTTP 404/)
})
