import { BaseError } from './base.ts'

/** An op module that does not fit the others (two claim one kernel or ONNX operator): a bug. */
export class OpModuleError extends BaseError {
  override name = 'OpModuleError'
}
