// Node's way to a GPU: Dawn, through the optional `webgpu` package. Every Node entry (the CLI's --gpu, the
// benches, the adapter check) loads it here, so each gets the same quiet polling.
//
// dawn.node settles its promises (mapAsync, onSubmittedWorkDone, requestDevice) by calling the global
// `setImmediate` with a tick of its own, over and over, while any of them is pending: one core spins for
// as long as the GPU works. On a CPU adapter (lavapipe, SwiftShader) that core is one the driver's own
// threads needed. A demo training step on lavapipe, two cores, took 369 ms with the spin and 211 ms
// without it (docs/benchmarks.md). So Dawn's ticks, and only those, go through a timer turn instead: Node
// runs them at most every millisecond, a pending promise settles at most that much later, and the core
// sleeps in between.

const QUIET = Symbol.for('lockstep.dawnQuietPolling')

/**
 * True for the function dawn.node passes to `setImmediate`: native, nameless, taking no arguments, and
 * passed with none. Promise resolvers (length 1), bound functions (named "bound …") and every function
 * written in JavaScript (its source is not "[native code]") are not.
 */
export function isDawnTick(fn: unknown, args: readonly unknown[]): boolean {
  return (
    typeof fn === 'function' &&
    fn.name === '' &&
    fn.length === 0 &&
    args.length === 0 &&
    Function.prototype.toString.call(fn).endsWith('{ [native code] }')
  )
}

/** Routes Dawn's ticks through `setTimeout(…, 0)`; everything else keeps `setImmediate`. Idempotent. */
export function quietDawnPolling(g: { setImmediate: typeof setImmediate } = globalThis): void {
  const current = g.setImmediate as typeof setImmediate & { [QUIET]?: true }
  if (current[QUIET]) return
  const quiet = ((fn: (...a: unknown[]) => void, ...args: unknown[]) =>
    isDawnTick(fn, args) ? setTimeout(fn, 0) : current(fn, ...args)) as typeof setImmediate
  Object.assign(quiet, current, { [QUIET]: true })
  g.setImmediate = quiet
}

/**
 * Loads Dawn, installs its WebGPU globals (GPUBufferUsage and the rest) and quiet polling, and returns the
 * entry point (`navigator.gpu`'s counterpart). Throws what the import threw where the package is missing.
 * `load` is for callers whose own loader must do the import (scripts/adapters.mjs, whose Vite runner is
 * closed by then).
 */
export async function loadDawn(
  load: () => Promise<typeof import('webgpu')> = () => import('webgpu'),
): Promise<GPU> {
  const { create, globals } = await load()
  Object.assign(globalThis, globals)
  quietDawnPolling()
  return create([])
}
