// Errors from the deterministic ONNX runtime. Each says what was refused and why, so a verifier can
// tell a model it cannot run from a receipt that lies.
import { BaseError } from './base.ts'

/** The model cannot be run here: not ONNX, an operator, opset or data type this runtime lacks. */
export class OnnxError extends BaseError {
  override name = 'OnnxError'
}

/** A node's inputs do not fit together (shapes, ranks, axes): onnxruntime refuses these graphs too. */
export class OnnxShapeError extends OnnxError {
  override name = 'OnnxShapeError'
}

/** What a budget counts: elements held in memory, or arithmetic operations. */
export type BudgetKind = 'elements' | 'operations'

/**
 * Running the graph would exceed a budget of the verifier (docs/receipts.md, "Budgets"). Raised by the
 * shape pass over the whole graph, before any float tensor is allocated.
 */
export class InferenceBudgetError extends OnnxError {
  override name = 'InferenceBudgetError'
  readonly kind: BudgetKind
  readonly scope: 'node' | 'graph'
  readonly needed: number
  readonly limit: number
  constructor(where: string, kind: BudgetKind, scope: 'node' | 'graph', needed: number, limit: number) {
    super(
      scope === 'node'
        ? `${where} needs ${needed} ${kind}; one node may use at most ${limit}.`
        : `${where} would bring the graph to ${needed} ${kind}; the graph may use at most ${limit}.`,
      { details: 'The budgets bound what a verifier spends on a receipt; pass larger limits to run it.' },
    )
    this.kind = kind
    this.scope = scope
    this.needed = needed
    this.limit = limit
  }
}

/**
 * An input tensor is malformed (dims not integers, values not numbers, a name unknown to the model).
 * Producer and verifier refuse the same inputs: `infer` never signs what `verify` would reject.
 */
export class InferenceInputError extends OnnxError {
  override name = 'InferenceInputError'
}

/** Outputs that cannot be written or hashed exactly (int64 beyond 2^53, malformed receipt outputs). */
export class OutputEncodingError extends OnnxError {
  override name = 'OutputEncodingError'
}
