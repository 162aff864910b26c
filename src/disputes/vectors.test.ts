// The dispute game's commitment vectors (src/receipts/vectors.json, "game"; docs/disputes.md, "Commitments"),
// recomputed here from the TypeScript twins of the contracts (which the on-chain tests hold equal): an output
// tensor's leaves and OpenZeppelin root with a proof, a program leaf, a positional tree, a signed
// TraceCommitment, and a market settlement's derived data. Another implementation checks itself against them.
import { describe, expect, it } from 'vitest'
import { hashTypedData, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEY_0 } from '../../scripts/chain.mjs'
import { eip712Domain } from '../receipts/training.ts'
import { marketInputs, nextTokens, taskLayout, TASK_RULE } from '../markets/model.ts'
import vectors from '../receipts/vectors.json'
import { signTraceCommitment, traceCommitmentTypes, type TraceCommitment } from './commitment.ts'
import { specLeaf, type Spec } from './gameOps.ts'
import { PositionalTree } from './gameTrace.ts'
import { tensorLeaf, tensorTree } from './onchain.ts'
import { ONCHAIN_NORM_OPS as NORM } from './onchain.ts'

const f32 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer)

/** What the vectors hold, computed from their inputs. */
async function gameVectors(v: typeof vectors.game) {
  const tree = tensorTree(f32(v.tensor.bits))
  const positional = new PositionalTree(v.positional.leaves as Hex[])
  const message = v.traceCommitment.message as TraceCommitment
  const target = { chainId: v.traceCommitment.chainId, game: v.traceCommitment.game as Hex }
  const signed = await signTraceCommitment(message, privateKeyToAccount(ANVIL_KEY_0), target)
  const { market, window: T } = v.settlement
  const ids = marketInputs(market, T, TASK_RULE).inputs.input_ids.data
  const layout = taskLayout(market, T)
  const root = (xs: ArrayLike<number>) => tensorTree(new Float32Array(Uint32Array.from(xs).buffer)).root
  const decide: Spec = {
    kind: NORM.taskDecide,
    ...{ a: v.settlement.losses, b: 0, c: 0, d: 0, m: 1, k: market.outcomes.length * T, n: 1 },
    consts: layout,
  }
  return {
    tensor: {
      bits: v.tensor.bits,
      leaves: v.tensor.bits.map((b, i) => tensorLeaf(i, b)),
      root: tree.root,
      proof2: tree.getProof(2),
    },
    spec: { spec: v.spec.spec, leaf: specLeaf(v.spec.spec) },
    positional: {
      leaves: v.positional.leaves,
      depth: positional.depth,
      root: positional.root,
      proof1: positional.proof(1),
    },
    traceCommitment: {
      message,
      ...target,
      digest: hashTypedData({
        domain: eip712Domain(target.chainId, target.game),
        types: traceCommitmentTypes,
        primaryType: 'TraceCommitment',
        message,
      }),
      signer: signed.signer,
      signature: signed.signature,
    },
    settlement: {
      market,
      window: T,
      losses: v.settlement.losses,
      ids,
      targets: Array.from(nextTokens(ids, T)),
      layout,
      idsRoot: root(ids),
      positionsRoot: root(ids.map((_, r) => r % T)),
      targetsRoot: root(nextTokens(ids, T)),
      decideLeaf: specLeaf(decide),
    },
  }
}

describe('dispute game vectors (src/receipts/vectors.json)', () => {
  it('recomputes every vector bit for bit', async () => {
    expect(await gameVectors(vectors.game)).toEqual(vectors.game)
  })
})
