// The kernel-library version a receipt commits to (`kernelsHash`, scheme kernels/2): keccak256 over
// exactly the code that decides output bits. That is the deterministic shaders (shaders/*.wgsl and the
// shaders/lib/ they include) and the TypeScript that decides how they combine: the kernels' launchers and
// CPU references (src/kernels/), the shader assembly (src/gpu/shader.ts) and the op modules (src/ops/:
// which kernels an op, its gradient or an ONNX node runs, in what order). Not the test probe
// (softfloat_probe.wgsl and its runner softfloatProbe.ts), not the non-deterministic f32 baseline matmul, not tests: changing those
// changes no receipt's bits. Frozen ops of older releases (src/ops/frozen/, shaders/frozen/) are covered:
// they decide those releases' bits. Two producers with the same kernelsHash ran the same kernel code.
import { concat, keccak256, toBytes, type Hex } from 'viem'

const shaders = import.meta.glob<string>(
  [
    '../../shaders/**/*.wgsl',
    '!../../shaders/softfloat_probe.wgsl',
    '!../../shaders/matmul_f32_baseline.wgsl',
  ],
  { query: '?raw', import: 'default', eager: true },
)
const launchers = import.meta.glob<string>(
  [
    '../kernels/**/*.ts',
    '../ops/**/*.ts',
    '../gpu/shader.ts',
    '!../**/*.test.ts',
    '!../**/testing.ts',
    '!../kernels/softfloatProbe.ts',
    '!../kernels/matmul_f32_baseline.ts',
  ],
  { query: '?raw', import: 'default', eager: true },
)

/** Each covered file by its path from the repository root, sorted by path. */
export function kernelSources(): [path: string, source: string][] {
  const byPath = { ...shaders, ...launchers }
  return Object.keys(byPath)
    .map((p): [string, string] => [
      p.replace(/^(\.\.\/)+/, '').replace(/^(kernels|ops|gpu)\//, 'src/$1/'),
      byPath[p],
    ])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * keccak256 of `utf8(path) ‖ 0x00 ‖ utf8(source) ‖ 0x00` for each file, sorted by path; CRLF line ends
 * read as LF, so a Windows checkout hashes like any other.
 */
export function hashKernelSources(files: readonly [string, string][]): Hex {
  const zero = new Uint8Array([0])
  return keccak256(
    concat(
      files.flatMap(([path, source]) => [toBytes(path), zero, toBytes(source.replace(/\r\n/g, '\n')), zero]),
    ),
  )
}

let memo: Hex | undefined

/** Computed once: the sources are fixed at build time, and every validate asks (keccak of ~300 KB). */
export function kernelsHash(): Hex {
  return (memo ??= hashKernelSources(kernelSources()))
}

/** A released kernel library: a hash that computed one release's bits (src/receipts/releases.ts). */
export interface KernelLibrary {
  hash: Hex
  scheme: 'kernels/1' | 'kernels/2'
  /** What the hash covered, and why the bits are the release's. */
  note: string
}

/**
 * Released libraries of release bits/1 (src/receipts/releases.ts): the bits are the same as today's,
 * only the hash was taken otherwise. kernels/1 hashed every .wgsl under shaders/ (the probe and the
 * baseline too, none of the TypeScript); its last value is the library this one restructured (issue 16) without changing a bit, so
 * receipts made with it still validate. Likewise the last kernels/2 value before issue 17's engine work,
 * and the one issue 17 released. Every released library's last hash belongs here: leaving one out makes
 * every receipt it signed unverifiable (the failure releases exist to prevent).
 * When a change alters output bits, bits/1 stays runnable through its frozen ops and these stay its.
 */
export const KERNEL_LIBRARIES: readonly KernelLibrary[] = [
  {
    hash: '0xa95afa4e92667bc8d2cbe0c00eb17dc315493ce3353460e273644ea5052415b3',
    scheme: 'kernels/1',
    note: 'every .wgsl under shaders/ before issue 16; the norm library and op modules changed no bit',
  },
  {
    hash: '0x1f0abe2c5c88131b2d28c3c5430b40a6d660ddbd052e4238d93c029e5757909e',
    scheme: 'kernels/2',
    note: 'before issue 17; fused dispatches, the GPU-resident step and the WebAssembly CPU reference changed no bit',
  },
  {
    hash: '0x210e98c2b8de9dee8ed5e0440885bf15ea47b2d867edf6b0bb9e74ddbf070cee',
    scheme: 'kernels/2',
    note: 'issue 17 as released (d80e8cd): the library every receipt made before issue 18 names',
  },
]
