import { BaseError } from './base.ts'

/** A worker's script failed to load or threw outside any call: every call to it is refused. */
export class WorkerLoadError extends BaseError {
  override name = 'WorkerLoadError'
}

/** A worker was asked to work before it was started (its init or start call comes first). */
export class NotStartedError extends BaseError {
  override name = 'NotStartedError'
}

/** A worker was asked to start what it already runs. */
export class AlreadyStartedError extends BaseError {
  override name = 'AlreadyStartedError'
}
