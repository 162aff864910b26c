// The operations the training engine needs, over an opaque tensor type T: the backend core (tensors in
// and out, views) and every op module's kernels (src/ops/, declared there and nowhere else). Three
// implementations: src/train/cpu.ts (the kernels' TypeScript references) and src/train/gpu.ts (the WGSL
// kernels) give the same bits; src/train/f64.ts (plain float64) checks them. The engine (autograd.ts,
// gpt.ts) is written once against this type.
export type { Backend, BackendCore } from '../ops/op.ts'
export type { AdamHyper } from '../ops/adamw.ts'
export type { NormSaved } from '../ops/layernorm.ts'
