// The operations the training engine needs, over an opaque tensor type T. Two implementations
// give the same bits: src/train/cpu.ts (the kernels' TypeScript references) and src/train/gpu.ts
// (the WGSL kernels). The engine (autograd.ts, gpt.ts) is written once against this interface.

export interface AdamHyper {
  /** Learning rate for this step (already scheduled), an f32 value. */
  lr: number
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  /** 1-based step number t, for the bias corrections. */
  step: number
  /** Gradient multiplier (global-norm clipping); 1 when not clipping. */
  gradScale: number
}

export interface NormSaved<T> {
  mean: T
  std: T
}

export interface Backend<T> {
  readonly kind: 'cpu' | 'gpu'
  /** The largest tensor this backend can hold, in bytes, when it has such a limit. */
  readonly maxTensorBytes?: number
  upload(data: Float32Array, shape: readonly number[]): T
  download(t: T): Promise<Float32Array>
  shape(t: T): readonly number[]
  /** The same elements under another shape of equal size (no copy). */
  view(t: T, shape: readonly number[]): T
  release(...ts: T[]): void

  matmul(a: T, b: T, opts?: { transA?: boolean; transB?: boolean }): Promise<T>
  /** Elementwise, or b = [n] added to every row of a (a bias). */
  add(a: T, b: T): Promise<T>
  scale(x: T, s: number): Promise<T>
  gelu(x: T): Promise<T>
  geluGrad(x: T, dy: T): Promise<T>
  /** [rows, n] → [n]: exact column sums (bias gradients). */
  columnSums(x: T): Promise<T>
  embedding(table: T, ids: Int32Array): Promise<T>
  embeddingGrad(dy: T, ids: Int32Array, vocab: number): Promise<T>
  permute(x: T, order: readonly number[]): Promise<T>
  /** Splits along axis 0 into `parts` equal contiguous tensors. */
  split(x: T, parts: number): Promise<T[]>
  /** Concatenates along axis 0 (the inverse of split). */
  concat(ts: readonly T[]): Promise<T>
  /** Softmax over the last axis of [rows, T] blocks with a causal mask. */
  softmaxCausal(x: T): Promise<T>
  softmaxCausalGrad(y: T, dy: T): Promise<T>
  layernorm(x: T, gamma: T, beta: T): Promise<{ y: T; saved: NormSaved<T> }>
  layernormGrad(x: T, gamma: T, saved: NormSaved<T>, dy: T): Promise<{ dx: T; dgamma: T; dbeta: T }>
  /** Mean cross-entropy of logits [rows, vocab] against one target per row, as a [1] tensor. */
  crossEntropy(logits: T, targets: Int32Array): Promise<T>
  /** d(mean loss)/d(logits). */
  crossEntropyGrad(logits: T, targets: Int32Array): Promise<T>
  /** sqrt(Σ x²) over all the tensors: the global gradient norm (exact sum, rounded once). */
  gradNorm(ts: readonly T[]): Promise<number>
  /** One AdamW step, in place on p, m and v. */
  adamw(p: T, g: T, m: T, v: T, h: AdamHyper): Promise<void>
}
