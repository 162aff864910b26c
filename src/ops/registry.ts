// Every op module under src/ops/, found by file (import.meta.glob), so adding an op is adding its module.
// From them: the kernels of each backend, the tape's operations, the trace entries and the ONNX
// operators, each name claimed by exactly one module.
import { OpModuleError } from '../errors/ops.ts'
import type { OnnxOp } from './onnx.ts'
import type { KernelName, Kernels, OpModule, Tape, TapeOps } from './op.ts'

const found = import.meta.glob<OpModule>(
  ['./*.ts', '!./*.test.ts', '!./op.ts', '!./onnx.ts', '!./registry.ts', '!./stepper.ts', '!./testing.ts'],
  { eager: true, import: 'default' },
)

/** The modules in file order. */
export const OP_MODULES: readonly OpModule[] = Object.keys(found)
  .sort()
  .map((path) => found[path])

// The registry works on kernels by name; each module's own declaration is what the types check.
type Fn = (...args: never[]) => unknown
type AnyTrace = {
  record(...args: unknown[]): { inputs: unknown[]; args: unknown[] }
  replay(be: unknown, inputs: unknown[], args: unknown[]): Promise<unknown>
  outputs?(result: unknown, inputs: unknown[]): unknown[]
}
/** A kernel as the registry handles it: any backend's implementation, by name. */
export interface AnyKernel {
  name: KernelName
  module: string
  cpu: Fn
  gpu: Fn
  f64: Fn
  trace: AnyTrace
}

function collect<V>(
  what: string,
  entries: (m: OpModule) => [string, V][],
): Map<string, V & { module: string }> {
  const out = new Map<string, V & { module: string }>()
  for (const m of OP_MODULES)
    for (const [name, v] of entries(m)) {
      const other = out.get(name)
      if (other)
        throw new OpModuleError(`Op modules ${other.module} and ${m.name} both declare the ${what} ${name}.`)
      out.set(name, { ...v, module: m.name })
    }
  return out
}

/** Every kernel, by name: the Backend's operations. */
export const KERNELS: ReadonlyMap<string, AnyKernel> = collect('kernel', (m) =>
  Object.entries(m.kernels ?? {}).map(([name, k]) => [
    name,
    { ...(k as unknown as AnyKernel), name: name as KernelName },
  ]),
)

/** Every tape operation, by name. */
export const TAPE_RULES: ReadonlyMap<string, { rule: Fn }> = collect('tape operation', (m) =>
  Object.entries(m.tape ?? {}).map(([name, rule]) => [name, { rule: rule as Fn }]),
)

/** Every ONNX operator the runtime runs, by op_type. */
export const ONNX_OPS: ReadonlyMap<string, OnnxOp> = collect('ONNX operator', (m) =>
  Object.entries(m.onnx ?? {}),
)

/** The ONNX operators one kernel-library release runs, by op_type (src/receipts/releases.ts). */
export type OpSet = ReadonlyMap<string, OnnxOp>

/**
 * The registry's operators (or `base`'s) with `frozen` ones in place of theirs (an older release's,
 * kept under src/ops/frozen/), and only the `only` ones when given. An op no release froze is shared.
 */
export function onnxOpSet(
  frozen: Readonly<Record<string, OnnxOp>> = {},
  only?: readonly string[],
  base: OpSet = ONNX_OPS,
): OpSet {
  const ops = new Map<string, OnnxOp>([...base, ...Object.entries(frozen)])
  return only ? new Map([...ops].filter(([name]) => only.includes(name))) : ops
}

/** One backend's kernels: `impl` picks (and binds) each kernel's implementation for it. */
export function backendKernels<T>(impl: (k: AnyKernel) => Fn): Kernels<T> {
  return Object.fromEntries([...KERNELS.values()].map((k) => [k.name, impl(k)])) as unknown as Kernels<T>
}

/** The tape's operations, bound to `tape`. */
export function tapeOps<T>(tape: Tape<T>): TapeOps<T> {
  const bound = [...TAPE_RULES].map(([name, { rule }]) => [
    name,
    (...args: unknown[]) => (rule as (...a: unknown[]) => unknown)(tape, ...args),
  ])
  return Object.fromEntries(bound) as unknown as TapeOps<T>
}
