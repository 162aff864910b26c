// Relays read from the chain (the swarm's bootnode list on the SwarmCoordinator, docs/swarm.md#finding-a-relay).
// Whoever holds the swarm's bootnode-manager role writes that list, and a configured chain may not even run
// our contract, so it is untrusted input: cut to the contract's own bounds, each entry checked before any
// dial, then dialled one at a time in the listed order with a short timeout each, so that a dead or
// black-holed relay costs seconds and a note, never a hang.
import { multiaddr } from '@multiformats/multiaddr'
import { RelayAddrError, RelayUnreachableError, SwarmNetError } from '../../errors/network.ts'

/** The coordinator's MAX_BOOTNODES: a longer list did not come from it, and is cut here. */
export const MAX_CHAIN_RELAYS = 32
/** The coordinator's MAX_MULTIADDR_BYTES. */
export const MAX_RELAY_ADDR_BYTES = 256
/**
 * One relay's chance to answer. A live relay's WebSocket and Noise handshake take tens of milliseconds on
 * a LAN and well under a second across the internet; a closed port fails at once; a black hole takes this.
 */
export const RELAY_PROBE_MS = 3_000
/** How much of a rejected entry (which may be 256 bytes of anything) or of a dial's error a note quotes. */
const QUOTE_CHARS = 80

/** A listed relay the tab did not use, and why: the error's name and short message. */
export interface RelayNote {
  addr: string
  why: string
}

export interface CheckedRelays {
  /** Entries a browser can dial, in the listed order, without repeats. */
  relays: string[]
  skipped: RelayNote[]
}

const quote = (s: string) => (s.length > QUOTE_CHARS ? `${s.slice(0, QUOTE_CHARS)}…` : s)

/** What a failed dial says: an Error's message, or the kind of a DOM event (a WebSocket's `error`). */
const said = (e: unknown) =>
  quote(
    e instanceof Error
      ? e.message
      : typeof e === 'object' && e !== null && 'type' in e
        ? `${String(e.type)} event`
        : String(e),
  )

export const noteOf = (addr: string, err: unknown): RelayNote => ({
  addr,
  why:
    err instanceof Error
      ? `${err.name}: ${'shortMessage' in err ? String(err.shortMessage) : err.message}`
      : String(err),
})

/** Throws RelayAddrError unless `entry` is a WebSocket multiaddr of a relay's peer id. */
export function checkRelayAddr(entry: unknown): string {
  if (typeof entry !== 'string') throw new RelayAddrError(`not a string (${typeof entry})`)
  const bytes = new TextEncoder().encode(entry).byteLength
  if (bytes > MAX_RELAY_ADDR_BYTES)
    throw new RelayAddrError(`${bytes} bytes, over the ${MAX_RELAY_ADDR_BYTES}-byte bound`)
  let names: string[]
  try {
    names = multiaddr(entry)
      .getComponents()
      .map((c) => c.name)
  } catch (e) {
    throw new RelayAddrError('not a multiaddr', { cause: e })
  }
  // A tab reaches a relay over WebSocket (src/swarm/net/node.ts); a circuit address names a peer behind
  // some relay, not a relay.
  if (!names.includes('ws') && !names.includes('wss'))
    throw new RelayAddrError('not a WebSocket address (/ws or /wss), which a browser cannot dial')
  if (names.includes('p2p-circuit')) throw new RelayAddrError('a circuit address, not a relay')
  if (names.at(-1) !== 'p2p') throw new RelayAddrError('does not end /p2p/<peer id>')
  return entry
}

/** Bounds and checks a list read from the chain; what cannot be dialled is skipped with a note. */
export function checkRelayList(list: readonly unknown[]): CheckedRelays {
  const relays: string[] = []
  const skipped: RelayNote[] = []
  for (const entry of list.slice(0, MAX_CHAIN_RELAYS)) {
    const shown = typeof entry === 'string' ? quote(entry) : `(${typeof entry})`
    try {
      const addr = checkRelayAddr(entry)
      if (relays.includes(addr)) throw new RelayAddrError('listed twice')
      relays.push(addr)
    } catch (e) {
      skipped.push(noteOf(shown, e))
    }
  }
  if (list.length > MAX_CHAIN_RELAYS)
    skipped.push(
      noteOf(
        `${list.length - MAX_CHAIN_RELAYS} more entries`,
        new RelayAddrError(`the list is cut at ${MAX_CHAIN_RELAYS} entries (the coordinator's bound)`),
      ),
    )
  return { relays, skipped }
}

/**
 * Dials `relays` one at a time, in order, each for at most `timeoutMs` (the dial's own signal, and a
 * timer in case the dial ignores it); returns the first that answered and a note for each one before it.
 * Throws RelayUnreachableError, carrying every note, when none did.
 */
export async function firstRelay(
  relays: readonly string[],
  dial: (addr: string, signal: AbortSignal) => Promise<unknown>,
  { timeoutMs = RELAY_PROBE_MS, skipped = [] as RelayNote[] } = {},
): Promise<{ relay: string; skipped: RelayNote[] }> {
  const notes = [...skipped]
  for (const addr of relays) {
    const signal = AbortSignal.timeout(timeoutMs)
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SwarmNetError(`no answer within ${timeoutMs} ms`, { code: 'timeout' })),
        timeoutMs,
      )
    })
    try {
      await Promise.race([dial(addr, signal), late])
      return { relay: addr, skipped: notes }
    } catch (e) {
      const timedOut = signal.aborted || (e instanceof SwarmNetError && e.code === 'timeout')
      notes.push(
        noteOf(
          addr,
          timedOut
            ? new SwarmNetError(`no answer within ${timeoutMs} ms`, { code: 'timeout' })
            : new SwarmNetError(`did not answer (${said(e)})`, {
                code: 'unreachable',
                cause: e,
              }),
        ),
      )
    } finally {
      clearTimeout(timer)
    }
  }
  throw new RelayUnreachableError(
    relays.length ? `none of the ${relays.length} relays listed answered` : 'no usable relay is listed',
    {
      details: notes.map((n) => `${n.addr}: ${n.why}`).join('; ') || 'the list is empty',
      metaMessages: ['Open the page with ?relay=<multiaddr>, or ask the swarm to list a live relay.'],
      docsPath: 'docs/swarm.md#finding-a-relay',
    },
  )
}
