// ONNX index operators that copy values of any type: Slice (opset 13: starts, ends, axes, steps as
// inputs), Expand (bidirectional broadcast to a shape), Tile (repeats). Exact copies on the CPU; the
// index arithmetic is the shape pass's, so every read is in bounds.
import { OnnxShapeError } from '../errors/infer.ts'
import {
  allocBits,
  axesIn,
  bitsOf,
  broadcastDims,
  broadcastOffsets,
  fromBits,
  vectorIn,
  type OnnxOp,
  type Tensor,
} from './onnx.ts'
import { defineOp, size } from './op.ts'

interface SliceAxis {
  start: number
  step: number
  count: number
}

/** Each axis's first index, step and count, by the ONNX rules: negatives from the end, then clamped. */
function sliceAxes(
  where: string,
  dims: readonly number[],
  starts: number[],
  ends: number[],
  axesIn_: number[] | null,
  steps: number[] | null,
): SliceAxis[] {
  if (
    ends.length !== starts.length ||
    (axesIn_ && axesIn_.length !== starts.length) ||
    (steps && steps.length !== starts.length)
  )
    throw new OnnxShapeError(`${where}: starts, ends, axes and steps must have the same length.`)
  const axes = axesIn_ ? axesIn(where, axesIn_, dims.length) : starts.map((_, i) => i)
  if (axes.some((a) => a >= dims.length))
    throw new OnnxShapeError(`${where}: more starts than axes of [${dims}].`)
  const out: SliceAxis[] = dims.map((d) => ({ start: 0, step: 1, count: d }))
  axes.forEach((axis, i) => {
    const d = dims[axis]
    const step = steps ? steps[i] : 1
    if (step === 0 || !Number.isFinite(step)) throw new OnnxShapeError(`${where}: step 0 on axis ${axis}.`)
    const norm = (v: number) => (v < 0 ? v + d : v)
    let s = norm(starts[i])
    let e = norm(ends[i])
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d)
      e = Math.min(Math.max(e, 0), d)
    } else {
      s = Math.min(Math.max(s, 0), d - 1)
      e = Math.min(Math.max(e, -1), d - 1)
    }
    const count = Math.max(0, Math.ceil((e - s) / step))
    out[axis] = { start: s, step, count }
  })
  return out
}

/** Copies the elements of x at the index (start + i * step) per axis. */
function gatherStrided(x: Tensor, axes: SliceAxis[]): Tensor {
  const dims = axes.map((a) => a.count)
  const rank = dims.length
  const strides = new Array<number>(rank)
  for (let i = rank - 1, k = 1; i >= 0; i--) {
    strides[i] = k
    k *= x.dims[i]
  }
  const n = size(dims)
  const src = bitsOf(x)
  const out = allocBits(x.type, n)
  const idx = new Array<number>(rank).fill(0)
  let at = axes.reduce((s, a, i) => s + a.start * strides[i], 0)
  for (let o = 0; o < n; o++) {
    out[o] = src[at]
    for (let i = rank - 1; i >= 0; i--) {
      at += axes[i].step * strides[i]
      if (++idx[i] < dims[i]) break
      at -= axes[i].step * strides[i] * dims[i]
      idx[i] = 0
    }
  }
  return fromBits(x.type, dims, out)
}

const optionalInts = (
  c: { ins: readonly unknown[] },
  i: number,
  ints: (i: number, w: string) => number[],
  what: string,
) => (c.ins[i] ? ints(i, what) : null)

const Slice: OnnxOp = {
  inputs: [3, 5],
  shape: (c) => {
    const x = c.need(0)
    const a = sliceAxes(
      c.where,
      x.dims,
      vectorIn(c, 1, 'starts'),
      vectorIn(c, 2, 'ends'),
      c.ins[3] ? vectorIn(c, 3, 'axes') : null,
      c.ins[4] ? vectorIn(c, 4, 'steps') : null,
    )
    return [{ type: x.type, dims: a.map((v) => v.count) }]
  },
  cost: ({ out }) => ({ operations: 16 * out }),
  run: (c) => {
    const x = c.ins[0]!
    const a = sliceAxes(
      c.where,
      x.dims,
      c.ints(1, 'starts'),
      c.ints(2, 'ends'),
      optionalInts(c, 3, c.ints, 'axes'),
      optionalInts(c, 4, c.ints, 'steps'),
    )
    return [gatherStrided(x, a)]
  },
}

/** x's values at the broadcast offsets of `dims`: the copy behind Expand (and Where, Trilu's masks). */
function expandTo(x: Tensor, dims: number[]): Tensor {
  const off = broadcastOffsets(dims, x.dims)
  const [src, out] = [bitsOf(x), allocBits(x.type, off.length)]
  for (let o = 0; o < off.length; o++) out[o] = src[off[o]]
  return fromBits(x.type, dims, out)
}

const Expand: OnnxOp = {
  inputs: [2, 2],
  shape: (c) => {
    const { where, need } = c
    const shape = vectorIn(c, 1, 'shape')
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new OnnxShapeError(`${where}: shape [${shape}] has a negative dim.`)
    return [{ type: need(0).type, dims: broadcastDims(where, need(0).dims, shape) }]
  },
  cost: ({ out }) => ({ operations: 16 * out, scratch: out }),
  run: ({ ins, planned }) => [expandTo(ins[0]!, planned[0].dims)],
}

const Tile: OnnxOp = {
  inputs: [2, 2],
  shape: (c) => {
    const { where, need } = c
    const x = need(0).dims
    const reps = vectorIn(c, 1, 'repeats')
    if (reps.length !== x.length || reps.some((r) => !Number.isSafeInteger(r) || r < 0))
      throw new OnnxShapeError(`${where}: repeats [${reps}] do not fit rank ${x.length}.`)
    return [{ type: need(0).type, dims: x.map((d, i) => d * reps[i]) }]
  },
  cost: ({ out }) => ({ operations: 16 * out }),
  run: ({ ins, planned }) => {
    const x = ins[0]!
    const dims = planned[0].dims
    const [src, out] = [bitsOf(x), allocBits(x.type, size(dims))]
    const rank = dims.length
    const idx = new Array<number>(rank).fill(0)
    for (let o = 0; o < out.length; o++) {
      let at = 0
      for (let i = 0; i < rank; i++) at = at * x.dims[i] + (idx[i] % x.dims[i])
      out[o] = src[at]
      for (let i = rank - 1; i >= 0 && ++idx[i] === dims[i]; i--) idx[i] = 0
    }
    return [fromBits(x.type, dims, out)]
  },
}

export default defineOp({
  name: 'slice',
  onnx: { Slice, Expand, Tile },
})
