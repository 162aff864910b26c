// A small reverse-mode tape over a Backend. Each op runs forward at once and records how to send
// gradients back; backward() replays the records in reverse. Gradients that meet are added in
// record order, so the sum (and its bits) never depends on scheduling. The operations (tape.matmul,
// tape.layernorm, …) are the op modules' tape rules (src/ops/), bound to the tape here.
import type { Backend, TapeCore, TapeOps } from '../ops/op.ts'
import { tapeOps } from '../ops/registry.ts'

// The class and the interface merge: the rules are assigned in the constructor, typed by the modules.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Tape<T> extends TapeOps<T> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Tape<T> implements TapeCore<T> {
  readonly be: Backend<T>
  #records: (() => Promise<void>)[] = []
  #grads = new Map<T, T>()
  /** Tensors this tape allocated (views excluded), released by dispose(). */
  #owned = new Set<T>()

  constructor(be: Backend<T>) {
    this.be = be
    Object.assign(this, tapeOps(this))
  }

  grad(t: T): T | undefined {
    return this.#grads.get(t)
  }

  /** Takes ownership of a tensor the tape made, so dispose() releases it. */
  own<U extends T>(t: U): U {
    this.#owned.add(t)
    return t
  }

  async accumulate(t: T, g: T): Promise<void> {
    const old = this.#grads.get(t)
    this.#grads.set(t, old === undefined ? g : this.own(await this.be.add(old, g)))
  }

  /** Records how to send gradients back; backward() runs the records in reverse. */
  record(backward: () => Promise<void>): void {
    this.#records.push(backward)
  }

  /** Runs the recorded backward steps from `root` with d(root)/d(root) = seed. */
  async backward(root: T, seed: T): Promise<void> {
    this.#grads.set(root, seed)
    for (let i = this.#records.length - 1; i >= 0; i--) await this.#records[i]()
    this.#records = []
  }

  /** Releases everything the tape allocated except the tensors in `keep`. */
  dispose(keep: Iterable<T> = []): void {
    const kept = new Set(keep)
    for (const t of this.#owned) if (!kept.has(t)) this.be.release(t)
    this.#owned.clear()
    this.#grads.clear()
  }

  /** A view under another shape; its gradient flows back under the original shape. */
  view(x: T, shape: readonly number[]): T {
    const y = this.be.view(x, shape)
    const original = this.be.shape(x)
    this.record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.be.view(dy, original))
    })
    return y
  }
}
