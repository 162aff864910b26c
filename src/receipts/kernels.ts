// The kernel-library version a receipt commits to: keccak256 over every WGSL source, sorted by path.
// Two producers with the same kernelsHash ran the same shader text.
import { concat, keccak256, toBytes, type Hex } from 'viem'

const sources = import.meta.glob('../../shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>

let memo: Hex | undefined

/** Computed once: the sources are fixed at build time, and every receipt check asks for it. */
export function kernelsHash(): Hex {
  return (memo ??= hashSources())
}

function hashSources(): Hex {
  const parts = Object.keys(sources)
    .sort()
    .flatMap((path) => [
      toBytes(path.replace('../../', '')),
      new Uint8Array([0]),
      toBytes(sources[path]),
      new Uint8Array([0]),
    ])
  return keccak256(concat(parts))
}
