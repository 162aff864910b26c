// Key files as wallets write them: the Web3 Secret Storage spec's own vector (pbkdf2), an scrypt file made
// here with @noble/hashes' scrypt (an implementation independent of Node's), and the refusals.
import { describe, expect, it } from 'vitest'
import { createCipheriv, randomBytes } from 'node:crypto'
import { scrypt } from '@noble/hashes/scrypt.js'
import { bytesToHex, keccak256 } from 'viem'
import { decryptKeystore } from './keystore.ts'

const SPEC_KEY = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
const specPbkdf2 = {
  version: 3,
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: 'hmac-sha256',
      salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd',
    },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
}

/** A v3 file as geth and ethers write them (scrypt, r = 8), its key derived by noble's scrypt. */
function scryptFile(key: string, password: string, n = 4096) {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const dk = Buffer.from(scrypt(password, salt, { N: n, r: 8, p: 1, dkLen: 32 }))
  const c = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([c.update(Buffer.from(key.slice(2), 'hex')), c.final()])
  return {
    version: 3,
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: iv.toString('hex') },
      ciphertext: ciphertext.toString('hex'),
      kdf: 'scrypt',
      kdfparams: { n, r: 8, p: 1, dklen: 32, salt: salt.toString('hex') },
      mac: keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext])).slice(2),
    },
  }
}

describe('decryptKeystore', () => {
  it("opens the spec's pbkdf2 vector", () => {
    expect(decryptKeystore(JSON.stringify(specPbkdf2), 'testpassword')).toBe(SPEC_KEY)
  })

  it('opens an scrypt file made by another scrypt implementation', () => {
    const key = bytesToHex(randomBytes(32))
    expect(decryptKeystore(JSON.stringify(scryptFile(key, 'hunter2')), 'hunter2')).toBe(key)
  })

  it('refuses a wrong password by the MAC, and says what it cannot open', () => {
    expect(() => decryptKeystore(JSON.stringify(specPbkdf2), 'nope')).toThrow(/wrong password/)
    expect(() => decryptKeystore('{"version":1}', 'x')).toThrow(/not a version 3 key file/)
    const r1 = scryptFile(SPEC_KEY, 'x')
    r1.crypto.kdfparams = { ...r1.crypto.kdfparams, n: 262144, r: 1, p: 8 }
    expect(() => decryptKeystore(JSON.stringify(r1), 'x')).toThrow(/beyond what Node's scrypt computes/)
  })
})
