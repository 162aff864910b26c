// The local dev key: signs receipts in a browser with no wallet, for the local dev chain only. It is
// made in this browser, kept in localStorage, and labelled as such everywhere it appears.
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import type { Hex } from 'viem'

const KEY = 'lockstep.devKey'

/** The part of localStorage the key needs; workers have none (and no DOM types), so it is named here. */
interface KeyStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export function devKey(
  storage: KeyStorage | null = (globalThis as { localStorage?: KeyStorage }).localStorage ?? null,
): Hex {
  let key = storage?.getItem(KEY) as Hex | null
  if (!key) {
    key = generatePrivateKey()
    storage?.setItem(KEY, key)
  }
  return key
}

export function devAccount(storage?: KeyStorage | null): PrivateKeyAccount {
  return privateKeyToAccount(devKey(storage))
}

/** The local dev chain (anvil's defaults) and the receipt registry's address there. */
export const DEV_TARGET = {
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
} as const
