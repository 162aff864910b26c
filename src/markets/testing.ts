// Test helpers for markets: a seeded random source, and the market contracts deployed on a test chain.
import { createPublicClient, createWalletClient, http, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { interimRefereeAbi, interimRefereeBytecode } from '../chain/contracts/InterimReferee.ts'
import { marketAbi, marketBytecode } from '../chain/contracts/Market.ts'
import { marketFactoryAbi, marketFactoryBytecode } from '../chain/contracts/MarketFactory.ts'
import { testTokenAbi, testTokenBytecode } from '../chain/contracts/TestToken.ts'
import { eip712Domain, eip712Types } from '../receipts/training.ts'
import { MARKET_SETTLEMENT } from './settlement.ts'

/** A seeded xorshift, so a failure names the case that failed. */
export function rng(seed: number) {
  let s = seed >>> 0 || 1
  const next = () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
  /** A bigint of up to `bits` bits, log-uniform so small and large values both appear. */
  const big = (bits: number) => {
    const b = 1 + Math.floor(next() * bits)
    let x = 0n
    for (let i = 0; i < b; i += 16) x = (x << 16n) | BigInt(Math.floor(next() * 65536))
    return x & ((1n << BigInt(b)) - 1n)
  }
  return { next, big, int: (n: number) => Math.floor(next() * n) }
}

export interface MarketDeployment {
  token: Address
  implementation: Address
  referee: Address
  factory: Address
}

/**
 * TestToken, the Market implementation, an InterimReferee owned by `refereeOwner` (or the contract
 * `referee`, when given) and the factory, from `key`; `registry` is the EIP-712 verifyingContract receipts are
 * signed for, `treasury` takes fees.
 */
export async function deployMarkets(
  rpcUrl: string,
  key: Hex,
  {
    registry,
    treasury,
    refereeOwner,
    referee: given,
  }: { registry: Address; treasury: Address; refereeOwner: Address; referee?: Address },
): Promise<MarketDeployment> {
  const transport = http(rpcUrl)
  const wallet = createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport })
  const client = createPublicClient({ chain: foundry, transport })
  const deploy = async (abi: readonly unknown[], bytecode: Hex, args: unknown[] = []) => {
    const hash = await wallet.deployContract({ abi, bytecode, args } as never)
    const r = await client.waitForTransactionReceipt({ hash })
    if (!r.contractAddress) throw new Error('deployment failed')
    return r.contractAddress
  }
  const token = await deploy(testTokenAbi, testTokenBytecode)
  const implementation = await deploy(marketAbi, marketBytecode)
  const referee = given ?? (await deploy(interimRefereeAbi, interimRefereeBytecode, [refereeOwner]))
  const factory = await deploy(marketFactoryAbi, marketFactoryBytecode, [
    implementation,
    registry,
    treasury,
    referee,
  ])
  return { token, implementation, referee, factory }
}

/** Moves the test chain's clock on by `seconds` and mines a block at the new time. */
export async function travel(rpcUrl: string, seconds: number | bigint) {
  const client = createPublicClient({ chain: foundry, transport: http(rpcUrl) })
  await client.request({ method: 'evm_increaseTime' as never, params: [Number(seconds)] as never })
  await client.request({ method: 'evm_mine' as never, params: [] as never })
}

/** `key`'s EIP-712 signature of a settlement receipt hash, as signSettlement makes it. */
export function signReceiptHash(key: Hex, receiptHash: Hex, registry: Address, chainId = foundry.id) {
  return privateKeyToAccount(key).signTypedData({
    domain: eip712Domain(chainId, registry),
    types: eip712Types,
    primaryType: 'Receipt',
    message: { kind: MARKET_SETTLEMENT, receiptHash },
  })
}
