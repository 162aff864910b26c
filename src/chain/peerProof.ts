// The proof a peer registers with (contracts/PeerKeys.sol, used by SwarmRegistry and SwarmCoordinator
// `registerPeer`): its libp2p secp256k1 key signs (address, chain id, contract, and for the coordinator
// the swarm), so only whoever holds the key can bind the peer id to an address. The key signs the way libp2p keys sign anything (ECDSA over sha256, DER), so a key that
// lives in a libp2p node needs no other signing path.
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { bytesToHex, encodePacked, hexToBytes, type Address, type Hex } from 'viem'
import { PeerKeyError } from '../errors/chain.ts'

/**
 * Where a registration is valid: exactly one address, chain and contract, and with `swarm` (a
 * SwarmCoordinator swarm id) that one swarm; without it, the SwarmRegistry at `registry`.
 */
export interface RegistrationTarget {
  eoa: Address
  chainId: number
  /** The SwarmRegistry, or the SwarmCoordinator when `swarm` is set. */
  registry: Address
  swarm?: Hex
}

/** `registerPeer`'s arguments: the peer id, the key it is made from (x ‖ y) and the signature (r, s). */
export interface PeerProof {
  peerId: string
  publicKey: Hex
  r: Hex
  s: Hex
}

/** A peer that can prove its id: the page's swarm node, or a test's key. The key never leaves it. */
export interface PeerSigner {
  peerId: string
  prove(target: RegistrationTarget): Promise<PeerProof>
}

/**
 * The bytes the key signs; equal to the contract's `registrationMessage(eoa)` (SwarmRegistry) or
 * `registrationMessage(swarm, eoa)` (SwarmCoordinator) on that chain and contract. The two messages
 * start with different tags, so a proof for one contract is never one for the other.
 */
export function registrationMessage(t: RegistrationTarget): Uint8Array {
  const chainId = BigInt(t.chainId)
  return hexToBytes(
    t.swarm === undefined
      ? encodePacked(
          ['string', 'uint256', 'address', 'address'],
          ['lockstep/register-peer/1', chainId, t.registry, t.eoa],
        )
      : encodePacked(
          ['string', 'uint256', 'address', 'bytes32', 'address'],
          ['lockstep/coordinator-register-peer/1', chainId, t.registry, t.swarm, t.eoa],
        ),
  )
}

const P = 2n ** 256n - 2n ** 32n - 977n // secp256k1's field prime

function powMod(base: bigint, exp: bigint): bigint {
  let result = 1n
  for (let b = base % P, e = exp; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P
  return result
}

/** x ‖ y (64 bytes) of a compressed secp256k1 key: y = √(x³ + 7), the root whose parity the prefix names. */
export function decompress(compressed: Uint8Array): Hex {
  if (compressed.length !== 33 || (compressed[0] !== 2 && compressed[0] !== 3))
    throw new PeerKeyError('Not a compressed secp256k1 public key.')
  const x = BigInt(bytesToHex(compressed.subarray(1)))
  let y = powMod(x ** 3n + 7n, (P + 1n) / 4n) // P ≡ 3 (mod 4)
  if ((y * y) % P !== (x ** 3n + 7n) % P) throw new PeerKeyError('The public key is not on secp256k1.')
  if ((y & 1n) !== BigInt(compressed[0] & 1)) y = P - y
  return `0x${x.toString(16).padStart(64, '0')}${y.toString(16).padStart(64, '0')}`
}

/** r and s of a DER ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }), each as 32 bytes. */
export function derToRs(der: Uint8Array): { r: Hex; s: Hex } {
  const int = (at: number): [Hex, number] => {
    if (der[at] !== 0x02) throw new PeerKeyError('Malformed DER signature.')
    const len = der[at + 1]
    const bytes = der.subarray(at + 2, at + 2 + len)
    const value = BigInt(bytesToHex(bytes))
    if (len > 33 || value >= 2n ** 256n) throw new PeerKeyError('Malformed DER signature.')
    return [`0x${value.toString(16).padStart(64, '0')}`, at + 2 + len]
  }
  if (der[0] !== 0x30) throw new PeerKeyError('Malformed DER signature.')
  const [r, next] = int(2)
  const [s] = int(next)
  return { r, s }
}

/** A PeerSigner over a libp2p private key, which must be secp256k1 (the kind the registry can check). */
export function peerSigner(key: PrivateKey): PeerSigner {
  if (key.type !== 'secp256k1')
    throw new PeerKeyError(`A ${key.type} peer key cannot be registered on-chain; use secp256k1.`)
  const peerId = peerIdFromPrivateKey(key).toString()
  const publicKey = decompress(key.publicKey.raw)
  return {
    peerId,
    prove: async (target) => ({ peerId, publicKey, ...derToRs(await key.sign(registrationMessage(target))) }),
  }
}
