import { BaseError } from './base.ts'

/**
 * Why a swarm network operation failed, the same for every SwarmNet (libp2p, the in-memory net):
 * callers decide on the code, never on the message.
 */
export type SwarmNetErrorCode =
  /** This node has left the network (stopped): nothing more can be sent or fetched. */
  | 'closed'
  /** A message or blob over its size bound (the caller's maxBytes, or the gossip limit). */
  | 'too-large'
  /** The peer cannot be reached: not connected, gone, every dial failed, or its stream ended early. */
  | 'unreachable'
  /** The peer answered that it does not serve that blob. */
  | 'not-found'
  /** What the peer sent does not hash to what was asked for. */
  | 'bad-hash'
  /** The peer broke the blob protocol: a malformed request or answer, more bytes than announced. */
  | 'protocol'
  /** No answer in time. */
  | 'timeout'
  /** The caller's signal aborted it. */
  | 'aborted'

/** A swarm network operation failed: a dial, a publish, or a blob a peer would not or could not serve. */
export class SwarmNetError extends BaseError {
  override name = 'SwarmNetError'
  readonly code: SwarmNetErrorCode

  constructor(shortMessage: string, options: { code: SwarmNetErrorCode; details?: string; cause?: unknown }) {
    super(shortMessage, options)
    this.code = options.code
  }
}

/** No relay answered: the tab cannot find peers until one does (check `?relay=` or the relay process). */
export class RelayUnreachableError extends BaseError {
  override name = 'RelayUnreachableError'
}

/** A swarm name that cannot be a topic or a link: 1 to 40 letters, digits, `-` or `_`. */
export class SwarmNameError extends BaseError {
  override name = 'SwarmNameError'
}

/**
 * A relay address a tab will not dial: not a string, too long, not a multiaddr, or not one a browser can
 * reach (WebSocket to a /p2p/ peer). Lists read from the chain are untrusted; an entry like this is
 * skipped with a note, never dialled.
 */
export class RelayAddrError extends BaseError {
  override name = 'RelayAddrError'
}
