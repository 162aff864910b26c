// A producer's signed commitment to its trace of a run, for the on-chain game: the work it answers for
// (a receipt hash), the game's program and initial tree it ran, and its trace root after the run. With it,
// a challenger opens the game with `openCommitted` and the defender is held to terms it signed: it cannot
// stay away without losing (contracts/referee/DisputeGame.sol; docs/disputes.md, "Commitments to a game").
import { isAddress, isHex, recoverTypedDataAddress, type Address, type Hex, type TypedDataDomain } from 'viem'
import { eip712Domain } from '../receipts/training.ts'
import { TraceCommitmentError } from '../errors/dispute.ts'
import type { GameTrace } from './gameTrace.ts'

export const TRACE_COMMITMENT = 'lockstep/trace-commitment'

/** DisputeGame.COMMITMENT_TYPEHASH's type, field for field. */
export const traceCommitmentTypes = {
  TraceCommitment: [
    { name: 'work', type: 'bytes32' },
    { name: 'program', type: 'bytes32' },
    { name: 'slots', type: 'uint32' },
    { name: 'steps', type: 'uint32' },
    { name: 'initial', type: 'bytes32' },
    { name: 'initialDepth', type: 'uint8' },
    { name: 'root', type: 'bytes32' },
  ],
} as const

export interface TraceCommitment {
  work: Hex
  program: Hex
  slots: number
  steps: number
  initial: Hex
  initialDepth: number
  /** The committer's trace root after `steps` steps. */
  root: Hex
}

/** A commitment signed for one game contract on one chain: it opens games there and nowhere else. */
export interface SignedTraceCommitment extends TraceCommitment {
  kind: typeof TRACE_COMMITMENT
  version: 1
  chainId: number
  game: Address
  signer: Address
  signature: Hex
}

/** Whatever signs it: a viem LocalAccount (the CLI, tests) or a wallet client's account. */
export interface CommitmentSigner {
  address: Address
  signTypedData(typedData: {
    domain: TypedDataDomain
    types: typeof traceCommitmentTypes
    primaryType: 'TraceCommitment'
    message: TraceCommitment
  }): Promise<Hex>
}

/** What `trace` commits to as the answer for `work`: its program, initial tree and last step's root. */
export function commitmentOf(trace: GameTrace, work: Hex): TraceCommitment {
  const steps = trace.commits.length - 1
  return {
    work,
    program: trace.programTree.root,
    slots: trace.program.length,
    steps,
    initial: trace.commits[0].root,
    initialDepth: trace.commits[0].depth,
    root: trace.commits[steps].root,
  }
}

export async function signTraceCommitment(
  c: TraceCommitment,
  account: CommitmentSigner,
  target: { chainId: number; game: Address },
): Promise<SignedTraceCommitment> {
  const signature = await account.signTypedData({
    domain: eip712Domain(target.chainId, target.game),
    types: traceCommitmentTypes,
    primaryType: 'TraceCommitment',
    message: fields(c),
  })
  return {
    kind: TRACE_COMMITMENT,
    version: 1,
    ...fields(c),
    chainId: target.chainId,
    game: target.game,
    signer: account.address,
    signature,
  }
}

/**
 * Reads a commitment file and checks its signature recovers to the signer it names, refusing anything
 * else by name. Whether its terms are the ones to dispute is the reader's own derivation to compare.
 */
export async function readTraceCommitment(text: string): Promise<SignedTraceCommitment> {
  let f: Record<string, unknown>
  try {
    f = JSON.parse(text)
  } catch (e) {
    throw new TraceCommitmentError(`The commitment is not JSON: ${e instanceof Error ? e.message : e}`)
  }
  if (f?.kind !== TRACE_COMMITMENT || f.version !== 1)
    throw new TraceCommitmentError(
      `Not a trace commitment: expected kind "${TRACE_COMMITMENT}" version 1, got "${String(f?.kind)}".`,
    )
  const hash = (k: string) => typeof f[k] === 'string' && isHex(f[k]) && (f[k] as string).length === 66
  const uint = (k: string, max: number) =>
    Number.isInteger(f[k]) && (f[k] as number) >= 0 && (f[k] as number) <= max
  const bad = [
    ...['work', 'program', 'initial', 'root'].filter((k) => !hash(k)),
    ...(['slots', 'steps', 'chainId'] as const).filter((k) => !uint(k, 2 ** 32 - 1)),
    ...(uint('initialDepth', 255) ? [] : ['initialDepth']),
    ...['game', 'signer'].filter((k) => typeof f[k] !== 'string' || !isAddress(f[k] as string)),
    ...(typeof f.signature === 'string' && isHex(f.signature) ? [] : ['signature']),
  ]
  if (bad.length) throw new TraceCommitmentError(`The commitment's ${bad.join(', ')} malformed.`)
  const c = f as unknown as SignedTraceCommitment
  const signer = await recoverTypedDataAddress({
    domain: eip712Domain(c.chainId, c.game),
    types: traceCommitmentTypes,
    primaryType: 'TraceCommitment',
    message: fields(c),
    signature: c.signature,
  }).catch(() => null)
  if (signer?.toLowerCase() !== c.signer.toLowerCase())
    throw new TraceCommitmentError(
      `The commitment's signature is not ${c.signer}'s${signer ? ` (it recovers to ${signer})` : ''}.`,
    )
  return c
}

const fields = (c: TraceCommitment): TraceCommitment => ({
  work: c.work,
  program: c.program,
  slots: c.slots,
  steps: c.steps,
  initial: c.initial,
  initialDepth: c.initialDepth,
  root: c.root,
})
