import { BaseError } from './base.ts'

/** The round protocol could not go on from where this peer is: it resyncs from its peers. */
export class SwarmProtocolError extends BaseError {
  override name = 'SwarmProtocolError'
}

/** Updates that cannot be averaged: different configs or shapes, or none at all. */
export class AggregationError extends BaseError {
  override name = 'AggregationError'
}

/** A swarm message that does not fit its schema: dropped, and counted against its sender. */
export class SchemaError extends BaseError {
  override name = 'SchemaError'
}

/** Bytes that are not a well-formed checkpoint for their own config. */
export class CheckpointFormatError extends BaseError {
  override name = 'CheckpointFormatError'
}

/** A test network's misuse (memnet, the round bench): a node added twice, a blob it does not serve. */
export class TestNetError extends BaseError {
  override name = 'TestNetError'
}
