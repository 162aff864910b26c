// What every SwarmNet (types.ts) must do, as one suite each implementation runs on itself: the in-memory
// net (sim/memnet.test.ts) and libp2p (net/libp2pNet.test.ts). The round protocol is tested on the first
// and runs on the second, so anything they disagree on is a bug the protocol's tests cannot see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256 } from 'viem'
import { SwarmNetError, type SwarmNetErrorCode } from '../errors/network.ts'
import { MAX_GOSSIP_BYTES } from './net/config.ts'
import type { SwarmMessage, SwarmNet } from './types.ts'

export interface SwarmNetHarness {
  /** Three nodes of one network, all reachable from the first (the others may reach each other through it). */
  nets: [SwarmNet, SwarmNet, SwarmNet]
  /** A well-formed peer id that no node of this network has. */
  stranger: string
  /** Takes a node off the network, as closing its tab does. */
  leave(net: SwarmNet): Promise<void>
  /** Resolves once `cond()` holds, checked on the network's own time; fails after a while. */
  eventually(cond: () => boolean, what: string): Promise<void>
  close(): Promise<void>
}

const text = (s: string) => new TextEncoder().encode(s)

/** `promise` rejects with a SwarmNetError of `code`. */
async function fails(promise: Promise<unknown>, code: SwarmNetErrorCode): Promise<void> {
  const e = await promise.then(
    () => new Error('it resolved'),
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(SwarmNetError)
  expect((e as SwarmNetError).code, (e as Error).message).toBe(code)
}

export function swarmNetConformance(
  name: string,
  make: () => Promise<SwarmNetHarness>,
  timeoutMs = 30_000,
): void {
  describe(`${name} is a SwarmNet`, () => {
    let h: SwarmNetHarness
    let a: SwarmNet, b: SwarmNet, c: SwarmNet
    const blob = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251)
    const blobHash = keccak256(blob)
    const lie = keccak256(text('what was asked for'))
    beforeAll(async () => {
      h = await make()
      ;[a, b, c] = h.nets
      a.provideBlobs((hash) => (hash === blobHash ? blob : hash === lie ? text('something else') : undefined))
    }, timeoutMs)
    afterAll(() => h?.close(), timeoutMs)

    /** Subscribes every net in `nets` to a fresh topic, recording what each hears; resolves when `a` sees them. */
    const topic = async (t: string, nets = [a, b, c]) => {
      const heard = new Map<SwarmNet, SwarmMessage[]>()
      const off = nets.map((n) => {
        heard.set(n, [])
        return n.subscribe(t, (m) => heard.get(n)!.push(m))
      })
      const others = nets.filter((n) => n !== a).map((n) => n.self)
      await h.eventually(() => others.every((x) => a.peers(t).includes(x)), `a sees ${others} on ${t}`)
      return { heard, off }
    }

    it(
      'delivers a publish to every other subscriber with its authenticated sender, never to the sender',
      async () => {
        const { heard } = await topic('conformance/deliver')
        await a.publish('conformance/deliver', text('from a'))
        await h.eventually(() => heard.get(b)!.length > 0 && heard.get(c)!.length > 0, 'b and c hear a')
        for (const n of [b, c]) expect(heard.get(n)).toEqual([{ from: a.self, data: text('from a') }])
        await b.publish('conformance/deliver', text('from b'))
        await h.eventually(() => heard.get(a)!.length > 0 && heard.get(c)!.length > 1, 'a and c hear b')
        expect(heard.get(a)).toEqual([{ from: b.self, data: text('from b') }])
        expect(heard.get(b)!.map((m) => m.from)).toEqual([a.self]) // never its own
      },
      timeoutMs,
    )

    it(
      'lists connected subscribers, never itself; an unsubscribed node is dropped and hears nothing more',
      async () => {
        const { heard, off } = await topic('conformance/leave-topic')
        expect(a.peers('conformance/leave-topic')).not.toContain(a.self)
        expect(a.peers('conformance/nobody')).toEqual([])
        off[1]() // b unsubscribes
        await h.eventually(() => !a.peers('conformance/leave-topic').includes(b.self), 'a drops b')
        await a.publish('conformance/leave-topic', text('after b left'))
        await h.eventually(() => heard.get(c)!.length > 0, 'c hears a')
        expect(heard.get(b)).toEqual([])
      },
      timeoutMs,
    )

    it(
      'refuses to publish a message over the gossip bound (too-large)',
      async () => {
        await fails(a.publish('conformance/deliver', new Uint8Array(MAX_GOSSIP_BYTES + 1)), 'too-large')
      },
      timeoutMs,
    )

    it(
      'fetches a blob by content hash from the node that provides it',
      async () => {
        const bytes = await b.fetchBlob(a.self, blobHash, blob.byteLength)
        expect(keccak256(bytes)).toBe(blobHash)
      },
      timeoutMs,
    )

    it(
      'refuses blobs with a named code: not-found, too-large, bad-hash, aborted, unreachable',
      async () => {
        await fails(b.fetchBlob(a.self, keccak256(text('nobody has this')), 10), 'not-found')
        await fails(b.fetchBlob(a.self, blobHash, 1000), 'too-large')
        await fails(b.fetchBlob(a.self, lie, 100), 'bad-hash')
        await fails(b.fetchBlob(a.self, blobHash, blob.byteLength, AbortSignal.abort()), 'aborted')
        await fails(b.fetchBlob(h.stranger, blobHash, blob.byteLength), 'unreachable')
      },
      timeoutMs,
    )

    it(
      'a node that left: its publish and fetch reject (closed), the others drop it and cannot fetch from it',
      async () => {
        const t = 'conformance/closed'
        await topic(t)
        c.provideBlobs((hash) => (hash === blobHash ? blob : undefined))
        await h.leave(c)
        await fails(c.publish(t, text('too late')), 'closed')
        await fails(c.fetchBlob(a.self, blobHash, blob.byteLength), 'closed')
        await h.eventually(() => !a.peers(t).includes(c.self), 'a drops c')
        await fails(a.fetchBlob(c.self, blobHash, blob.byteLength), 'unreachable')
      },
      timeoutMs,
    )
  })
}
