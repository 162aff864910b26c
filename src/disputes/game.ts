// Plays one party's side of the on-chain dispute game (contracts/referee/DisputeGame.sol) from its own
// trace: each call to move() reads the game and makes the move the state asks of this party, if any.
// Nothing here trusts the other party: every answer comes from this party's trace alone.
import { parseEventLogs } from 'viem'
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import type { GameTrace } from './gameTrace.ts'
import { COPY, INPUT, covers, inputLeaf, operandsOf, type Spec } from './gameOps.ts'

/** DisputeGame.Phase, in declaration order. */
export const Phase = {
  None: 0,
  Join: 1,
  Propose: 2,
  Answer: 3,
  RevealD: 4,
  RevealC: 5,
  Spec: 6,
  ElementD: 7,
  ElementC: 8,
  Resolve: 9,
  Done: 10,
} as const

export type Role = 'challenger' | 'defender'
export type Wallet = WalletClient<Transport, Chain, Account>

const ZERO: Hex = `0x${'00'.repeat(32)}`

export interface OpenParameters {
  game: Address
  work: Hex
  defender: Address
  /** The defender's root of the last step, as its receipt committed it. */
  defenderRoot: Hex
  bond: bigint
  /**
   * The defender's signature over its TraceCommitment of these terms (commitment.ts): opens with
   * `openCommitted`, holding the defender to them (a defender that does not join loses).
   */
  commitment?: Hex
}

/** The challenger opens a game against `defender` over the run its trace covers; returns the id. */
export async function openGame(client: PublicClient, wallet: Wallet, trace: GameTrace, p: OpenParameters) {
  const steps = trace.commits.length - 1
  const terms = {
    work: p.work,
    program: trace.programTree.root,
    slots: trace.program.length,
    steps,
    initial: trace.commits[0].root,
    initialDepth: trace.commits[0].depth,
    defender: p.defender,
    challengerRoot: trace.commits[steps].root,
    defenderRoot: p.defenderRoot,
  }
  const common = { account: wallet.account, address: p.game, abi: disputeGameAbi, value: p.bond } as const
  const hash = p.commitment
    ? await wallet.writeContract(
        (
          await client.simulateContract({
            ...common,
            functionName: 'openCommitted',
            args: [terms, p.commitment],
          })
        ).request,
      )
    : await wallet.writeContract(
        (await client.simulateContract({ ...common, functionName: 'open', args: [terms] })).request,
      )
  const receipt = await client.waitForTransactionReceipt({ hash })
  // The id from the receipt's Opened event: reading the counter afterwards could see a later game.
  const [opened] = parseEventLogs({ abi: disputeGameAbi, eventName: 'Opened', logs: receipt.logs })
  return { id: opened.args.id, receipt }
}

export class GameDriver {
  /** Every transaction this driver sent: the function and its gas. */
  readonly sent: { move: string; gas: bigint }[] = []

  constructor(
    readonly client: PublicClient,
    readonly wallet: Wallet,
    readonly game: Address,
    readonly id: bigint,
    readonly role: Role,
    readonly trace: GameTrace,
  ) {}

  state() {
    return this.client.readContract({
      address: this.game,
      abi: disputeGameAbi,
      functionName: 'gameOf',
      args: [this.id],
    })
  }

  /** Makes this party's move, if the game is waiting on it; returns the function called, or null. */
  async move(): Promise<string | null> {
    const g = await this.state()
    const d = this.role === 'defender'
    const t = this.trace
    const hiSlots = t.slots[g.hi]
    switch (g.phase) {
      case Phase.Join:
        return d ? this.#send('join', [this.id], g.bond) : null
      case Phase.Propose:
        return d ? this.#send('proposeStep', [this.id, t.commits[(g.lo + g.hi) >> 1].root]) : null
      case Phase.Answer: {
        if (d) return null
        const mine = t.commits[(g.lo + g.hi) >> 1].root
        return this.#send('answerStep', [this.id, mine === g.dNode, mine === g.dNode ? ZERO : mine])
      }
      case Phase.RevealD:
      case Phase.RevealC: {
        if (d !== (g.phase === Phase.RevealD)) return null
        const [left, right] = g.tensorLevel
          ? [2 * g.pos + 1, 2 * g.pos + 2].map((p) => hiSlots[g.slot].tree.dump().tree[p] as Hex)
          : t.commits[g.hi].children(g.pos)
        return this.#send('reveal', [this.id, left, right])
      }
      case Phase.Spec:
        return this.#send('proveSpec', [this.id, t.program[g.slot], t.programTree.proof(g.slot)])
      case Phase.ElementD:
      case Phase.ElementC: {
        if (d !== (g.phase === Phase.ElementD)) return null
        return this.#send('openElement', [this.id, hiSlots[g.slot].bits[2 * g.count - 2 - g.pos]])
      }
      case Phase.Resolve: {
        const s = g.spec
        if (s.kind === COPY) {
          const agreed = t.commits[g.lo]
          return this.#send('resolveCopy', [this.id, agreed.leaf(s.a), agreed.proof(s.a)])
        }
        if (s.kind === INPUT) {
          const leaf = inputLeaf(s, g.hi)
          return this.#send('resolveCopy', [this.id, t.commits[0].leaf(leaf), t.commits[0].proof(leaf)])
        }
        return this.#send('resolve', [this.id, this.operands(g)])
      }
      default:
        return null
    }
  }

  /** Ends the game if the other party let its deadline pass (anyone may); returns whether it did. */
  async claimTimeout(): Promise<boolean> {
    const g = await this.state()
    const block = await this.client.getBlock()
    if (g.phase === Phase.None || g.phase === Phase.Done || block.timestamp <= g.deadline) return false
    await this.#send('timeout', [this.id])
    return true
  }

  async withdraw(): Promise<void> {
    await this.#send('withdraw', [])
  }

  /** The operands DisputeGame.resolve takes for the element the game reached, from this trace. */
  operands(g: { hi: number; element: number; spec: Spec }) {
    // An op the game cannot recompute: no operands, so that the contract names its refusal.
    if (!covers(g.spec.kind)) return []
    const read = (slot: number, i: number) => this.trace.slots[g.hi][slot].bits[i]
    return operandsOf(g.spec, g.element, read).map(({ slot, indices }) => this.#operand(g.hi, slot, indices))
  }

  /** Input slot `slot` of step `step` and its elements at `indices`, proven from this party's trace. */
  #operand(step: number, slot: number, indices: number[]) {
    const s = this.trace.slots[step][slot]
    const multi = s.tree.getMultiProof(indices)
    return {
      root: s.tree.root as Hex,
      ofChallenger: this.role === 'challenger',
      slotProof: this.trace.commits[step].proof(slot),
      proof: multi.proof as Hex[],
      flags: multi.proofFlags,
      indices: multi.leaves.map((l) => l[0]),
      bits: multi.leaves.map((l) => l[1]),
    }
  }

  async #send(functionName: string, args: unknown[], value?: bigint): Promise<string> {
    // Simulated first: a refusal then throws with the contract's named error, decoded by the ABI.
    const { request } = await this.client.simulateContract({
      account: this.wallet.account,
      address: this.game,
      abi: disputeGameAbi,
      functionName: functionName as 'join',
      args: args as [bigint],
      value,
    } as never)
    const hash = await this.wallet.writeContract(request as never)
    const receipt = await this.client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`DisputeGame.${functionName} reverted (${hash}).`)
    this.sent.push({ move: functionName, gas: receipt.gasUsed })
    return functionName
  }
}
