// A small reverse-mode tape over a Backend. Each op runs forward at once and records how to send
// gradients back; backward() replays the records in reverse. Gradients that meet are added in
// record order, so the sum (and its bits) never depends on scheduling.
import type { Backend, NormSaved } from './backend.ts'

export class Tape<T> {
  readonly be: Backend<T>
  #records: (() => Promise<void>)[] = []
  #grads = new Map<T, T>()
  /** Tensors this tape allocated (views excluded), released by dispose(). */
  #owned = new Set<T>()

  constructor(be: Backend<T>) {
    this.be = be
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

  #record(fn: () => Promise<void>): void {
    this.#records.push(fn)
  }

  // ---- ops ----------------------------------------------------------------------------------

  /** y = a · b (b transposed when transB: [.., N, K]); a and b may be batched alike. */
  async matmul(a: T, b: T, opts: { transB?: boolean } = {}): Promise<T> {
    const y = this.own(await this.be.matmul(a, b, opts))
    this.#record(async () => {
      const dy = this.grad(y)
      if (!dy) return
      if (opts.transB) {
        await this.accumulate(a, this.own(await this.be.matmul(dy, b)))
        await this.accumulate(b, this.own(await this.be.matmul(dy, a, { transA: true })))
      } else {
        await this.accumulate(a, this.own(await this.be.matmul(dy, b, { transB: true })))
        await this.accumulate(b, this.own(await this.be.matmul(a, dy, { transA: true })))
      }
    })
    return y
  }

  /** a + b, elementwise or with b a bias row broadcast over a's rows. */
  async add(a: T, b: T): Promise<T> {
    const y = this.own(await this.be.add(a, b))
    const bias = this.be.shape(b).length === 1 && this.be.shape(a).length > 1
    this.#record(async () => {
      const dy = this.grad(y)
      if (!dy) return
      await this.accumulate(a, dy)
      await this.accumulate(b, bias ? this.own(await this.be.columnSums(dy)) : dy)
    })
    return y
  }

  async scale(x: T, s: number): Promise<T> {
    const y = this.own(await this.be.scale(x, s))
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.own(await this.be.scale(dy, s)))
    })
    return y
  }

  async gelu(x: T): Promise<T> {
    const y = this.own(await this.be.gelu(x))
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.own(await this.be.geluGrad(x, dy)))
    })
    return y
  }

  async embedding(table: T, ids: Int32Array): Promise<T> {
    const y = this.own(await this.be.embedding(table, ids))
    const vocab = this.be.shape(table)[0]
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(table, this.own(await this.be.embeddingGrad(dy, ids, vocab)))
    })
    return y
  }

  /** A view under another shape; its gradient flows back under the original shape. */
  view(x: T, shape: readonly number[]): T {
    const y = this.be.view(x, shape)
    const original = this.be.shape(x)
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.be.view(dy, original))
    })
    return y
  }

  async permute(x: T, order: readonly number[]): Promise<T> {
    const y = this.own(await this.be.permute(x, order))
    const inverse = order.map((_, i) => order.indexOf(i))
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.own(await this.be.permute(dy, inverse)))
    })
    return y
  }

  async split(x: T, parts: number): Promise<T[]> {
    const ys = (await this.be.split(x, parts)).map((y) => this.own(y))
    this.#record(async () => {
      if (ys.every((y) => !this.grad(y))) return
      const zeros = (y: T) =>
        this.own(this.be.upload(new Float32Array(size(this.be.shape(y))), this.be.shape(y)))
      await this.accumulate(x, this.own(await this.be.concat(ys.map((y) => this.grad(y) ?? zeros(y)))))
    })
    return ys
  }

  async softmaxCausal(x: T): Promise<T> {
    const y = this.own(await this.be.softmaxCausal(x))
    this.#record(async () => {
      const dy = this.grad(y)
      if (dy) await this.accumulate(x, this.own(await this.be.softmaxCausalGrad(y, dy)))
    })
    return y
  }

  async layernorm(x: T, gamma: T, beta: T): Promise<T> {
    const { y, saved } = await this.be.layernorm(x, gamma, beta)
    this.own(y)
    ownSaved(this, saved)
    this.#record(async () => {
      const dy = this.grad(y)
      if (!dy) return
      const { dx, dgamma, dbeta } = await this.be.layernormGrad(x, gamma, saved, dy)
      await this.accumulate(x, this.own(dx))
      await this.accumulate(gamma, this.own(dgamma))
      await this.accumulate(beta, this.own(dbeta))
    })
    return y
  }

  /** The mean cross-entropy, a [1] tensor: the root of backward(). */
  async crossEntropy(logits: T, targets: Int32Array): Promise<T> {
    const loss = this.own(await this.be.crossEntropy(logits, targets))
    this.#record(async () => {
      // The backend's gradient is already d(mean loss)/d(logits): the seed is taken as 1.
      if (this.grad(loss))
        await this.accumulate(logits, this.own(await this.be.crossEntropyGrad(logits, targets)))
    })
    return loss
  }
}

function ownSaved<T>(tape: Tape<T>, saved: NormSaved<T>): void {
  tape.own(saved.mean)
  tape.own(saved.std)
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
