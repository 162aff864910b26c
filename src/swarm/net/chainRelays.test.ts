// The chain's relay list is untrusted: checked and bounded before any dial, then dialled in order with a
// timeout each, and a list where nothing answers ends in a named error carrying every note.
import { describe, expect, it } from 'vitest'
import { RelayUnreachableError } from '../../errors/network.ts'
import { MAX_CHAIN_RELAYS, checkRelayList, firstRelay } from './chainRelays.ts'

const ID = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const relay = (port: number) => `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${ID}`

describe('checkRelayList', () => {
  it('keeps dialable relays in order and skips the rest by name', () => {
    const { relays, skipped } = checkRelayList([
      relay(1),
      'hello',
      42,
      `/ip4/127.0.0.1/tcp/2/p2p/${ID}`, // TCP: a browser cannot dial it
      `/ip4/127.0.0.1/tcp/3/ws`, // no peer id
      `${relay(4)}/p2p-circuit/p2p/${ID}`,
      relay(1),
      `/dns4/relay.example/tcp/443/wss/p2p/${ID}`,
      `/ip4/127.0.0.1/tcp/5/ws/p2p/${ID}${'x'.repeat(300)}`,
    ])
    expect(relays).toEqual([relay(1), `/dns4/relay.example/tcp/443/wss/p2p/${ID}`])
    expect(skipped.map((n) => n.why)).toEqual([
      'RelayAddrError: not a multiaddr',
      'RelayAddrError: not a string (number)',
      'RelayAddrError: not a WebSocket address (/ws or /wss), which a browser cannot dial',
      'RelayAddrError: does not end /p2p/<peer id>',
      'RelayAddrError: a circuit address, not a relay',
      'RelayAddrError: listed twice',
      expect.stringMatching(/^RelayAddrError: \d+ bytes, over the 256-byte bound$/),
    ])
    // A note quotes a bounded slice of what the chain said.
    expect(skipped.at(-1)!.addr.length).toBeLessThanOrEqual(81)
    expect(skipped[1].addr).toBe('(number)')
  })

  it('cuts a huge list at the contract bound without looking past it', () => {
    const list = Array.from({ length: 100_000 }, (_, i) => (i === 40 ? relay(40) : 'junk'))
    const started = performance.now()
    const { relays, skipped } = checkRelayList(list)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(relays).toEqual([]) // the only good entry sat past the bound
    expect(skipped).toHaveLength(MAX_CHAIN_RELAYS + 1)
    expect(skipped.at(-1)).toEqual({
      addr: `${100_000 - MAX_CHAIN_RELAYS} more entries`,
      why: "RelayAddrError: the list is cut at 32 entries (the coordinator's bound)",
    })
  })
})

describe('firstRelay', () => {
  it('dials in order, one at a time, and keeps the first that answers', async () => {
    const dialled: string[] = []
    const dial = async (addr: string) => {
      dialled.push(addr)
      if (addr !== relay(2)) throw new Error('connection refused')
    }
    const got = await firstRelay([relay(1), relay(2), relay(3)], dial, {
      skipped: [{ addr: 'hello', why: 'RelayAddrError: not a multiaddr' }],
    })
    expect(got.relay).toBe(relay(2))
    expect(dialled).toEqual([relay(1), relay(2)])
    expect(got.skipped).toEqual([
      { addr: 'hello', why: 'RelayAddrError: not a multiaddr' },
      { addr: relay(1), why: 'SwarmNetError: did not answer (connection refused)' },
    ])
  })

  it('gives a relay that never answers its timeout, even when the dial ignores the signal', async () => {
    const started = Date.now()
    let aborted = false
    const got = await firstRelay(
      [relay(1), relay(2)],
      (addr, signal) => {
        if (addr === relay(2)) return Promise.resolve()
        signal.addEventListener('abort', () => (aborted = true))
        return new Promise(() => {}) // a black hole: never settles, ignores the signal
      },
      { timeoutMs: 150 },
    )
    expect(got.relay).toBe(relay(2))
    expect(got.skipped).toEqual([{ addr: relay(1), why: 'SwarmNetError: no answer within 150 ms' }])
    expect(aborted).toBe(true)
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('throws RelayUnreachableError with every note when none answers, or none is listed', async () => {
    // A browser's WebSocket fails with an Event, not an Error: the note names its kind.
    const down = firstRelay(
      [relay(1), relay(2)],
      (addr) => Promise.reject(addr === relay(1) ? new Error('refused') : new Event('error')),
      { timeoutMs: 100 },
    )
    await expect(down).rejects.toBeInstanceOf(RelayUnreachableError)
    await expect(down).rejects.toMatchObject({
      shortMessage: 'none of the 2 relays listed answered',
      details: `${relay(1)}: SwarmNetError: did not answer (refused); ${relay(2)}: SwarmNetError: did not answer (error event)`,
    })
    const none = firstRelay([], () => Promise.resolve(), {
      skipped: [{ addr: 'x', why: 'RelayAddrError: not a multiaddr' }],
    })
    await expect(none).rejects.toMatchObject({
      name: 'RelayUnreachableError',
      shortMessage: 'no usable relay is listed',
      details: 'x: RelayAddrError: not a multiaddr',
    })
  })
})
