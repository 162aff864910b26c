// Argument helpers shared by the CLI's commands.
import { BaseError } from '../errors/base.ts'
import type { Check } from '../receipts/validate.ts'

export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

/** Arguments that are neither a --flag nor a flag's value. Boolean flags are listed so their next word counts. */
export function positional(args: string[], booleans: string[] = []): string[] {
  return args.filter((a, i) => {
    if (a.startsWith('--')) return false
    const prev = args[i - 1]
    return !prev?.startsWith('--') || booleans.includes(prev.slice(2))
  })
}

export function report(checks: Check[]): boolean {
  for (const c of checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
  const failed = checks.filter((c) => !c.ok)
  if (failed.length) console.log(`FAILED: ${failed.map((c) => c.name).join(', ')}`)
  return failed.length === 0
}

/** Every value of a flag that may be given more than once (`--announce a --announce b`). */
export function flags(args: string[], name: string): string[] {
  return args.flatMap((a, i) => (a === `--${name}` && args[i + 1] !== undefined ? [args[i + 1]] : []))
}

/** An error in one line, for a ✗ row: a named error's name and short message, else its message. */
export const oneLine = (e: unknown): string =>
  e instanceof BaseError ? `${e.name}: ${e.shortMessage}` : e instanceof Error ? e.message : String(e)
