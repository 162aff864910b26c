// Canonical commitments to training state: what "the same state" means, bit for bit.
// leaf(tensor) = keccak256(utf8(name) ‖ 0x00 ‖ u32le(rank) ‖ u32le(dims…) ‖ f32le(values…))
// state      = keccak256(utf8("lockstep/state/v1") ‖ u64be(step) ‖ leaf_0 ‖ leaf_1 ‖ …), leaves in
//              the canonical order (parameters, then AdamW m, then v: paramSpecs order each).
// The GPU computes the same bits from the same prefixes (src/train/commit.ts, shaders/keccak.wgsl).
import { bytesToHex, concat, toBytes, type Hex } from 'viem'
import { keccak256Parts } from '../util/keccak.ts'
import { UnsupportedHostError } from '../errors/train.ts'

export interface NamedTensor {
  name: string
  shape: readonly number[]
  data: Float32Array
}

/** What a leaf hashes before the values: utf8(name) ‖ 0x00 ‖ u32le(rank) ‖ u32le(dims…). */
export function leafPrefix(name: string, shape: readonly number[]): Uint8Array {
  const header = new Uint8Array(4 * (1 + shape.length))
  const view = new DataView(header.buffer)
  view.setUint32(0, shape.length, true)
  shape.forEach((d, i) => view.setUint32(4 * (i + 1), d, true))
  return concat([toBytes(name), new Uint8Array([0]), header])
}

/** What the state hash hashes before the leaves: utf8("lockstep/state/v1") ‖ u64be(step). */
export function statePrefix(step: number): Uint8Array {
  const stepBytes = new Uint8Array(8)
  new DataView(stepBytes.buffer).setBigUint64(0, BigInt(step), false)
  return concat([toBytes('lockstep/state/v1'), stepBytes])
}

/** Float32Array bytes are little-endian on every platform a browser runs on; say so, don't assume. */
export function requireLittleEndian(): void {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1)
    throw new UnsupportedHostError('This computer is big-endian; state hashes need a little-endian host.')
}

export function tensorLeaf(t: NamedTensor): Hex {
  const values = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
  requireLittleEndian()
  return bytesToHex(keccak256Parts([leafPrefix(t.name, t.shape), values]))
}

export function stateHash(step: number, tensors: readonly NamedTensor[]): Hex {
  const leaves = tensors.map((t) => toBytes(tensorLeaf(t)))
  return bytesToHex(keccak256Parts([statePrefix(step), ...leaves]))
}
