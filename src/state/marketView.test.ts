import { afterEach, expect, it, vi } from 'vitest'
import { settlementHash, type SettlementReceipt } from '../markets/settlement.ts'
import { inputHashOf } from '../markets/chain.ts'
import { inputIn, receiptAt } from './marketView.svelte.ts'

afterEach(() => vi.unstubAllGlobals())

it('reads a posted settlement from its link, or from an http(s) URL of modest size, and nothing else', async () => {
  const r = { kind: 'lockstep/market-settlement', receiptHash: '0x12' } as unknown as SettlementReceipt
  expect(JSON.parse(await receiptAt(`http://x.test/app/?a=1${settlementHash(r)}`))).toEqual(r)
  await expect(receiptAt('lockstep:bundled')).rejects.toThrow(/neither a settlement link, a data: URI nor/)
  await expect(receiptAt('javascript:alert(1)')).rejects.toThrow(/neither/)
  // The CLI's: the JSON in a data: URI, base64 or percent-encoded (UTF-8 either way).
  const text = JSON.stringify({ ...r, note: 'é' })
  const b64 = Buffer.from(text).toString('base64')
  expect(await receiptAt(`data:application/json;base64,${b64}`)).toBe(text)
  expect(await receiptAt(`data:application/json;charset=utf-8,${encodeURIComponent(text)}`)).toBe(text)
  await expect(receiptAt(`data:text/html;base64,${b64}`)).rejects.toThrow(/neither/)
  await expect(receiptAt(`data:application/json,${'x'.repeat(2_000_001)}`)).rejects.toThrow(/too large/)
  vi.stubGlobal('fetch', async () => new Response('{"a":1}'))
  expect(await receiptAt('https://x.test/s.json')).toBe('{"a":1}')
  vi.stubGlobal('fetch', async () => new Response('x'.repeat(1_000_001)))
  await expect(receiptAt('https://x.test/big.json')).rejects.toThrow(/too large/)
  vi.stubGlobal('fetch', async () => new Response('gone', { status: 404 }))
  await expect(receiptAt('https://x.test/gone.json')).rejects.toThrow(/HTTP 404/)
})

it('takes a market’s input from a data: URI in its terms only when it hashes to the commitment', () => {
  const text = 'sort:dca, ü'
  const inputUri = 'data:text/plain;charset=utf-8,' + encodeURIComponent(text)
  expect(inputIn({ inputUri, inputHash: inputHashOf(text) })).toBe(text)
  expect(inputIn({ inputUri, inputHash: inputHashOf('other') })).toBeNull()
  expect(inputIn({ inputUri: 'https://x.test/input.txt', inputHash: inputHashOf(text) })).toBeNull()
  expect(inputIn({ inputUri: 'data:text/plain,%E0%A4%A', inputHash: inputHashOf(text) })).toBeNull()
})
