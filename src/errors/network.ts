import { BaseError } from './base.ts'

/** A swarm network operation failed: a dial, a publish, or a blob a peer would not or could not serve. */
export class SwarmNetError extends BaseError {
  override name = 'SwarmNetError'
}

/** No relay answered: the tab cannot find peers until one does (check `?relay=` or the relay process). */
export class RelayUnreachableError extends BaseError {
  override name = 'RelayUnreachableError'
}

/** A swarm name that cannot be a topic or a link: 1 to 40 letters, digits, `-` or `_`. */
export class SwarmNameError extends BaseError {
  override name = 'SwarmNameError'
}
