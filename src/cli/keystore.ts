// An encrypted key file (Web3 Secret Storage v3: what geth, `cast wallet` and most wallets export), so a
// deployer's key never has to be typed as a flag. Decrypted with Node's own crypto and viem's keccak.
import { createDecipheriv, pbkdf2Sync, scryptSync } from 'node:crypto'
import { bytesToHex, keccak256, type Hex } from 'viem'
import { KeystoreError } from '../errors/cli.ts'

interface Keystore {
  version: number
  crypto: {
    cipher: string
    cipherparams: { iv: string }
    ciphertext: string
    kdf: 'scrypt' | 'pbkdf2'
    kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string }
    mac: string
  }
}

const hex = (s: string) => Buffer.from(s.replace(/^0x/, ''), 'hex')

function derive(password: string, c: Keystore['crypto']): Buffer {
  const k = c.kdfparams
  const salt = hex(k.salt)
  if (c.kdf === 'pbkdf2') {
    if (k.prf !== 'hmac-sha256') throw new KeystoreError(`keystore: unsupported pbkdf2 prf ${k.prf}`)
    return pbkdf2Sync(password, salt, k.c!, k.dklen, 'sha256')
  }
  if (c.kdf !== 'scrypt') throw new KeystoreError(`keystore: unsupported kdf ${c.kdf}`)
  const [N, r, p] = [k.n!, k.r!, k.p!]
  // OpenSSL keeps RFC 7914's N < 2^(16r): true of every common wallet's settings (r = 8), not of all files.
  if (N >= 2 ** (16 * r))
    throw new KeystoreError(`keystore: scrypt n=${N} with r=${r} is beyond what Node's scrypt computes`)
  return scryptSync(password, salt, k.dklen, { N, r, p, maxmem: 256 * N * r + (1 << 20) })
}

/** The private key in a v3 keystore; throws on a wrong password (the MAC does not match). */
export function decryptKeystore(json: string, password: string): Hex {
  const ks = JSON.parse(json) as Keystore
  const c = ks?.crypto ?? (ks as unknown as { Crypto: Keystore['crypto'] }).Crypto
  if (ks?.version !== 3 || !c) throw new KeystoreError('keystore: not a version 3 key file')
  if (c.cipher !== 'aes-128-ctr') throw new KeystoreError(`keystore: unsupported cipher ${c.cipher}`)
  const key = derive(password, c)
  const ciphertext = hex(c.ciphertext)
  const mac = keccak256(Buffer.concat([key.subarray(16, 32), ciphertext]))
  if (mac.slice(2) !== c.mac.replace(/^0x/, '').toLowerCase())
    throw new KeystoreError('keystore: wrong password (the MAC does not match)')
  const d = createDecipheriv('aes-128-ctr', key.subarray(0, 16), hex(c.cipherparams.iv))
  return bytesToHex(Buffer.concat([d.update(ciphertext), d.final()]))
}
