// Helpers for the dispute game's tests: anvil with Referee and DisputeGame, two funded parties, a toy
// training program (a linear layer with a GELU and an update of its weights) and a game played out.
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { ANVIL_KEY_0, startAnvil } from '../../scripts/chain.mjs'
import { disputeGameAbi, disputeGameBytecode } from '../chain/contracts/DisputeGame.ts'
import { refereeAbi, refereeBytecode } from '../chain/contracts/Referee.ts'
import { f32Bits } from '../kernels/softfloat.ts'
import { ONCHAIN_OPS as OP } from './onchain.ts'
import { COPY, type Spec } from './gameTrace.ts'
import { GameDriver, Phase, type Wallet } from './game.ts'

/** anvil's second dev account: public knowledge, funded on every anvil chain. */
const ANVIL_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
/** Seconds per move in the tests. */
export const WINDOW = 600n

export async function startGame() {
  const node = await startAnvil()
  const client = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) }) as PublicClient
  const wallet = (key: Hex): Wallet =>
    createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport: http(node.rpcUrl) })
  const [alice, bob] = [wallet(ANVIL_KEY_0), wallet(ANVIL_KEY_1)]
  const deploy = async (hash: Hex) =>
    (await client.waitForTransactionReceipt({ hash })).contractAddress as Address
  const referee = await deploy(await alice.deployContract({ abi: refereeAbi, bytecode: refereeBytecode }))
  const game = await deploy(
    await alice.deployContract({
      abi: disputeGameAbi,
      bytecode: disputeGameBytecode,
      args: [referee, WINDOW],
    }),
  )
  const passTime = async (seconds: bigint) => {
    await client.request({ method: 'evm_increaseTime' as never, params: [Number(seconds)] as never })
    await client.request({ method: 'evm_mine' as never, params: [] as never })
  }
  return { client, alice, bob, game, passTime, stop: node.stop }
}

/**
 * One training step of a linear layer, as slots: the state (W h×h, X 2×h, Xᵀ h×2, a learning-rate
 * tensor) copied in, H = X·W, G = gelu(H), D = Xᵀ·G, U = lr·D, W' = W − U, and tanh(W') as a last
 * op that no later step reads. W' is the next step's W.
 */
export function toyProgram(h: number): Spec[] {
  const s = (kind: number, a: number, b: number, m: number, k: number, n: number) => ({ kind, a, b, m, k, n })
  return [
    s(COPY, 8, 0, h, 0, h),
    s(COPY, 1, 0, 2, 0, h),
    s(COPY, 2, 0, h, 0, 2),
    s(COPY, 3, 0, h, 0, h),
    s(OP.matmul, 1, 0, 2, h, h),
    s(OP.geluTanh, 4, 0, 2, 0, h),
    s(OP.matmul, 2, 5, h, 2, h),
    s(OP.mul, 3, 6, h, 0, h),
    s(OP.sub, 0, 7, h, 0, h),
    s(OP.tanh, 8, 0, h, 0, h),
  ]
}

/** The toy program's initial state, seeded: small weights and inputs, lr 0.05. */
export function toyInitial(h: number, next: () => number): Uint32Array[] {
  const vals = (n: number, scale: number) =>
    Uint32Array.from({ length: n }, () => f32Bits(((next() % 2001) / 1000 - 1) * scale))
  const x = vals(2 * h, 1)
  const xt = new Uint32Array(2 * h)
  for (let i = 0; i < 2; i++) for (let j = 0; j < h; j++) xt[j * 2 + i] = x[i * h + j]
  return [vals(h * h, 0.5), x, xt, new Uint32Array(h * h).fill(f32Bits(0.05))]
}

/** Both drivers move in turn until the game is settled; throws if neither can move. */
export async function playOut(a: GameDriver, b: GameDriver, stopAt?: number) {
  for (;;) {
    const g = await a.state()
    if (g.phase === Phase.Done || g.phase === stopAt) return g
    const moved = (await a.move()) ?? (await b.move())
    if (!moved) throw new Error(`Nobody moves in phase ${g.phase}.`)
  }
}
