// keccak256 over several byte strings without joining them, in WebAssembly (keccak.wat): the hash of
// training state and receipts. Gives viem's keccak256 bits; falls back to it where WebAssembly is
// missing.
import { bytesToHex, concat, keccak256 as keccakJs, type Hex } from 'viem'
import { wasmBase64 } from './keccak.wasm.ts'
import { instantiateBase64 } from './wasm.ts'

const RATE = 136
const INPUT = 1024 // where keccak.wat expects input blocks
const CHUNK = RATE * 480 // absorbed per call: 63.75 KiB

interface Sponge {
  memory: WebAssembly.Memory
  reset: () => void
  absorb: (p: number, blocks: number) => void
}

let sponge: Sponge | null | undefined

function load(): Sponge | null {
  if (sponge !== undefined) return sponge
  const exports = instantiateBase64(wasmBase64)
  if (!exports) return (sponge = null) // no WebAssembly here: viem's JavaScript keccak
  const memory = exports.memory as WebAssembly.Memory
  memory.grow(Math.ceil((INPUT + CHUNK + RATE) / 65536)) // room for a chunk and its padding
  sponge = { memory, reset: exports.reset as Sponge['reset'], absorb: exports.absorb as Sponge['absorb'] }
  return sponge
}

/** keccak256 of the concatenation of `parts`, as 32 bytes. */
export function keccak256Parts(parts: readonly Uint8Array[]): Uint8Array {
  const k = load()
  if (!k) return keccakJs(concat([...parts]), 'bytes')
  k.reset()
  const mem = new Uint8Array(k.memory.buffer)
  let fill = 0 // bytes waiting at INPUT
  for (const part of parts) {
    let at = 0
    while (at < part.length) {
      const take = Math.min(part.length - at, CHUNK - fill)
      mem.set(part.subarray(at, at + take), INPUT + fill)
      fill += take
      at += take
      if (fill === CHUNK) {
        k.absorb(INPUT, CHUNK / RATE)
        fill = 0
      }
    }
  }
  // Keccak's padding (0x01 … 0x80, not SHA-3's 0x06) completes the last block.
  const blocks = Math.floor(fill / RATE) + 1
  mem.fill(0, INPUT + fill, INPUT + blocks * RATE)
  mem[INPUT + fill] ^= 0x01
  mem[INPUT + blocks * RATE - 1] ^= 0x80
  k.absorb(INPUT, blocks)
  return mem.slice(0, 32)
}

/** keccak256 of the concatenation of `parts`, as hex: viem's keccak256(concat(parts)). */
export function keccak256Hex(parts: readonly Uint8Array[]): Hex {
  return bytesToHex(keccak256Parts(parts))
}

export function keccakWasmAvailable(): boolean {
  return load() !== null
}
