// Tensors as JSON, the way receipts and the CLI carry them: { dims, data }, f32 values as numbers with
// the non-finite ones spelled out. One set of rules, used by the producer (`infer`) and the verifier
// (`verify`) alike, so a producer never signs inputs a verifier refuses: nothing is coerced ("1e3",
// true and null are refused, not read as 1000, 1 and 0).

/** A value as JSON: a number, or "NaN", "Infinity", "-Infinity" (JSON has no spelling for them). */
export type JsonValue = number | 'NaN' | 'Infinity' | '-Infinity'

export interface HostInput {
  dims: number[]
  data: number[] | Float32Array | JsonValue[]
}

/** Dims are u32 in the output encoding; larger ones could not be hashed. */
export const MAX_DIM = 2 ** 32 - 1

const SPELLED = new Set(['NaN', 'Infinity', '-Infinity'])

export const fromJson = (v: JsonValue): number =>
  v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v

/**
 * The f32 a JSON value stands for, canonical: one NaN, and −0 read as +0 because JSON cannot carry a
 * zero's sign (RFC 8785 writes −0 as 0), so a receipt's text and its computation always agree.
 */
export function f32Of(v: JsonValue): number {
  const x = Math.fround(fromJson(v))
  return x === 0 ? 0 : x
}

export const toJson = (v: number): JsonValue =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v === 0 ? 0 : v

/** A string whose UTF-8 is one-to-one with it: no lone surrogates (TextEncoder would turn them into U+FFFD). */
export function isWellFormed(s: string): boolean {
  try {
    encodeURIComponent(s)
    return true
  } catch {
    return false
  }
}

/** Why `dims` are not a tensor's dims (safe u32 integers), or null. */
export function dimsProblem(dims: unknown): string | null {
  if (!Array.isArray(dims)) return 'dims must be an array'
  for (const d of dims)
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DIM)
      return `dims must be integers from 0 to ${MAX_DIM}; got ${JSON.stringify(d)}`
  return null
}

/** Elements in a tensor of these (checked) dims; may exceed 2^53 only for dims no data can fill. */
export const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1)

/** Why `t` is not { dims, data } with data filling dims, each value passing `value`, or null. */
export function tensorProblem(t: unknown, value: (v: unknown) => string | null): string | null {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return 'must be { dims, data }'
  const { dims, data } = t as { dims: unknown; data: unknown }
  const bad = dimsProblem(dims)
  if (bad) return bad
  if (!Array.isArray(data) && !(data instanceof Float32Array)) return 'data must be an array'
  const n = count(dims as number[])
  if (data.length !== n) return `dims [${dims}] need ${n} values; got ${data.length}`
  for (let i = 0; i < data.length; i++) {
    const p = value(data[i])
    if (p) return `data[${i}]: ${p}`
  }
  return null
}

/** An input value: any JSON number (read as the nearest f32 for float inputs) or a spelled non-finite. */
export const inputValueProblem = (v: unknown): string | null =>
  (typeof v === 'number' && Number.isFinite(v)) || SPELLED.has(v as string)
    ? null
    : `${JSON.stringify(v)} is not a number`

/** An f32 output value: exactly an f32 (so the JSON is one-to-one with the bits) or a spelled non-finite. */
export const f32ValueProblem = (v: unknown): string | null =>
  (typeof v === 'number' && Number.isFinite(v) && Math.fround(v) === v) || SPELLED.has(v as string)
    ? null
    : `${JSON.stringify(v)} is not an f32 value`

/** An int64 value: JSON numbers are exact only up to 2^53. */
export const int64ValueProblem = (v: unknown): string | null =>
  Number.isSafeInteger(v) ? null : `${JSON.stringify(v)} is not an integer within ±(2^53 − 1)`

/** Why `inputs` is not { name: { dims, data } } in the rules above, or null. Model-independent. */
export function inputsProblem(inputs: unknown): string | null {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
    return 'inputs must be an object'
  for (const [name, t] of Object.entries(inputs)) {
    if (!isWellFormed(name)) return `input name ${JSON.stringify(name)} is not well-formed Unicode`
    const p = tensorProblem(t, inputValueProblem)
    if (p) return `input "${name}": ${p}`
  }
  return null
}
