// The Referee contract itself: one element per call, named refusals, gas per op, and the tensor
// commitment its inputs are checked against (contracts/referee/Referee.sol, TensorCommitment.sol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { concatHex, keccak256, pad, toHex, type Address, type Hex } from 'viem'
import { refereeAbi } from '../chain/contracts/Referee.ts'
import * as sf from '../kernels/softfloat.ts'
import { matmulRef } from '../kernels/matmul.ts'
import { softmaxRef } from '../kernels/softmax.ts'
import { rmsnormRef } from '../kernels/rmsnorm.ts'
import { layernormRef } from '../kernels/layernorm.ts'
import { adamwRef } from '../kernels/adamw.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS, REFUSED_OPS, tensorLeaf, tensorTree } from './onchain.ts'
import { EVM_TIMEOUT, startReferee, vector } from './testing.ts'

let chain: Awaited<ReturnType<typeof startReferee>>
let referee: Address
const client = () => chain.client

beforeAll(async () => {
  chain = await startReferee()
  referee = chain.referee
}, 120_000)
afterAll(() => chain?.stop())

const bitsOf = sf.f32Bits
const fromBits = sf.f32FromBits

describe('Referee: one element per call, and a named refusal for every other op', () => {
  const recompute = (op: number, a: number[], b: number[]) =>
    client().readContract({ address: referee, abi: refereeAbi, functionName: 'recompute', args: [op, a, b] })

  it(
    'recomputes each supported op as the harness does',
    async () => {
      const one = 0x3f800000
      const third = bitsOf(sf.div(1, 3))
      expect(await recompute(ONCHAIN_OPS.add, [one], [third])).toBe(bitsOf(sf.add(1, fromBits(third))))
      expect(await recompute(ONCHAIN_OPS.div, [one], [0x40400000])).toBe(third)
      expect(await recompute(ONCHAIN_OPS.sqrt, [0x40000000], [])).toBe(bitsOf(sf.sqrt(2)))
      expect(await recompute(ONCHAIN_OPS.mean, [one, 0x40000000], [])).toBe(0x3fc00000)
      const row = vector(mulberry32(9), 40, false)
      const col = vector(mulberry32(10), 40, false)
      const want = matmulRef(
        new Float32Array(new Uint32Array(row).buffer),
        [1, 40],
        new Float32Array(new Uint32Array(col).buffer),
        [40, 1],
      )
      expect(await recompute(ONCHAIN_OPS.matmul, row, col)).toBe(bitsOf(want[0]))
      await expect(recompute(ONCHAIN_OPS.add, [one, one], [one])).rejects.toThrow(/BadOperands/)
      await expect(recompute(ONCHAIN_OPS.matmul, [one, one], [one])).rejects.toThrow(/BadK/)

      // Row ops: element k of a row, its parameters in b.
      const x = vector(mulberry32(12), 24, false)
      const gamma = vector(mulberry32(13), 24, false)
      const beta = vector(mulberry32(14), 24, false)
      const eps = 0x3727c5ac
      const f32s = (b: number[]) => new Float32Array(new Uint32Array(b).buffer)
      const soft = new Uint32Array(softmaxRef(f32s(x), [1, 24]).buffer)
      const rms = new Uint32Array(rmsnormRef(f32s(x), f32s(gamma), [1, 24], { eps: fromBits(eps) }).y.buffer)
      const ln = layernormRef(f32s(x), f32s(gamma), f32s(beta), [1, 24], { eps: fromBits(eps) }).y
      for (const k of [0, 7, 23]) {
        expect(await recompute(ONCHAIN_OPS.softmax, x, [k])).toBe(soft[k])
        expect(await recompute(ONCHAIN_OPS.rmsnorm, x, [k, eps, gamma[k]])).toBe(rms[k])
        expect(await recompute(ONCHAIN_OPS.layernorm, x, [k, eps, gamma[k], beta[k]])).toBe(bitsOf(ln[k]))
      }
      await expect(recompute(ONCHAIN_OPS.softmax, x, [24])).rejects.toThrow(/BadOperands/)
      await expect(recompute(ONCHAIN_OPS.rmsnorm, x, [0, eps])).rejects.toThrow(/BadOperands/)

      // AdamW: one element's p, m or v, the bias corrections derived from beta and step on chain.
      const config = [1000, bitsOf(3e-4), bitsOf(0.9), bitsOf(0.999), bitsOf(1e-8), bitsOf(0.01), 0x3f800000]
      const [pgmv, opts] = [
        [0x3f8ccccd, 0xbd4ccccd, 0x3a83126f, 0x358637bd],
        { step: 1000, lr: 3e-4, weightDecay: 0.01 },
      ]
      const adam = adamwRef(
        ...(pgmv.map((b) => f32s([b])) as [Float32Array, Float32Array, Float32Array, Float32Array]),
        opts,
      )
      for (const [which, out] of [adam.p, adam.m, adam.v].entries())
        expect(await recompute(ONCHAIN_OPS.adamw, pgmv, [which, ...config])).toBe(bitsOf(out[0]))
      const badBeta = [...config.slice(0, 2), 0x3f800000, ...config.slice(3)]
      await expect(recompute(ONCHAIN_OPS.adamw, pgmv, [0, ...badBeta])).rejects.toThrow(/BadHyperparameters/)
      await expect(recompute(ONCHAIN_OPS.adamw, pgmv, [0, 0, ...config.slice(1)])).rejects.toThrow(
        /BadHyperparameters/,
      )
      await expect(recompute(ONCHAIN_OPS.adamw, pgmv, [3, ...config])).rejects.toThrow(/BadOperands/)
    },
    EVM_TIMEOUT,
  )

  it(
    'refuses every op it cannot recompute with OpNotSupported',
    async () => {
      for (const id of [...Object.values(REFUSED_OPS), 23, 255])
        await expect(recompute(id, [0x3f800000], [])).rejects.toThrow(/OpNotSupported/)
      for (const id of Object.values(ONCHAIN_OPS))
        expect(
          await client().readContract({
            address: referee,
            abi: refereeAbi,
            functionName: 'supported',
            args: [id],
          }),
        ).toBe(true)
    },
    EVM_TIMEOUT,
  )

  it(
    'gas per op (a transaction of one recompute; docs/disputes.md)',
    async () => {
      const gas = async (op: number, a: number[], b: number[]) =>
        client().estimateContractGas({
          address: referee,
          abi: refereeAbi,
          functionName: 'recompute',
          args: [op, a, b],
        })
      const x = [0x3faaaaab]
      const y = [0xc0490fdb]
      const v = (n: number, seed: number) => vector(mulberry32(seed), n, false)
      const table: Record<string, bigint> = {
        add: await gas(ONCHAIN_OPS.add, x, y),
        sub: await gas(ONCHAIN_OPS.sub, x, y),
        mul: await gas(ONCHAIN_OPS.mul, x, y),
        div: await gas(ONCHAIN_OPS.div, x, y),
        sqrt: await gas(ONCHAIN_OPS.sqrt, x, []),
        exp: await gas(ONCHAIN_OPS.exp, x, []),
        log: await gas(ONCHAIN_OPS.log, x, []),
        tanh: await gas(ONCHAIN_OPS.tanh, x, []),
        sigmoid: await gas(ONCHAIN_OPS.sigmoid, x, []),
        geluTanh: await gas(ONCHAIN_OPS.geluTanh, x, []),
        geluErf: await gas(ONCHAIN_OPS.geluErf, x, []),
        erf: await gas(ONCHAIN_OPS.erf, x, []),
        sin: await gas(ONCHAIN_OPS.sin, x, []),
        cos: await gas(ONCHAIN_OPS.cos, x, []),
        'sum, 64 terms': await gas(ONCHAIN_OPS.sum, v(64, 1), []),
        'sum, 1024 terms': await gas(ONCHAIN_OPS.sum, v(1024, 2), []),
        'mean, 1024 terms': await gas(ONCHAIN_OPS.mean, v(1024, 3), []),
        'matmul, K = 64': await gas(ONCHAIN_OPS.matmul, v(64, 4), v(64, 5)),
        'matmul, K = 768': await gas(ONCHAIN_OPS.matmul, v(768, 6), v(768, 7)),
        'softmax, row of 64': await gas(ONCHAIN_OPS.softmax, v(64, 8), [5]),
        'rmsnorm, row of 768': await gas(ONCHAIN_OPS.rmsnorm, v(768, 9), [5, 0x3727c5ac, 0x3f800000]),
        'adamw, step 1,000': await gas(
          ONCHAIN_OPS.adamw,
          [0x3f8ccccd, 0xbd4ccccd, 0x3a83126f, 0x358637bd],
          [0, 1000, 0x399d4952, 0x3f666666, 0x3f7ced91, 0x322bcc77, 0x3c23d70a, 0x3f800000],
        ),
        'layernorm, row of 768': await gas(ONCHAIN_OPS.layernorm, v(768, 10), [5, 0x3727c5ac, 0x3f800000, 0]),
      }
      console.log(
        Object.entries(table)
          .map(([k, g]) => `${k}: ${g}`)
          .join('\n'),
      )
      // Loose ceilings, so a change that makes the referee much dearer is noticed.
      for (const op of ['add', 'sub', 'mul', 'div', 'sqrt']) expect(table[op]).toBeLessThan(40_000n)
      expect(table['matmul, K = 768']).toBeLessThan(5_000_000n)
    },
    EVM_TIMEOUT,
  )
})

describe('TensorCommitment: an output tensor as a Merkle root over (index, f32 bits)', () => {
  it(
    'has the documented leaf: keccak256(keccak256(uint256 index ‖ uint32 bits as 32-byte words))',
    async () => {
      for (const [index, bits] of [
        [0, 0x3f800000],
        [7, 0x80000000],
        [123_456, 0x7fc00000],
      ]) {
        const words = concatHex([pad(toHex(index)), pad(toHex(bits))])
        const leaf = keccak256(keccak256(words))
        expect(tensorLeaf(index, bits)).toBe(leaf)
        // A one-element tensor's root is its leaf: the contract's leaf proves with an empty proof.
        const args = [leaf, [], BigInt(index), bits] as const
        expect(
          await client().readContract({
            address: referee,
            abi: refereeAbi,
            functionName: 'verifyElement',
            args,
          }),
        ).toBe(true)
      }
    },
    EVM_TIMEOUT,
  )

  it(
    'proves single elements and a whole row against the root; a changed value or index fails',
    async () => {
      const [rows, cols] = [9, 13]
      const data = new Float32Array(new Uint32Array(vector(mulberry32(11), rows * cols, true)).buffer)
      const bits = new Uint32Array(data.buffer)
      const tree = tensorTree(data)
      const root = tree.root as Hex
      const read = <T>(functionName: 'verifyElement' | 'verifyElements', args: readonly unknown[]) =>
        client().readContract({
          address: referee,
          abi: refereeAbi,
          functionName,
          args,
        } as never) as Promise<T>
      for (const i of [0, 1, 57, rows * cols - 1]) {
        expect(tree.leafHash([BigInt(i), bits[i]])).toBe(tensorLeaf(i, bits[i]))
        const proof = tree.getProof(i) as Hex[]
        expect(await read('verifyElement', [root, proof, BigInt(i), bits[i]])).toBe(true)
        expect(await read('verifyElement', [root, proof, BigInt(i), (bits[i] ^ 1) >>> 0])).toBe(false)
        expect(await read('verifyElement', [root, proof, BigInt(i + 1), bits[i]])).toBe(false)
      }
      // Row 4: the inputs a matmul element or a row reduction depends on, with one multiproof.
      const multi = tree.getMultiProof(Array.from({ length: cols }, (_, c) => 4 * cols + c))
      const indices = multi.leaves.map(([i]) => i)
      const values = multi.leaves.map(([, b]) => b)
      const args = [root, multi.proof, multi.proofFlags, indices, values]
      expect(await read('verifyElements', args)).toBe(true)
      const forged = values.map((b, j) => (j === 3 ? (b ^ 0x80000000) >>> 0 : b))
      expect(await read('verifyElements', [root, multi.proof, multi.proofFlags, indices, forged])).toBe(false)
      expect(await read('verifyElements', [root, [root], [], [], []])).toBe(false)
    },
    EVM_TIMEOUT,
  )
})
