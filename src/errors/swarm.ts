import { BaseError } from './base.ts'

/** The round protocol could not go on from where this peer is: it resyncs from its peers. */
export class SwarmProtocolError extends BaseError {
  override name = 'SwarmProtocolError'
}
