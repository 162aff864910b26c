// A party's side of the on-chain dispute game (contracts/referee/DisputeGame.sol): the program both
// accept, and per step the trace tree over its slots' output-tensor roots. This first slice builds the
// traces by running a program on the CPU references (src/disputes/gameOps.ts), not from the trainer's
// step traces; docs/disputes.md ("The game") says what is covered.
import type { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concatHex, keccak256, type Hex } from 'viem'
import { tensorTree } from './onchain.ts'
import { COPY, INPUT, inputLeaf, inputSlots, runSlot, specLeaf, type Spec } from './gameOps.ts'

const ZERO: Hex = `0x${'00'.repeat(32)}`

/** A complete binary tree of depth d in heap order, node = keccak256(left ‖ right): GameTrees.sol. */
export class PositionalTree {
  readonly depth: number
  readonly heap: Hex[]

  constructor(leaves: Hex[]) {
    let d = 0
    while (1 << d < leaves.length) d++
    this.depth = d
    const first = (1 << d) - 1
    this.heap = new Array<Hex>(2 * first + 1).fill(ZERO)
    leaves.forEach((l, i) => (this.heap[first + i] = l))
    for (let p = first - 1; p >= 0; p--)
      this.heap[p] = keccak256(concatHex([this.heap[2 * p + 1], this.heap[2 * p + 2]]))
  }

  get root(): Hex {
    return this.heap[0]
  }

  leaf(i: number): Hex {
    return this.heap[(1 << this.depth) - 1 + i]
  }

  children(pos: number): [Hex, Hex] {
    return [this.heap[2 * pos + 1], this.heap[2 * pos + 2]]
  }

  /** Siblings from the leaf up, as GameTrees.rootOf takes them. */
  proof(i: number): Hex[] {
    const out: Hex[] = []
    for (let p = (1 << this.depth) - 1 + i; p > 0; p = (p - 1) >> 1)
      out.push(this.heap[p % 2 ? p + 1 : p - 1])
    return out
  }
}

export function programTree(program: Spec[]): PositionalTree {
  return new PositionalTree(program.map(specLeaf))
}

export interface Slot {
  bits: Uint32Array
  tree: StandardMerkleTree<[bigint, number]>
}

/** One party's trace of a run: commits[0] is the initial tree, commits[s] and slots[s] step s's. */
export interface GameTrace {
  program: Spec[]
  programTree: PositionalTree
  commits: PositionalTree[]
  slots: Slot[][]
}

/**
 * A planted lie: element `element` of slot `slot` in step `step` has its top significand bit flipped
 * (a lie big enough not to round away before it reaches the final state).
 */
export interface Lie {
  step: number
  slot: number
  element: number
}

const f32 = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length)

export interface RunOptions {
  /** A lie to plant (an honest run has none). */
  lie?: Lie
  /**
   * Tensor trees by content (OpenZeppelin's tree costs ~0.1 ms a leaf in JS): pass one map to runs
   * that share most tensors, such as an honest and a lying trace.
   */
  trees?: Map<string, StandardMerkleTree<[bigint, number]>>
  /** Computes an op slot (default runSlot): lets a test stand in for an op the game does not cover. */
  run?: typeof runSlot
  /** The input slots of an op slot (default inputSlots), for such a stand-in. */
  inputs?: typeof inputSlots
  /**
   * The initial tree's data leaves, by leaf index (a sparse array): what INPUT slots read, leaf
   * consts[0] + (step − 1)·consts[1] at each step. They must not share a leaf with a COPY slot's state.
   */
  data?: Uint32Array[]
}

/**
 * Runs `steps` steps of `program` from `initial` (the tensor each COPY slot of step 1 reads, by slot)
 * and the per-step `data` INPUT slots read,
 * committing every slot; a lie, if any, is planted where it says and carried into everything after.
 */
export function runProgram(
  program: Spec[],
  initial: Uint32Array[],
  steps: number,
  { lie, trees = new Map(), run = runSlot, inputs = inputSlots, data = [] }: RunOptions = {},
): GameTrace {
  const treeOf = (bits: Uint32Array) => {
    const key = bits.join(',')
    let t = trees.get(key)
    if (!t) trees.set(key, (t = tensorTree(f32(bits))))
    return t
  }
  const leaves: Hex[] = new Array(Math.max(program.length, data.length)).fill(ZERO)
  data.forEach((bits, i) => (leaves[i] = treeOf(bits).root as Hex))
  program.forEach((s, j) => {
    if (s.kind !== COPY) return
    if (data[s.a]) throw new Error(`Initial leaf ${s.a} is both data and slot ${j}'s state.`)
    leaves[s.a] = treeOf(initial[j]).root as Hex
  })
  const commits = [new PositionalTree(leaves)]
  const slots: Slot[][] = [[]]
  for (let step = 1; step <= steps; step++) {
    const out: Slot[] = []
    program.forEach((s, j) => {
      const input = () => {
        const bits = data[inputLeaf(s, step)]
        if (!bits) throw new Error(`Slot ${j} reads initial leaf ${inputLeaf(s, step)}, which holds no data.`)
        return bits.slice()
      }
      let bits =
        s.kind === COPY
          ? (step === 1 ? initial[j] : slots[step - 1][s.a].bits).slice()
          : s.kind === INPUT
            ? input()
            : run(
                s,
                inputs(s).map((i) => out[i].bits),
                step,
              )
      if (lie && lie.step === step && lie.slot === j) (bits = bits.slice())[lie.element] ^= 0x400000
      out.push({ bits, tree: treeOf(bits) })
    })
    slots.push(out)
    commits.push(new PositionalTree(out.map((o) => o.tree.root as Hex)))
  }
  return { program, programTree: programTree(program), commits, slots }
}
