// The keys `submit` sends with and the peer identity it registers: a keystore or a given key on any chain,
// the local dev key only on the dev chain; an identity made once and read back as the same peer.
import { afterEach, describe, expect, it } from 'vitest'
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { keccak256 } from 'viem'
import { peerSigner } from '../chain/peerProof.ts'
import { FlagError, IdentityError } from '../errors/cli.ts'
import { peerIdentity } from './identity.ts'
import { sendingKey } from './keys.ts'

const KEY = `0x${'42'.repeat(32)}` as const
const dir = mkdtempSync(join(tmpdir(), 'lockstep-keys-'))
const saved = { key: process.env.LOCKSTEP_KEY, password: process.env.LOCKSTEP_KEYSTORE_PASSWORD }
afterEach(() => {
  for (const [name, v] of [
    ['LOCKSTEP_KEY', saved.key],
    ['LOCKSTEP_KEYSTORE_PASSWORD', saved.password],
  ] as const)
    if (v === undefined) delete process.env[name]
    else process.env[name] = v
})

describe('sendingKey', () => {
  it('takes a keystore, $LOCKSTEP_KEY or --key on any chain; the dev key only on the dev chain', async () => {
    const salt = randomBytes(32)
    const iv = randomBytes(16)
    const dk = pbkdf2Sync('pw', salt, 1024, 32, 'sha256')
    const c = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv)
    const ciphertext = Buffer.concat([c.update(Buffer.from(KEY.slice(2), 'hex')), c.final()])
    const file = join(dir, 'key.json')
    writeFileSync(
      file,
      JSON.stringify({
        version: 3,
        crypto: {
          ...{ cipher: 'aes-128-ctr', cipherparams: { iv: iv.toString('hex') } },
          ciphertext: ciphertext.toString('hex'),
          kdf: 'pbkdf2',
          kdfparams: { c: 1024, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') },
          mac: keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext])).slice(2),
        },
      }),
    )
    delete process.env.LOCKSTEP_KEY
    process.env.LOCKSTEP_KEYSTORE_PASSWORD = 'pw'
    expect(await sendingKey(['--keystore', file], 8453)).toBe(KEY)
    expect(await sendingKey(['--key', KEY], 8453)).toBe(KEY)
    await expect(sendingKey([], 8453)).rejects.toThrow(FlagError)
    process.env.LOCKSTEP_KEY = KEY
    expect(await sendingKey([], 8453)).toBe(KEY)
  })
})

describe('peerIdentity', () => {
  it('makes a secp256k1 key once (mode 0600) and reads back the same peer', async () => {
    const file = join(dir, 'nested', 'identity')
    const made = await peerIdentity(file)
    expect(made.created).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = await peerIdentity(file)
    expect(again.created).toBe(false)
    expect(peerSigner(again.key).peerId).toBe(peerSigner(made.key).peerId)
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]+\n$/)
  })

  it('refuses a file that is not a key, and an Ed25519 key the coordinator cannot check', async () => {
    const junk = join(dir, 'junk')
    writeFileSync(junk, 'not hex\n')
    await expect(peerIdentity(junk)).rejects.toThrow(IdentityError)
    const ed = join(dir, 'ed25519')
    writeFileSync(ed, Buffer.from(privateKeyToProtobuf(await generateKeyPair('Ed25519'))).toString('hex'))
    await expect(peerIdentity(ed)).rejects.toThrow(/Ed25519 key/)
  })
})
