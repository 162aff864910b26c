import { BaseError } from './base.ts'

/** SAPO parameters that no round can run with (docs/rl.md, The round). */
export class SapoParamsError extends BaseError {
  override name = 'SapoParamsError'
}

/** A task id that names no task (the fake task book's; src/rl/tasks.ts has its own). */
export class FakeTaskIdError extends BaseError {
  override name = 'FakeTaskIdError'
}
