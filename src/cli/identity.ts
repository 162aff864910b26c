// A Node peer's persistent libp2p identity (`--identity FILE`, as `lockstep relay` keeps its own): the
// key `submit register` proves to the coordinator and `lockstep swarm --identity` runs as, so the peer id
// registered on chain is the one that gossips. Hex of libp2p's protobuf encoding, mode 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityError } from '../errors/cli.ts'

export const DEFAULT_IDENTITY = join(homedir(), '.lockstep', 'peer-identity')

/** The key in `file`, made (secp256k1, the kind the coordinator checks) when there is none yet. */
export async function peerIdentity(file: string): Promise<{ key: PrivateKey; created: boolean }> {
  if (!existsSync(file)) {
    const key = await generateKeyPair('secp256k1')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, Buffer.from(privateKeyToProtobuf(key)).toString('hex') + '\n', { mode: 0o600 })
    chmodSync(file, 0o600)
    return { key, created: true }
  }
  const text = readFileSync(file, 'utf8').trim()
  if (!/^[0-9a-f]{2,512}$/i.test(text))
    throw new IdentityError(`${file} is not a peer identity (hex of a libp2p key).`)
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(new Uint8Array(Buffer.from(text, 'hex')))
  } catch (e) {
    throw new IdentityError(`${file} is not a peer identity (${e instanceof Error ? e.message : e}).`)
  }
  if (key.type !== 'secp256k1')
    throw new IdentityError(`${file} holds a ${key.type} key; the coordinator checks secp256k1 peer ids.`)
  return { key, created: false }
}
