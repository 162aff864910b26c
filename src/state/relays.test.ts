// Where a tab's relays come from: ?relay=, then a built-in relay, then its swarm's list on the chain
// (the default swarm's when its own lists none), checked before anything is dialled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAddress } from 'viem'
import { DEV_SWARM_NAME, freePort, listRelays, startChain } from '../../scripts/chain.mjs'
import { DEFAULT_SWARM_NAME } from './swarmParams.ts'
import { resolveRelays } from './relays.ts'

const ID = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const relay = (port: number) => `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${ID}`
const never = () => Promise.reject(new Error('the chain must not be read'))

describe('resolveRelays', () => {
  it('takes ?relay= over a built-in relay, and either over the chain', async () => {
    const url = `?relay=${encodeURIComponent(relay(1))}`
    expect(await resolveRelays(url, 'lockstep', { builtIn: relay(2), read: never })).toEqual({
      kind: 'given',
      relays: [relay(1)],
    })
    expect(await resolveRelays('', 'lockstep', { builtIn: relay(2), read: never })).toEqual({
      kind: 'given',
      relays: [relay(2)],
    })
  })

  it("reads the swarm's list from the configured coordinator when no relay is given", async () => {
    const asked: string[] = []
    const read = async (name: string) => (asked.push(name), [relay(3), 'junk', relay(4)])
    // An empty ?relay= sets the built-in relay aside.
    const plan = await resolveRelays('?relay=', 'class-7b', { builtIn: relay(2), read })
    expect(asked).toEqual(['class-7b'])
    expect(plan).toEqual({
      kind: 'listed',
      relays: [relay(3), relay(4)],
      skipped: [{ addr: 'junk', why: 'RelayAddrError: not a multiaddr' }],
      source: 'swarm "class-7b" on SwarmCoordinator 0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0 (chain 31337)',
    })
  })

  it("falls back to the default swarm's relays when a named swarm lists none", async () => {
    const lists: Record<string, string[]> = { lockstep: [relay(5)] }
    const asked: string[] = []
    const read = async (name: string) => (asked.push(name), lists[name] ?? [])
    const plan = await resolveRelays('', 'class-7b', { builtIn: '', read })
    expect(asked).toEqual(['class-7b', 'lockstep'])
    expect(plan).toMatchObject({
      kind: 'listed',
      relays: [relay(5)],
      source: expect.stringMatching(/^swarm "lockstep"/),
    })
  })

  it('names what is missing off the dev chain: no coordinator, no relay', async () => {
    const search =
      '?chainId=10&rpc=https://rpc.example&registry=0x5FbDB2315678afecb367f032d93F642f64180aa3&swarmRegistry=0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
    await expect(resolveRelays(search, 'lockstep', { builtIn: '', read: never })).rejects.toMatchObject({
      name: 'RelayUnreachableError',
      shortMessage: 'no relay configured',
    })
  })
})

describe('relays listed on the dev chain (what npm start does)', () => {
  let chain: Awaited<ReturnType<typeof startChain>>
  beforeAll(async () => void (chain = await startChain()), 60_000)
  afterAll(async () => chain?.stop())

  it('creates the default swarm once, lists each relay once, and a tab reads them back in order', async () => {
    expect(DEV_SWARM_NAME).toBe(DEFAULT_SWARM_NAME)
    expect(await listRelays(chain, [relay(6), relay(7)])).toEqual([relay(6), relay(7)])
    expect(await listRelays(chain, [relay(7), relay(8), relay(8)])).toEqual([relay(6), relay(7), relay(8)])
    const plan = await resolveRelays(`?rpc=${chain.rpcUrl}`, 'lockstep', { builtIn: '' })
    expect(plan).toEqual({
      kind: 'listed',
      relays: [relay(6), relay(7), relay(8)],
      skipped: [],
      source: `swarm "lockstep" on SwarmCoordinator ${getAddress(chain.swarmCoordinator)} (chain 31337)`,
    })
  }, 30_000)

  it('names a coordinator address with no code, and a chain that does not answer', async () => {
    const empty = '0x000000000000000000000000000000000000dEaD'
    await expect(
      resolveRelays(`?rpc=${chain.rpcUrl}&swarmCoordinator=${empty}`, 'lockstep', { builtIn: '' }),
    ).rejects.toMatchObject({ name: 'ContractMissingError' })
    const closed = `http://127.0.0.1:${await freePort()}`
    await expect(resolveRelays(`?rpc=${closed}`, 'lockstep', { builtIn: '' })).rejects.toMatchObject({
      name: 'RpcUnavailableError',
      shortMessage: 'The chain did not answer while reading the bootnodes.',
    })
  })
})
