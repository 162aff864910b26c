// Each operator the decoder and encoder exports need, on its edge cases (negative and clamped slices,
// broadcasting, NaN and -0 in comparisons, empty results, int64 and bool), against onnxruntime-node.
// Exact operators (shapes, indices, copies, comparisons, Min/Max, int64 arithmetic) must agree bit for
// bit; Erf, Sin and Cos within a few f32 ulps of onnxruntime's own approximations.
import ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { parseModel, type Tensor } from '../model.ts'
import { runModel } from '../run.ts'
import { GraphBuilder, INT64_MAX, fill } from './builder.ts'
import { int64, ORT_TYPE, type GraphType } from './testing.ts'

const f32 = (dims: number[], values: number[]): Tensor => ({
  type: 'float',
  dims,
  data: Float32Array.from(values),
})
const bool = (dims: number[], values: number[]): Tensor => ({
  type: 'bool',
  dims,
  data: Uint8Array.from(values),
})
const ramp = (dims: number[], scale = 1, offset = 0) =>
  f32(
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i - offset) * scale),
  )

interface Case {
  opset?: number
  feeds: Record<string, Tensor>
  /** Adds the nodes; returns the outputs with their types. */
  build(b: GraphBuilder, x: (name: string) => string): [string, 'float' | 'int64' | 'bool'][]
  /** Absolute tolerance, in units of 2^-23 times max(1, |onnxruntime's value|): for Erf, Sin, Cos. */
  ulps?: number
}

const CASES: Record<string, Case> = {
  'Shape with start/end, Size': {
    opset: 15,
    feeds: { x: ramp([2, 3, 4, 5]) },
    build: (b, x) => [
      [b.op('Shape', [x('x')], { start: 1, end: -1 }), 'int64'],
      [b.op('Shape', [x('x')], { start: -10 }), 'int64'],
      [b.op('Size', [x('x')]), 'int64'],
    ],
  },
  'Slice: negative steps, clamped ends, negative axes, an empty result, int64': {
    feeds: { x: ramp([4, 6]), n: int64([7], [0, 1, 2, 3, 4, 5, 6]) },
    build: (b, x) => [
      [
        b.op('Slice', [x('x'), b.ints([-1, 1]), b.ints([-5, 100]), b.ints([0, -1]), b.ints([-2, 2])]),
        'float',
      ],
      [b.op('Slice', [x('x'), b.ints([3]), b.ints([1]), b.ints([1])]), 'float'],
      [b.op('Slice', [x('n'), b.ints([-3]), b.ints([INT64_MAX])]), 'int64'],
      [b.op('Slice', [x('n'), b.ints([10]), b.ints([-100]), b.ints([0]), b.ints([-3])]), 'int64'],
    ],
  },
  'Range: int64 up and down, float accumulated': {
    feeds: {},
    build: (b) => [
      [b.op('Range', [b.int(2), b.int(11), b.int(3)]), 'int64'],
      [b.op('Range', [b.int(5), b.int(-3), b.int(-2)]), 'int64'],
      [b.op('Range', [b.floats([0.5]), b.floats([3.1]), b.floats([0.7])]), 'float'],
    ],
  },
  'Where, Expand, Tile: broadcasting copies of float, int64 and bool': {
    feeds: {
      c: bool([2, 1, 3], [1, 0, 1, 0, 0, 1]),
      x: ramp([4, 3]),
      y: f32([1], [-7]),
      n: int64([3, 1], [4, 5, 6]),
    },
    build: (b, x) => [
      [b.op('Where', [x('c'), x('x'), x('y')]), 'float'],
      [b.op('Where', [x('c'), x('n'), b.int(-1)]), 'int64'],
      [b.op('Expand', [x('n'), b.ints([2, 3, 4])]), 'int64'],
      [b.op('Expand', [x('x'), b.ints([1])]), 'float'],
      [b.op('Expand', [x('c'), b.ints([2, 4, 3])]), 'bool'],
      [b.op('Tile', [x('x'), b.ints([2, 3])]), 'float'],
    ],
  },
  'Comparisons with NaN and -0, logic': {
    feeds: {
      a: f32([6], [1, NaN, -0, 2, -Infinity, 3]),
      b: f32([6], [1, NaN, 0, 1, -Infinity, 4]),
      i: int64([2, 1], [3, -2]),
      j: int64([3], [-2, 3, 5]),
    },
    build: (b, x) => {
      const out: [string, 'bool'][] = []
      for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) {
        out.push([b.op(op, [x('a'), x('b')]), 'bool'], [b.op(op, [x('i'), x('j')]), 'bool'])
      }
      const lt = b.op('Less', [x('i'), x('j')])
      const eq = b.op('Equal', [x('i'), x('j')])
      out.push([b.op('Not', [lt]), 'bool'], [b.op('And', [lt, eq]), 'bool'], [b.op('Or', [lt, eq]), 'bool'])
      out.push([b.op('Equal', [lt, b.op('Not', [eq])]), 'bool'])
      return out
    },
  },
  'ConstantOfShape and Trilu (upper and lower, k of either sign)': {
    opset: 14,
    feeds: { x: ramp([2, 3, 4], 1, 5), m: bool([3, 3], [1, 1, 1, 1, 1, 1, 1, 1, 1]) },
    build: (b, x) => [
      [b.op('ConstantOfShape', [b.ints([2, 3])]), 'float'],
      [b.op('ConstantOfShape', [b.ints([3])], { value: fill('int64', -4) }), 'int64'],
      [b.op('ConstantOfShape', [b.ints([2, 2])], { value: fill('bool', 1) }), 'bool'],
      [b.op('Trilu', [x('x')]), 'float'],
      [b.op('Trilu', [x('x'), b.int(2)]), 'float'],
      [b.op('Trilu', [x('x'), b.int(-1)], { upper: 0 }), 'float'],
      [b.op('Trilu', [x('m'), b.int(1)], { upper: 0 }), 'bool'],
    ],
  },
  'Min, Max (three inputs, broadcast), ReduceMax, ReduceMin (opset 18: axes input)': {
    opset: 18,
    feeds: { x: ramp([3, 4], 0.75, 5), y: f32([4], [0, -0, 2, -3]), i: int64([2, 3], [5, -1, 7, 0, 8, -9]) },
    build: (b, x) => [
      [b.op('Max', [x('x'), x('y'), b.floats([1.5])]), 'float'],
      [b.op('Min', [x('x'), x('y')]), 'float'],
      [b.op('Max', [x('i'), b.ints([2])]), 'int64'],
      [b.op('ReduceMax', [x('x'), b.ints([1])], { keepdims: 1 }), 'float'],
      [b.op('ReduceMin', [x('x'), b.ints([0])], { keepdims: 0 }), 'float'],
      [b.op('ReduceMax', [x('i')], { keepdims: 0 }), 'int64'],
      [b.op('ReduceMin', [x('i'), b.ints([-1])]), 'int64'],
    ],
  },
  'ReduceMax with axes as an attribute (opset 13)': {
    opset: 13,
    feeds: { x: ramp([2, 3, 2], -0.5, 3) },
    build: (b, x) => [[b.op('ReduceMax', [x('x')], { axes: [0, 2], keepdims: 0 }), 'float']],
  },
  'CumSum: inclusive, exclusive, reverse; float and int64': {
    feeds: { x: ramp([2, 5], 0.3, 4), n: int64([2, 3], [1, 1, 0, 1, 1, 1]) },
    build: (b, x) => [
      [b.op('CumSum', [x('x'), b.int(1)]), 'float'],
      [b.op('CumSum', [x('x'), b.int(-1)], { exclusive: 1, reverse: 1 }), 'float'],
      [b.op('CumSum', [x('n'), b.int(1)]), 'int64'],
      [b.op('CumSum', [x('n'), b.int(0)], { exclusive: 1 }), 'int64'],
    ],
  },
  'Cast between float, int64 and bool (toward zero to int64)': {
    feeds: { x: f32([6], [2.7, -2.7, -0.5, 0, -0, 1e9]), n: int64([3], [0, -5, 3]), c: bool([2], [1, 0]) },
    build: (b, x) => [
      [b.op('Cast', [x('x')], { to: 7 }), 'int64'],
      [b.op('Cast', [x('x')], { to: 9 }), 'bool'],
      [b.op('Cast', [x('n')], { to: 9 }), 'bool'],
      [b.op('Cast', [x('c')], { to: 1 }), 'float'],
      [b.op('Cast', [x('c')], { to: 7 }), 'int64'],
      [b.op('Cast', [x('n')], { to: 1 }), 'float'],
    ],
  },
  'Cast of int64 beyond 2^53 to float rounds once (no double rounding through a double)': {
    feeds: {
      n: {
        type: 'int64',
        dims: [4],
        data: BigInt64Array.of(
          2n ** 60n + 2n ** 36n + 1n,
          -(2n ** 60n + 2n ** 36n + 1n),
          2n ** 62n - 1n,
          2n ** 54n + 3n,
        ),
      },
    },
    build: (b, x) => [[b.op('Cast', [x('n')], { to: 1 }), 'float']],
  },
  'int64 Add, Sub, Mul, Div (toward zero), Neg, Abs, Concat, Gather, Transpose, Unsqueeze, Squeeze, Reshape':
    {
      feeds: {
        i: int64([2, 3], [7, -7, 9, 4, -3, 0]),
        j: int64([3], [2, 2, -4]),
        c: bool([2, 3], [1, 0, 0, 1, 1, 0]),
      },
      build: (b, x) => [
        [b.op('Add', [x('i'), x('j')]), 'int64'],
        [b.op('Sub', [x('i'), x('j')]), 'int64'],
        [b.op('Mul', [x('i'), x('j')]), 'int64'],
        [b.op('Div', [x('i'), x('j')]), 'int64'],
        [b.op('Neg', [x('i')]), 'int64'],
        [b.op('Abs', [x('i')]), 'int64'],
        [b.op('Concat', [x('i'), b.op('Unsqueeze', [x('j'), b.ints([0])])], { axis: 0 }), 'int64'],
        [b.op('Gather', [x('c'), b.ints([1, 0, 1])], { axis: 1 }), 'bool'],
        [b.op('Transpose', [x('c')], { perm: [1, 0] }), 'bool'],
        [b.op('Squeeze', [b.op('Reshape', [x('c'), b.ints([1, 6, 1])]), b.ints([0, 2])]), 'bool'],
      ],
    },
  'Erf, Sin, Cos, Reciprocal': {
    feeds: {
      x: f32([12], [0, -0, 1e-6, 0.3, -0.5, 0.53, 1, -2.5, 3.9, 4, 7, -100]),
      r: f32([8], [0, 0.1, -1.3, 3.14159274, 100, -1000, 12345.6, 50000]),
    },
    ulps: 4,
    build: (b, x) => [
      [b.op('Erf', [x('x')]), 'float'],
      [b.op('Sin', [x('r')]), 'float'],
      [b.op('Cos', [x('r')]), 'float'],
      [b.op('Reciprocal', [x('x')]), 'float'],
    ],
  },
}

describe('decoder and encoder operators agree with onnxruntime-node', () => {
  it.each(Object.entries(CASES))('%s', async (_, c) => {
    const b = new GraphBuilder(1)
    for (const [name, t] of Object.entries(c.feeds)) b.input(name, t.type as GraphType, t.dims)
    const outs = c.build(b, (n) => n)
    outs.forEach(([name, type]) => b.output(name, type))
    const bytes = b.encode('case', c.opset ?? 17)
    const feeds = new Map(Object.entries(c.feeds))
    const ours = runModel(parseModel(bytes), feeds)
    const session = await ort.InferenceSession.create(bytes)
    const theirs = await session.run(
      Object.fromEntries(
        Object.entries(c.feeds).map(([k, t]) => [
          k,
          new ort.Tensor(ORT_TYPE[t.type], t.data as never, t.dims),
        ]),
      ),
    )
    for (const [name, type] of outs) {
      const got = ours.get(name)!
      const want = theirs[name]
      expect(got.type, name).toBe(type)
      expect(got.dims, name).toEqual([...want.dims])
      const g = Array.from(got.data as ArrayLike<number>, Number)
      const w = Array.from(want.data as ArrayLike<number>, Number)
      if (type !== 'float' || !c.ulps) expect(g, name).toEqual(w)
      else
        g.forEach((v, i) => {
          if (Object.is(v, w[i])) return
          expect(Math.abs(v - w[i]), `${name}[${i}] ${v} vs ${w[i]}`).toBeLessThanOrEqual(
            c.ulps! * 2 ** -23 * Math.max(1, Math.abs(w[i])),
          )
        })
    }
  })
})
