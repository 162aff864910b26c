// Errors of the `lockstep` command line: what was typed does not make sense, or this machine cannot
// do what it asks. The CLI prints the usage for the first, the error's name and message for the rest.
import { BaseError } from './base.ts'

/** A command's arguments did not make sense: print the usage, exit 2. */
export class UsageError extends BaseError {
  override name = 'UsageError'
  /** What in particular was wrong, when the command knows (printed before its usage). */
  readonly reason?: string
  constructor(reason?: string) {
    super(reason ?? 'The arguments do not make sense; see the usage.')
    this.reason = reason
  }
}

/** A flag's value cannot be used (not a positive integer, not a 32-byte key, not a file). */
export class FlagError extends BaseError {
  override name = 'FlagError'
}

/** A folder of checkpoints that lacks what the re-execution needs. */
export class CheckpointFolderError extends BaseError {
  override name = 'CheckpointFolderError'
}

/** `--gpu` on a machine where Dawn (the `webgpu` package) or a GPU adapter is missing. */
export class DawnUnavailableError extends BaseError {
  override name = 'DawnUnavailableError'
}

/** A key file `lockstep deploy` cannot open: not a v3 keystore, an unsupported cipher or KDF, a wrong password. */
export class KeystoreError extends BaseError {
  override name = 'KeystoreError'
}

/** `lockstep deploy` cannot go on: no usable key, or an addresses file from another chain. */
export class DeployError extends BaseError {
  override name = 'DeployError'
}

/** `lockstep build-app` cannot fill in the app: no template, a template it does not know, a folder in the way. */
export class BuildAppError extends BaseError {
  override name = 'BuildAppError'
}

/** `lockstep relay` cannot start: an identity file that is not one, a metrics port that is taken. */
export class RelayStartError extends BaseError {
  override name = 'RelayStartError'
}

/** A peer identity file (`--identity`) that is not a secp256k1 libp2p key. */
export class IdentityError extends BaseError {
  override name = 'IdentityError'
}
