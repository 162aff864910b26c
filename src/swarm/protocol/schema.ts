// A few schema combinators: parse untrusted JSON into typed values or throw a SchemaError naming the
// path. Every gossip message goes through one of these before any field of it is used.
import { isHex, type Hex } from 'viem'
import { SchemaError } from '../../errors/swarm.ts'

export { SchemaError }

export type Schema<T> = (v: unknown, path: string) => T

const fail = (path: string, why: string): never => {
  throw new SchemaError(`${path}: ${why}`)
}

export const int =
  (min: number, max: number): Schema<number> =>
  (v, path) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
      ? (v as number)
      : fail(path, `expected an integer in [${min}, ${max}]`)

export const finite: Schema<number> = (v, path) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'expected a finite number')

export const bool: Schema<boolean> = (v, path) =>
  typeof v === 'boolean' ? v : fail(path, 'expected a boolean')

export const str =
  (maxLength: number): Schema<string> =>
  (v, path) =>
    typeof v === 'string' && v.length <= maxLength ? v : fail(path, `expected a string of ≤ ${maxLength}`)

export const hash: Schema<Hex> = (v, path) =>
  typeof v === 'string' && v.length === 66 && isHex(v)
    ? (v.toLowerCase() as Hex)
    : fail(path, 'expected a 32-byte hex hash')

export const literal =
  <L extends string | number>(l: L): Schema<L> =>
  (v, path) =>
    v === l ? l : fail(path, `expected ${JSON.stringify(l)}`)

export const nullable =
  <T>(s: Schema<T>): Schema<T | null> =>
  (v, path) =>
    v === null ? null : s(v, path)

export const array =
  <T>(item: Schema<T>, maxLength: number): Schema<T[]> =>
  (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'expected an array')
    if (v.length > maxLength) return fail(path, `more than ${maxLength} items`)
    return v.map((x, i) => item(x, `${path}[${i}]`))
  }

export const oneOf =
  <T extends string>(values: readonly T[]): Schema<T> =>
  (v, path) =>
    values.includes(v as T) ? (v as T) : fail(path, `expected one of ${values.join(', ')}`)

/** An object with exactly these fields (unknown fields are refused, so nothing unvalidated rides along). */
export function object<S extends Record<string, Schema<unknown>>>(
  fields: S,
): Schema<{ [K in keyof S]: ReturnType<S[K]> }> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'expected an object')
    for (const k of Object.keys(v)) if (!(k in fields)) fail(`${path}.${k}`, 'unexpected field')
    const out: Record<string, unknown> = {}
    for (const [k, s] of Object.entries(fields)) out[k] = s((v as Record<string, unknown>)[k], `${path}.${k}`)
    return out as { [K in keyof S]: ReturnType<S[K]> }
  }
}

/** A value checked by a predicate that names its problem (null when fine), e.g. structureProblem. */
export const checked =
  <T>(problem: (v: unknown) => string | null): Schema<T> =>
  (v, path) => {
    const p = problem(v)
    return p === null ? (v as T) : fail(path, p)
  }
