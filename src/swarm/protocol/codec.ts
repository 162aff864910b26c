// Checkpoints on the wire: a compact binary format with a header, addressed by keccak256 of its bytes.
//   "LSCP" ‖ u8 version=1 ‖ 3 zero bytes ‖ u64le step ‖ u32le n ‖ n bytes of RFC 8785 JSON (TrainConfig)
//   ‖ u32le tensorCount ‖ per tensor: u16le nameLen ‖ name ‖ u8 rank ‖ u32le dims… ‖ f32le values…
// Decoding trusts nothing: every length is bounded before it is read, the tensors must be exactly the
// config's parameters and AdamW moments in canonical order, and trailing bytes are refused.
import canonicalize from 'canonicalize'
import type { Hex } from 'viem'
import { CheckpointFormatError } from '../../errors/swarm.ts'

export { CheckpointFormatError }
import { paramSpecs } from '../../train/gpt.ts'
import { checkTrainConfig, type Checkpoint, type TrainConfig } from '../../train/trainer.ts'
import { keccak256Hex } from '../../util/keccak.ts'

const MAGIC = [0x4c, 0x53, 0x43, 0x50] // "LSCP"
const VERSION = 1
const MAX_CONFIG_BYTES = 4096

/** The names and shapes a checkpoint for `config` holds, in the canonical order of state.ts. */
export function checkpointLayout(config: TrainConfig): { name: string; shape: number[] }[] {
  const specs = paramSpecs(config.model)
  return ['', 'm.', 'v.'].flatMap((p) => specs.map((s) => ({ name: p + s.name, shape: s.shape })))
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const text = new TextEncoder()
  const config = text.encode(canonicalize(c.config)!)
  const names = c.tensors.map((t) => text.encode(t.name))
  let size = 8 + 8 + 4 + config.length + 4
  c.tensors.forEach((t, i) => (size += 2 + names[i].length + 1 + 4 * t.shape.length + 4 * t.data.length))
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = VERSION
  view.setBigUint64(8, BigInt(c.step), true)
  view.setUint32(16, config.length, true)
  out.set(config, 20)
  let at = 20 + config.length
  view.setUint32(at, c.tensors.length, true)
  at += 4
  c.tensors.forEach((t, i) => {
    view.setUint16(at, names[i].length, true)
    out.set(names[i], at + 2)
    at += 2 + names[i].length
    out[at++] = t.shape.length
    for (const d of t.shape) {
      view.setUint32(at, d, true)
      at += 4
    }
    for (const v of t.data) {
      view.setFloat32(at, v, true)
      at += 4
    }
  })
  return out
}

export function checkpointHash(bytes: Uint8Array): Hex {
  return keccak256Hex([bytes])
}

export function decodeCheckpoint(bytes: Uint8Array, maxBytes: number): Checkpoint {
  const bad = (why: string): never => {
    throw new CheckpointFormatError(`Not a valid checkpoint: ${why}.`)
  }
  if (bytes.length > maxBytes) bad(`${bytes.length} bytes is over the limit of ${maxBytes}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const need = (n: number) => {
    if (at + n > bytes.length) bad(`truncated at byte ${at} (needs ${n} more)`)
  }
  need(20)
  if (MAGIC.some((m, i) => bytes[i] !== m)) bad('wrong magic bytes')
  if (bytes[4] !== VERSION) bad(`unsupported version ${bytes[4]}`)
  const step = view.getBigUint64(8, true)
  if (step > BigInt(Number.MAX_SAFE_INTEGER)) bad('step out of range')
  const configLength = view.getUint32(16, true)
  if (configLength > MAX_CONFIG_BYTES) bad(`config of ${configLength} bytes`)
  at = 20
  need(configLength + 4)
  let config: TrainConfig
  try {
    config = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + configLength)),
    )
    checkTrainConfig(config)
  } catch (e) {
    return bad(`its config is invalid (${e instanceof Error ? e.message.split('\n')[0] : e})`)
  }
  at += configLength
  const layout = checkpointLayout(config)
  if (view.getUint32(at, true) !== layout.length) bad(`expected ${layout.length} tensors`)
  at += 4
  const tensors = layout.map(({ name, shape }) => {
    need(3)
    const nameLength = view.getUint16(at, true)
    need(2 + nameLength + 1)
    const got = new TextDecoder().decode(bytes.subarray(at + 2, at + 2 + nameLength))
    if (got !== name) bad(`expected tensor ${name}, found ${JSON.stringify(got.slice(0, 40))}`)
    at += 2 + nameLength
    const rank = bytes[at++]
    need(4 * rank)
    const dims = Array.from({ length: rank }, (_, i) => view.getUint32(at + 4 * i, true))
    if (dims.join() !== shape.join()) bad(`${name} has shape [${dims}], expected [${shape}]`)
    at += 4 * rank
    const count = shape.reduce((a, b) => a * b, 1)
    need(4 * count)
    const data = new Float32Array(count)
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true)
    at += 4 * count
    return { name, shape, data }
  })
  if (at !== bytes.length) bad(`${bytes.length - at} trailing bytes`)
  return { config, step: Number(step), tensors }
}

/** The exact encoded size of a checkpoint for `config`: what a peer sets as its fetch limit. */
export function checkpointBytes(config: TrainConfig): number {
  const configBytes = new TextEncoder().encode(canonicalize(config)!).length
  return checkpointLayout(config).reduce(
    (n, t) =>
      n +
      2 +
      new TextEncoder().encode(t.name).length +
      1 +
      4 * t.shape.length +
      4 * t.shape.reduce((a, b) => a * b, 1),
    24 + configBytes,
  )
}
