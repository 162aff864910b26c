// An injected EIP-1193 test wallet, announced with EIP-6963 like a browser extension would be. It
// forwards JSON-RPC to the local chain, where anvil's unlocked dev accounts do the real signing
// (eth_signTypedData_v4, eth_sendTransaction). Tests steer it through `window.__testWallet`: say no to a
// signature or a transaction, start on the wrong chain, refuse to switch.
import type { Page } from 'playwright-core'

export interface TestWalletOptions {
  /** The network as the wallet sees it: transactions and reads (a proxy, when a test takes it down). */
  rpc: string
  /** Where signing happens: anvil's unlocked accounts stand in for the wallet's own keys. */
  signer: string
  account: string
  /** The chain the wallet reports before any switch. */
  chainId: number
  name?: string
}

export interface TestWalletState {
  chainId: number
  rejectSign: boolean
  rejectTx: boolean
  refuseSwitch: boolean
  calls: string[]
}

/** anvil's unlocked dev accounts 1–5 (account 0 deploys the contracts). Public test keys. */
export const anvilAccounts = [
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
] as const

export async function injectTestWallet(page: Page, options: TestWalletOptions): Promise<void> {
  await page.addInitScript((o: TestWalletOptions) => {
    const state: TestWalletState = {
      chainId: o.chainId,
      rejectSign: false,
      rejectTx: false,
      refuseSwitch: false,
      calls: [],
    }
    ;(window as unknown as { __testWallet: TestWalletState }).__testWallet = state
    const fail = (code: number, message: string) =>
      Promise.reject(Object.assign(new Error(message), { code }))
    let id = 0
    const forward = async (method: string, params: unknown) => {
      const url = method === 'eth_signTypedData_v4' ? o.signer : o.rpc
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      })
      const json = await res.json()
      if (json.error) throw Object.assign(new Error(json.error.message), { code: json.error.code })
      return json.result
    }
    const provider = {
      async request({ method, params }: { method: string; params?: unknown[] }) {
        state.calls.push(method)
        switch (method) {
          case 'eth_accounts':
          case 'eth_requestAccounts':
            return [o.account]
          case 'eth_chainId':
            return `0x${state.chainId.toString(16)}`
          case 'wallet_switchEthereumChain':
            if (state.refuseSwitch) return fail(4001, 'User rejected the request.')
            state.chainId = parseInt((params![0] as { chainId: string }).chainId, 16)
            return null
          case 'eth_signTypedData_v4':
            if (state.rejectSign) return fail(4001, 'User rejected the request.')
            break
          case 'eth_sendTransaction':
            if (state.rejectTx) return fail(4001, 'User rejected the request.')
            break
        }
        return forward(method, params ?? [])
      },
      on() {},
      removeListener() {},
    }
    const info = {
      uuid: crypto.randomUUID(),
      name: o.name ?? 'Test Wallet',
      icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20" fill="%23888"/></svg>',
      rdns: 'dev.lockstep.testwallet',
    }
    const announce = () =>
      window.dispatchEvent(
        new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }),
      )
    window.addEventListener('eip6963:requestProvider', announce)
    announce()
  }, options)
}

export function walletState(page: Page): Promise<TestWalletState> {
  return page.evaluate(() => (window as unknown as { __testWallet: TestWalletState }).__testWallet)
}

export function steerWallet(page: Page, patch: Partial<TestWalletState>): Promise<void> {
  return page.evaluate((p) => {
    Object.assign((window as unknown as { __testWallet: TestWalletState }).__testWallet, p)
  }, patch)
}
