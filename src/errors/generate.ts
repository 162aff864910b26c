// Errors from text generation (src/generate/): each names what was refused, so a verifier can tell a
// model or tokenizer it cannot drive from a receipt that lies.
import { BaseError } from './base.ts'

/** The model, its logits or the loop's state do not fit generation (layout, NaN logits, context). */
export class GenerationError extends BaseError {
  override name = 'GenerationError'
}

/** Sampling parameters outside what the spec defines (docs/receipts.md, "Sampling"). */
export class SamplingParamsError extends BaseError {
  override name = 'SamplingParamsError'
}

/** A tokenizer file that cannot be read, or text/ids it cannot encode or decode. */
export class TokenizerError extends BaseError {
  override name = 'TokenizerError'
}

/** A generation above the verifier's caps (max tokens, prompt, stop sequences): refused before any work. */
export class GenerationLimitError extends BaseError {
  override name = 'GenerationLimitError'
}
