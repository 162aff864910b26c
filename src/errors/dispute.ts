import { BaseError } from './base.ts'

/** Two receipts (or traces) that are not a dispute the referee can settle: nothing to name, and why. */
export class NotADisputeError extends BaseError {
  override name = 'NotADisputeError'
}

/** Evidence that is not the referee's own derivation (an argument its config does not give): it proves nothing. */
export class ForgedEvidenceError extends BaseError {
  override name = 'ForgedEvidenceError'
}

/** An operator record that cannot be recomputed: an input value missing, or an operator no module has. */
export class TraceError extends BaseError {
  override name = 'TraceError'
}

/** The dispute demo drew only lies that never reach the state: there is no dispute to show. */
export class NoLieError extends BaseError {
  override name = 'NoLieError'
}

/** A step-trace file that is not one: not JSON, another kind, or missing what a trace must hold. */
export class StepTraceFormatError extends BaseError {
  override name = 'StepTraceFormatError'
}

/** A step trace the game's program cannot be built from: an input no earlier slot holds, or more than one does. */
export class GameProgramError extends BaseError {
  override name = 'GameProgramError'
}

/** A trace commitment that is not one (not JSON, another kind, a malformed field) or is not signed by whom it names. */
export class TraceCommitmentError extends BaseError {
  override name = 'TraceCommitmentError'
}
