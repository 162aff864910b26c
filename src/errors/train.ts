// Errors from training: a config that cannot run, a step refused, a checkpoint or corpus that is not
// what it claims, and a run used before it exists.
import { BaseError } from './base.ts'

/** A training config that cannot run, with the field named. */
export class ConfigError extends BaseError {
  override name = 'ConfigError'
}

/** A step that was refused because its loss or gradients were not finite; the state is unchanged. */
export class NonFiniteError extends BaseError {
  override name = 'NonFiniteError'
}

/** A checkpoint that lacks a tensor, or holds one of the wrong size. */
export class CheckpointError extends BaseError {
  override name = 'CheckpointError'
}

/** The corpus could not be loaded, or its bytes are not the corpus its descriptor names. */
export class CorpusError extends BaseError {
  override name = 'CorpusError'
}

/** The training worker was asked for a run it does not hold (create() comes first). */
export class NoRunError extends BaseError {
  override name = 'NoRunError'
  constructor() {
    super('No training run is loaded.', {
      metaMessages: ['Start the run (or reload the page) and try again.'],
    })
  }
}

/** A host that cannot produce the canonical bytes (a big-endian CPU). */
export class UnsupportedHostError extends BaseError {
  override name = 'UnsupportedHostError'
}

/** GRPO rollouts that cannot be trained on: a group of the wrong shape, an unknown task, a bad token. */
export class GrpoError extends BaseError {
  override name = 'GrpoError'
}
