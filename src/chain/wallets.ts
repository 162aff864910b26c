// Finding the visitor's wallets: EIP-6963 announcements (via mipd), then a bare window.ethereum for
// wallets that predate 6963, then the local dev wallet when the chain is the dev chain.
import { createStore, type EIP6963ProviderDetail } from 'mipd'
import type { EIP1193Provider } from 'viem'

export interface WalletOption {
  id: string
  /** Reverse-DNS name (EIP-6963): stable across reloads, unlike the uuid. */
  rdns: string
  name: string
  icon?: string
  provider: EIP1193Provider
}

/** Watches for wallets; calls `onChange` with the current list whenever one announces itself. */
export function watchWallets(onChange: (wallets: WalletOption[]) => void): () => void {
  const store = createStore()
  const emit = (details: readonly EIP6963ProviderDetail[]) => {
    const wallets: WalletOption[] = details.map((d) => ({
      id: d.info.uuid,
      rdns: d.info.rdns,
      name: d.info.name,
      icon: d.info.icon,
      provider: d.provider as unknown as EIP1193Provider,
    }))
    const injected = (globalThis as { ethereum?: EIP1193Provider }).ethereum
    if (injected && !wallets.some((w) => w.provider === injected))
      wallets.push({
        id: 'window.ethereum',
        rdns: 'window.ethereum',
        name: 'Browser wallet (window.ethereum)',
        provider: injected,
      })
    onChange(wallets)
  }
  emit(store.getProviders())
  const unsubscribe = store.subscribe((details) => emit(details))
  return () => {
    unsubscribe()
    store.destroy()
  }
}
