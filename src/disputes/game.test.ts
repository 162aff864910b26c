// The dispute game through anvil: an honest party against a cheater with a lie planted at a random
// step, operator and element, in both roles; silent parties losing by timeout; and the named refusals
// for forged proofs, moves out of turn and moves after a deadline (contracts/referee/DisputeGame.sol).
import { afterAll, describe, expect, it } from 'vitest'
import { keccak256, parseEventLogs, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { disputeGameAbi } from '../chain/contracts/DisputeGame.ts'
import { mulberry32 } from '../util/random.ts'
import { ONCHAIN_OPS, REFUSED_OPS } from './onchain.ts'
import { PositionalTree, runProgram, type GameTrace, type Lie } from './gameTrace.ts'
import { inputSlots, runSlot, type Spec } from './gameOps.ts'
import { GameDriver, Phase, openGame, type Role } from './game.ts'
import { commitmentOf, readTraceCommitment, signTraceCommitment } from './commitment.ts'
import { WINDOW, playOut, rowInitial, rowProgram, useGame, toyInitial, toyProgram } from './testing.ts'

const chain = useGame()

// A game is some 30 transactions: about half a second on an idle machine, ten times that on a busy one,
// hence the generous limits on each describe.
const BOND = 10n ** 17n
const STEPS = 6
const H = 4
const work = keccak256(toHex('receipt under dispute'))

/** A random lie that reaches the final state: ops 4..8 feed W; the last op (tanh) only in the last step. */
function randomLie(next: () => number, steps: number, h: number): Lie {
  const slot = 4 + (next() % 6)
  const sizes = [0, 0, 0, 0, 2 * h, 2 * h, h * h, h * h, h * h, h * h]
  return { step: slot === 9 ? steps : 1 + (next() % steps), slot, element: next() % sizes[slot] }
}

function traces(seed: number, lie: Lie, steps = STEPS, h = H) {
  const initial = toyInitial(h, mulberry32(seed))
  const trees = new Map()
  return {
    honest: runProgram(toyProgram(h), initial, steps, { trees }),
    liar: runProgram(toyProgram(h), initial, steps, { lie, trees }),
  }
}

/** Opens a game with `cTrace` challenging `dTrace` and returns both drivers; `commitment`: openCommitted. */
async function open(cTrace: GameTrace, dTrace: GameTrace, commitment?: Hex) {
  const { client, alice, bob, game } = chain
  const steps = dTrace.commits.length - 1
  const { id, receipt } = await openGame(client, alice, cTrace, {
    game,
    work,
    defender: bob.account.address,
    defenderRoot: dTrace.commits[steps].root,
    bond: BOND,
    commitment,
  })
  const driver = (role: Role, trace: GameTrace) =>
    new GameDriver(client, role === 'challenger' ? alice : bob, game, id, role, trace)
  return { id, opened: receipt.gasUsed, c: driver('challenger', cTrace), d: driver('defender', dTrace) }
}

const owed = (who: Hex) =>
  chain.client.readContract({ address: chain.game, abi: disputeGameAbi, functionName: 'owed', args: [who] })

const write = (who: 'alice' | 'bob', functionName: string, args: unknown[], value?: bigint) =>
  chain.client
    .simulateContract({
      account: chain[who].account,
      address: chain.game,
      abi: disputeGameAbi,
      functionName: functionName as 'join',
      args: args as [bigint],
      value,
    } as never)
    .then(async ({ request }) => {
      const hash = await chain[who].writeContract(request as never)
      return chain.client.waitForTransactionReceipt({ hash })
    })

describe('DisputeGame: honest against a cheater', { timeout: 120_000 }, () => {
  const kinds = new Set<number>()
  for (const [cheater, seed] of [
    ['defender', 1],
    ['challenger', 2],
    ['defender', 3],
    ['challenger', 4],
  ] as const) {
    it(`names the cheating ${cheater} (seed ${seed}) and moves the bond`, async () => {
      const next = mulberry32(seed)
      const lie = randomLie(next, STEPS, H)
      const { honest, liar } = traces(seed, lie)
      const { c, d } = cheater === 'defender' ? await open(honest, liar) : await open(liar, honest)
      const winner = cheater === 'defender' ? chain.alice.account.address : chain.bob.account.address
      const before = await owed(winner)
      const g = await playOut(c, d)
      expect(g.winner).toBe(winner)
      expect(g.hi).toBe(lie.step) // the lie reaches every later state, so the first bad step is its own
      expect(g.slot).toBe(lie.slot)
      expect(g.element).toBe(lie.element)
      expect((await owed(winner)) - before).toBe(2n * BOND)
      kinds.add(g.spec.kind)
    })
  }

  it('took the seeded lies to a matmul and to element-wise ops', () => {
    expect(kinds.has(ONCHAIN_OPS.matmul)).toBe(true)
    expect([...kinds].some((k) => k !== ONCHAIN_OPS.matmul)).toBe(true)
  })

  it('settles a lie in a copied state tensor by the agreed trace before it', async () => {
    const lie = { step: 3, slot: 0, element: 5 }
    const { honest, liar } = traces(5, lie)
    const { c, d } = await open(honest, liar)
    const g = await playOut(c, d)
    expect(g.phase).toBe(Phase.Done)
    expect(g.winner).toBe(chain.alice.account.address)
    expect([g.hi, g.slot, g.tensorLevel]).toEqual([3, 0, false])
  })

  it('settles a trace root with a leaf in its padding for the party whose padding is empty', async () => {
    const { honest } = traces(11, { step: 1, slot: 4, element: 0 })
    // The liar's last trace holds every honest slot and one more leaf past the program's 10 slots.
    const padded = honest.commits[STEPS]
    const liar = { ...honest, commits: [...honest.commits] }
    liar.commits[STEPS] = new PositionalTree([
      ...Array.from({ length: honest.program.length }, (_, j) => padded.leaf(j)),
      keccak256(toHex('not a slot')),
    ])
    const { c, d } = await open(liar, honest)
    const g = await playOut(c, d)
    expect([g.hi, g.slot, g.winner]).toEqual([STEPS, honest.program.length, chain.bob.account.address])
  })

  it('cannot convict a lie in an op it does not cover: the resolve is refused and the defender wins', async () => {
    // Slot 9 claims to be a cross-entropy (no on-chain recompute yet), computed here as tanh.
    const ce = REFUSED_OPS.conv
    const program = toyProgram(H).map((s, j) => (j === 9 ? { ...s, kind: ce } : s))
    const run = (s: Spec, ins: Uint32Array[], step: number) =>
      runSlot(s.kind === ce ? { ...s, kind: ONCHAIN_OPS.tanh } : s, ins, step)
    const initial = toyInitial(H, mulberry32(12))
    const inputs = (s: Spec) => (s.kind === ce ? [s.a] : inputSlots(s))
    const honest = runProgram(program, initial, STEPS, { run, inputs })
    const liar = runProgram(program, initial, STEPS, {
      run,
      inputs,
      lie: { step: STEPS, slot: 9, element: 2 },
    })
    const { c, d } = await open(honest, liar)
    const g = await playOut(c, d, Phase.Resolve)
    expect([g.slot, g.element]).toEqual([9, 2])
    await expect(c.move()).rejects.toThrow(/GameOpNotSupported/)
    await chain.passTime(WINDOW + 1n)
    expect(await c.claimTimeout()).toBe(true)
    expect((await c.state()).winner).toBe(chain.bob.account.address)
  })

  it('pays out what was won', async () => {
    const who = chain.bob.account.address
    const due = await owed(who)
    expect(due).toBeGreaterThan(0n)
    const before = await chain.client.getBalance({ address: who })
    const d = new GameDriver(
      chain.client,
      chain.bob,
      chain.game,
      0n,
      'defender',
      traces(1, randomLie(mulberry32(1), STEPS, H)).honest,
    )
    await d.withdraw()
    const gas = d.sent[0].gas
    const after = await chain.client.getBalance({ address: who })
    expect(after - before).toBeGreaterThan(due - gas * 10n ** 10n)
    expect(await owed(who)).toBe(0n)
    await expect(d.withdraw()).rejects.toThrow(/NothingOwed/)
  })
})

describe('DisputeGame: deadlines', { timeout: 120_000 }, () => {
  it('a defender that never joins loses by timeout, and the challenger gets its bond back', async () => {
    const { honest, liar } = traces(6, { step: 2, slot: 6, element: 1 })
    const { c, d } = await open(honest, liar)
    await expect(c.claimTimeout()).resolves.toBe(false)
    await expect(write('bob', 'timeout', [c.id])).rejects.toThrow(/DeadlineNotPassed/)
    await chain.passTime(WINDOW + 1n)
    await expect(d.move()).rejects.toThrow(/DeadlinePassed/)
    const before = await owed(chain.alice.account.address)
    expect(await c.claimTimeout()).toBe(true)
    const g = await c.state()
    expect(g.winner).toBe(chain.alice.account.address)
    expect((await owed(chain.alice.account.address)) - before).toBe(BOND)
  })

  it('a challenger that stops answering mid-descent loses both bonds', async () => {
    const { honest, liar } = traces(7, { step: 4, slot: 7, element: 9 })
    const { c, d } = await open(liar, honest)
    const g = await playOut(c, d, Phase.RevealC)
    expect(g.phase).toBe(Phase.RevealC)
    await chain.passTime(WINDOW + 1n)
    await expect(c.move()).rejects.toThrow(/DeadlinePassed/)
    expect(await d.claimTimeout()).toBe(true)
    expect((await d.state()).winner).toBe(chain.bob.account.address)
    // The Settled event names the move that was never made, for the page's verdict.
    const [settled] = await chain.client.getContractEvents({
      address: chain.game,
      abi: disputeGameAbi,
      eventName: 'Settled',
      args: { id: c.id },
      fromBlock: 0n,
    })
    expect([settled.args.byTimeout, settled.args.ended]).toEqual([true, Phase.RevealC])
  })
})

describe("DisputeGame: the defender's signed commitment", { timeout: 120_000 }, () => {
  /** `trace`'s commitment, signed by bob (the defender) for this game, or as `target` says. */
  const commit = async (trace: GameTrace, target?: { chainId: number; game: Hex }, by = 1) =>
    signTraceCommitment(commitmentOf(trace, work), privateKeyToAccount(chain.keys[by]), {
      chainId: await chain.client.getChainId(),
      game: chain.game,
      ...target,
    })

  it('holds a committed defender to its terms: one that never joins loses, and the game says it was committed', async () => {
    const { honest, liar } = traces(10, { step: 3, slot: 6, element: 2 })
    const signed = await commit(liar)
    // The file a producer publishes reads back, signature and all.
    expect(await readTraceCommitment(JSON.stringify(signed))).toEqual(signed)
    const { id, opened, c } = await open(honest, liar, signed.signature)
    const receipt = await chain.client.getTransactionReceipt({ hash: (await lastOpen(id)).transactionHash })
    expect(receipt.gasUsed).toBe(opened)
    const [event] = parseEventLogs({ abi: disputeGameAbi, eventName: 'Opened', logs: receipt.logs })
    expect(event.args.committed).toBe(true)
    expect((await c.state()).committed).toBe(true)
    await chain.passTime(WINDOW + 1n)
    expect(await c.claimTimeout()).toBe(true)
    expect((await c.state()).winner).toBe(chain.alice.account.address)
  })

  it('plays a committed game like any other: the honest committed defender wins', async () => {
    const { honest, liar } = traces(11, { step: 2, slot: 8, element: 5 })
    const { c, d } = await open(liar, honest, (await commit(honest)).signature)
    const g = await playOut(c, d)
    expect([g.phase, g.winner, g.committed]).toEqual([Phase.Done, chain.bob.account.address, true])
  })

  it('refuses a commitment the defender did not sign for these terms: BadCommitment', async () => {
    const { honest, liar } = traces(12, { step: 1, slot: 5, element: 0 })
    const other = await commit(honest) // bob signed the honest root; the game names the liar's
    const chainId = await chain.client.getChainId()
    for (const signature of [
      other.signature,
      (await commit(liar, undefined, 0)).signature, // the challenger's own signature
      (await commit(liar, { chainId: chainId + 1, game: chain.game })).signature, // another chain
      (await commit(liar, { chainId, game: chain.alice.account.address })).signature, // another contract
      '0x1234' as Hex,
    ])
      await expect(open(honest, liar, signature)).rejects.toThrow(/BadCommitment/)
    // A file whose terms were changed after signing does not read.
    const forged = { ...(await commit(liar)), root: honest.commits[STEPS].root }
    await expect(readTraceCommitment(JSON.stringify(forged))).rejects.toThrow(/TraceCommitmentError|not 0x/)
    await expect(readTraceCommitment(JSON.stringify({ ...forged, slots: -1 }))).rejects.toThrow(
      /slots malformed/,
    )
    await expect(readTraceCommitment('{"kind":"lockstep/step-trace"}')).rejects.toThrow(
      /Not a trace commitment/,
    )
  })
})

const lastOpen = async (id: bigint) =>
  (
    await chain.client.getContractEvents({
      address: chain.game,
      abi: disputeGameAbi,
      eventName: 'Opened',
      args: { id },
      fromBlock: 0n,
    })
  )[0]

describe('DisputeGame: named refusals', { timeout: 120_000 }, () => {
  it('refuses bad openings, wrong bonds and moves out of turn', async () => {
    const { honest, liar } = traces(8, { step: 5, slot: 8, element: 3 })
    const root = honest.commits[STEPS].root
    await expect(
      openGame(chain.client, chain.alice, honest, {
        game: chain.game,
        work,
        defender: chain.bob.account.address,
        defenderRoot: root,
        bond: BOND,
      }),
    ).rejects.toThrow(/SameRoot/)
    const { id, c, d } = await open(honest, liar)
    await expect(write('bob', 'join', [id], BOND - 1n)).rejects.toThrow(/WrongBond/)
    await expect(write('alice', 'join', [id], BOND)).rejects.toThrow(/NotYourTurn/)
    await d.move() // join
    await expect(write('alice', 'proposeStep', [id, root])).rejects.toThrow(/NotYourTurn/)
    await expect(write('bob', 'answerStep', [id, true, root])).rejects.toThrow(/WrongPhase/)
    await d.move() // propose
    await expect(write('alice', 'answerStep', [id, false, (await c.state()).dNode])).rejects.toThrow(
      /SameRoot/,
    )
  })

  it('refuses forged reveals, specs, elements and input proofs', async () => {
    const lie = { step: 2, slot: 7, element: 6 }
    const { honest, liar } = traces(9, lie)
    const { id, c, d } = await open(honest, liar)
    const zero: Hex = `0x${'00'.repeat(32)}`
    let g = await playOut(c, d, Phase.RevealD)
    await expect(write('bob', 'reveal', [id, zero, g.dNode])).rejects.toThrow(/BadReveal/)
    g = await playOut(c, d, Phase.Spec)
    const spec = { ...honest.program[g.slot], kind: 3 }
    await expect(write('alice', 'proveSpec', [id, spec, honest.programTree.proof(g.slot)])).rejects.toThrow(
      /BadSpecProof/,
    )
    g = await playOut(c, d, Phase.ElementD)
    const bits = liar.slots[g.hi][g.slot].bits[2 * g.count - 2 - g.pos]
    await expect(write('bob', 'openElement', [id, (bits ^ 1) >>> 0])).rejects.toThrow(/BadElement/)
    g = await playOut(c, d, Phase.Resolve)
    // The honest operands, then each one spoiled: a slot root from elsewhere, an element changed, a
    // row index moved.
    const [x, y] = c.operands(g)
    await expect(write('alice', 'resolve', [id, [{ ...x, root: y.root }, y]])).rejects.toThrow(/BadSlotProof/)
    const bitsX = [...(x.bits as number[])]
    bitsX[0] ^= 1
    await expect(write('alice', 'resolve', [id, [{ ...x, bits: bitsX }, y]])).rejects.toThrow(/BadInputProof/)
    const idx = [...(x.indices as bigint[])]
    idx[0] += 1n
    await expect(write('alice', 'resolve', [id, [{ ...x, indices: idx }, y]])).rejects.toThrow(
      /BadInputIndices/,
    )
    await expect(write('alice', 'resolveCopy', [id, x.root, x.slotProof])).rejects.toThrow(/BadCopyProof/)
    await write('alice', 'resolve', [id, [x, y]])
    g = await c.state()
    expect(g.winner).toBe(chain.alice.account.address)
  })
})

describe('DisputeGame: row ops, reductions and AdamW', { timeout: 180_000 }, () => {
  // rowProgram(4): 7 state slots, then matmul 7, layernorm 8, rmsnorm 9, softmax 10, matmul 11, AdamW's
  // p 12, m 13 and v 14, sum of rows 15, mean of columns 16 (read by no later step: lies in the last step).
  const ROW_STEPS = 4
  const sizes: Record<number, number> = {
    8: 2 * H,
    9: 2 * H,
    10: 2 * H,
    12: H * H,
    13: H * H,
    14: H * H,
    15: 2,
    16: H,
  }
  const rowTraces = (seed: number, lie: Lie) => {
    const initial = rowInitial(H, mulberry32(seed))
    const trees = new Map()
    return {
      honest: runProgram(rowProgram(H), initial, ROW_STEPS, { trees }),
      liar: runProgram(rowProgram(H), initial, ROW_STEPS, { lie, trees }),
    }
  }
  const resolveGas: string[] = []
  afterAll(() => console.log(`[gas] resolve, h = ${H}: ${resolveGas.join(', ')}`))

  for (const [slot, name, cheater] of [
    [8, 'layernorm', 'defender'],
    [9, 'rmsnorm', 'challenger'],
    [10, 'softmax', 'defender'],
    [12, 'AdamW p', 'challenger'],
    [13, 'AdamW m', 'defender'],
    [14, 'AdamW v', 'challenger'],
    [15, 'sum of rows', 'defender'],
    [16, 'mean of columns', 'challenger'],
  ] as const) {
    it(`names the cheating ${cheater} with the lie in ${name}`, async () => {
      const next = mulberry32(100 + slot)
      const lie = {
        step: slot >= 15 ? ROW_STEPS : 1 + (next() % ROW_STEPS),
        slot,
        element: next() % sizes[slot],
      }
      const { honest, liar } = rowTraces(slot, lie)
      const { c, d } = cheater === 'defender' ? await open(honest, liar) : await open(liar, honest)
      const winner = cheater === 'defender' ? chain.alice.account.address : chain.bob.account.address
      const g = await playOut(c, d)
      expect([g.winner, g.hi, g.slot, g.element]).toEqual([winner, lie.step, lie.slot, lie.element])
      const resolved = [...c.sent, ...d.sent].find((t) => t.move === 'resolve')!
      resolveGas.push(`${name} ${resolved.gas}`)
    })
  }

  for (const [slot, consts, why] of [
    [16, [1], 'a mean by rows whose output is not a column'],
    [8, [], 'a layernorm with no eps'],
  ] as const) {
    it(`refuses a program entry that does not fit its op (${why}): BadProgram, and the defender wins`, async () => {
      const program = rowProgram(H)
      const honestSpec = program[slot]
      program[slot] = { ...honestSpec, consts }
      // The traces computed as the well-formed entry says; only the program leaf is malformed.
      const run = (s: Spec, ins: Uint32Array[], step: number) =>
        runSlot(s.kind === honestSpec.kind ? honestSpec : s, ins, step)
      const initial = rowInitial(H, mulberry32(30 + slot))
      const lie = { step: ROW_STEPS, slot, element: 1 }
      const honest = runProgram(program, initial, ROW_STEPS, { run })
      const { c, d } = await open(honest, runProgram(program, initial, ROW_STEPS, { run, lie }))
      const g = await playOut(c, d, Phase.Resolve)
      expect(g.slot).toBe(slot)
      await expect(c.move()).rejects.toThrow(/BadProgram/)
      await chain.passTime(WINDOW + 1n)
      expect(await c.claimTimeout()).toBe(true)
      expect((await c.state()).winner).toBe(chain.bob.account.address)
    })
  }

  it('refuses forged operands of a layernorm by name, then convicts with the honest ones', async () => {
    const lie = { step: 2, slot: 8, element: 6 }
    const { honest, liar } = rowTraces(21, lie)
    const { id, c, d } = await open(honest, liar)
    const g = await playOut(c, d, Phase.Resolve)
    expect([g.slot, g.element, g.spec.kind]).toEqual([8, 6, ONCHAIN_OPS.layernorm])
    const [x, gamma, beta] = c.operands(g)
    const resolve = (xs: unknown[]) => write('alice', 'resolve', [id, xs])
    await expect(resolve([x, gamma])).rejects.toThrow(/WrongOperandCount/)
    // Row 1 of x is indices 4..7: the row before it, or one index moved, is not the element's row.
    const rowBefore = honest.slots[g.hi][7].tree.getMultiProof([0, 1, 2, 3])
    const forgedRow = {
      ...x,
      proof: rowBefore.proof,
      flags: rowBefore.proofFlags,
      indices: rowBefore.leaves.map((l) => l[0]),
      bits: rowBefore.leaves.map((l) => l[1]),
    }
    await expect(resolve([forgedRow, gamma, beta])).rejects.toThrow(/BadInputIndices/)
    const moved = [...(x.indices as bigint[])]
    moved[3] = 3n
    await expect(resolve([{ ...x, indices: moved }, gamma, beta])).rejects.toThrow(/BadInputIndices/)
    // gamma's element k = 2, swapped for element 3 with a valid proof of that one
    const other = honest.slots[g.hi][5].tree.getMultiProof([3])
    const forgedGamma = {
      ...gamma,
      proof: other.proof,
      flags: other.proofFlags,
      indices: [3n],
      bits: [other.leaves[0][1]],
    }
    await expect(resolve([x, forgedGamma, beta])).rejects.toThrow(/BadInputIndices/)
    await expect(resolve([x, { ...gamma, bits: [(gamma.bits as number[])[0] ^ 1] }, beta])).rejects.toThrow(
      /BadInputProof/,
    )
    await expect(resolve([x, { ...gamma, root: beta.root }, beta])).rejects.toThrow(/BadSlotProof/)
    await expect(resolve([x, beta, gamma])).rejects.toThrow(/BadSlotProof/)
    await resolve([x, gamma, beta])
    expect((await c.state()).winner).toBe(chain.alice.account.address)
  })
})

describe('DisputeGame: gas of a full dispute', { timeout: 120_000 }, () => {
  // steps × slots × output elements; the lie sits in the first matmul (K = h) of a step in the middle.
  for (const [steps, h] of [
    [6, 4],
    [16, 8],
  ]) {
    it(`${steps} steps, 10 slots, ${h}×${h} weights`, async () => {
      const lie = { step: Math.ceil(steps / 2) + 1, slot: 4, element: 3 }
      const { honest, liar } = traces(10 + steps, lie, steps, h)
      const { c, d, opened } = await open(honest, liar)
      const g = await playOut(c, d)
      expect(g.winner).toBe(chain.alice.account.address)
      const sent = [{ move: 'open', gas: opened }, ...c.sent, ...d.sent]
      const total = sent.reduce((a, t) => a + t.gas, 0n)
      const byMove = new Map<string, bigint[]>()
      for (const t of sent) byMove.set(t.move, [...(byMove.get(t.move) ?? []), t.gas])
      const each = [...byMove].map(
        ([m, gs]) => `${m} ×${gs.length} ${gs.reduce((a, b) => a + b, 0n) / BigInt(gs.length)}`,
      )
      console.log(
        `[gas] ${steps} steps, matmul K = ${h}: ${sent.length} transactions, ${total} gas: ${each.join(', ')}`,
      )
      expect(total).toBeLessThan(5_000_000n)
    })
  }
})
