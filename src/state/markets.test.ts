// The Markets page's list against a stand-in client that counts its reads: the newest LIST_LIMIT markets,
// newest first, and each market's terms and config read once however often the list polls.
import { expect, it } from 'vitest'
import type { Address, PublicClient } from 'viem'
import { CreateForm, LIST_LIMIT, MarketList } from './markets.svelte.ts'
import { STEPS } from '../markets/form.ts'
import type { Wallet } from './wallet.svelte.ts'

const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address

function chain(count: number) {
  const reads = new Map<string, number>()
  let failTerms = false
  const client = {
    async getBlock() {
      return { timestamp: 1000n }
    },
    async readContract({ functionName, args }: { functionName: string; args?: readonly bigint[] }) {
      reads.set(functionName, (reads.get(functionName) ?? 0) + 1)
      if (functionName === 'marketCount') return BigInt(count)
      if (functionName === 'marketsBetween') {
        const [start, end] = args!.map(Number)
        return Array.from({ length: Math.min(end, count) - start }, (_, i) => address(start + i))
      }
      if (functionName === 'terms') {
        if (failTerms) throw new Error('RPC down')
        return { question: 'Q?', category: '', outcomes: ['yes', 'no'] }
      }
      if (functionName === 'config') return { k: 10n ** 18n }
      if (functionName === 'state')
        return { phase: 0, supplies: [1n, 3n], proposal: { at: 0n }, counter: { at: 0n }, winner: 0n }
      throw new Error(`unexpected read ${functionName}`)
    },
  }
  return {
    client: client as unknown as PublicClient,
    reads,
    failTerms: (on: boolean) => (failTerms = on),
  }
}

const wallet = { config: { chainId: 31337, marketFactory: address(999) } } as unknown as Wallet

it('lists the newest markets, newest first, and reads a market’s terms and config once', async () => {
  const c = chain(LIST_LIMIT + 3)
  const list = new MarketList(wallet, c.client)
  await list.refresh()
  expect(list.error).toBeNull()
  expect(list.total).toBe(LIST_LIMIT + 3)
  expect(list.rows.map((r) => r.address)).toEqual(
    Array.from({ length: LIST_LIMIT }, (_, i) => address(LIST_LIMIT + 2 - i)),
  )
  expect(list.rows[0].probabilities[1]).toBeGreaterThan(list.rows[0].probabilities[0])
  await list.refresh()
  await list.refresh()
  expect(c.reads.get('terms')).toBe(LIST_LIMIT)
  expect(c.reads.get('config')).toBe(LIST_LIMIT)
  expect(c.reads.get('state')).toBe(3 * LIST_LIMIT)
})

it('shows a failed read and tries the terms again at the next poll', async () => {
  const c = chain(2)
  const list = new MarketList(wallet, c.client)
  c.failTerms(true)
  await list.refresh()
  expect(list.error?.shortMessage).toMatch(/RPC down/)
  c.failTerms(false)
  await list.refresh()
  expect(list.error).toBeNull()
  expect(list.rows).toHaveLength(2)
})

it('says so when the chain has no market factory', async () => {
  const list = new MarketList({ config: { chainId: 5 } } as unknown as Wallet, chain(0).client)
  await list.refresh()
  expect(list.error?.shortMessage).toMatch(/Chain 5 has no market factory/)
  expect(list.loaded).toBe(true)
})

it('asks where an uploaded model is published, and takes only an http(s) address', () => {
  const form = new CreateForm(wallet, chain(0).client)
  const settlement = STEPS.findIndex((s) => s.title === 'Settlement')
  Object.assign(form.draft, { question: 'Q?', input: 'sort:dca' })
  expect(form.check(settlement)).toBe(true) // the trained model, built in
  form.useModel({ bytes: new Uint8Array([1, 2, 3]), name: 'mine.onnx' })
  expect(form.check(settlement)).toBe(false)
  expect(form.errors.modelUri).toMatch(/http\(s\) address/)
  form.draft.model!.uri = 'mine.onnx'
  expect(form.check(settlement)).toBe(false)
  form.draft.model!.uri = 'https://models.example/mine.onnx'
  expect(form.check(settlement)).toBe(true)
  expect(form.errors.modelUri).toBeUndefined()
  form.useModel(null)
  expect(form.draft.model?.uri).toMatch(/^lockstep:/)
})
