// ONNX Trilu (the upper or lower triangle of the last two axes, the rest zero: causal masks) and
// CumSum (running sums along one axis: HF exporters make position_ids from attention_mask with it).
// Exact for int64 and bool; a float CumSum is a fixed left-to-right sequence of rounded f32 adds
// (reversed when `reverse`), which is also onnxruntime's order.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import * as sf from '../kernels/softfloat.ts'
import { allocBits, axisIn, bitsOf, fromBits, typeIn, typed, type OnnxOp, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

/** A scalar int64 input's value (Trilu's k, CumSum's axis), or `fallback` when it is absent. */
function scalarInt(
  c: { where: string; ins: readonly unknown[]; ints(i: number, w: string): number[] },
  i: number,
  what: string,
  fallback: number,
): number {
  if (!c.ins[i]) return fallback
  const v = c.ints(i, what)
  if (v.length !== 1) throw new OnnxShapeError(`${c.where}: ${what} must hold one value, got ${v.length}.`)
  return v[0]
}

const Trilu: OnnxOp = {
  inputs: [1, 2],
  since: 14,
  shape: (c) => {
    const x = c.need(0)
    if (x.dims.length < 2)
      throw new OnnxShapeError(`${c.where}: the input must have rank 2 or more, got [${x.dims}].`)
    scalarInt(c, 1, 'k', 0)
    return [{ type: x.type, dims: x.dims }]
  },
  run: (c) => {
    const x = c.ins[0]!
    const k = scalarInt(c, 1, 'k', 0)
    const upper = c.node.attrs.upper !== 0
    const [rows, cols] = x.dims.slice(-2)
    const [src, out] = [bitsOf(x), allocBits(x.type, x.data.length)]
    for (let o = 0; o < out.length; o++) {
      const j = o % cols
      const i = Math.floor(o / cols) % rows
      if (upper ? j - i >= k : j - i <= k) out[o] = src[o]
    }
    return [fromBits(x.type, x.dims, out)]
  },
}

const CumSum: OnnxOp = {
  inputs: [2, 2],
  shape: (c) => {
    const x = c.need(0)
    typeIn(c.where, x, 0, ['float', 'int64'])
    if (!x.dims.length) throw new OnnxShapeError(`${c.where}: a scalar has no axis to sum along.`)
    axisIn(c.where, scalarInt(c, 1, 'axis', 0), Math.max(1, x.dims.length))
    return [{ type: x.type, dims: x.dims }]
  },
  run: (c) => {
    const x = c.ins[0] as Tensor
    if (x.type === 'bool') throw new OnnxError(`${c.where}: bool is not summed.`)
    const axis = axisIn(c.where, scalarInt(c, 1, 'axis', 0), Math.max(1, x.dims.length))
    const exclusive = c.node.attrs.exclusive === 1
    const reverse = c.node.attrs.reverse === 1
    const d = x.dims[axis] ?? 1
    const inner = size(x.dims.slice(axis + 1))
    const outer = x.data.length / Math.max(1, d * inner)
    const isInt = x.type === 'int64'
    const out = isInt ? new BigInt64Array(x.data.length) : new Float32Array(x.data.length)
    for (let o = 0; o < outer; o++)
      for (let q = 0; q < inner; q++) {
        let acc: number | bigint = isInt ? 0n : 0
        for (let t = 0; t < d; t++) {
          const at = (o * d + (reverse ? d - 1 - t : t)) * inner + q
          const v = x.data[at]
          // The first sum is the value itself (a -0 stays -0, as in onnxruntime), then rounded adds.
          const next = () =>
            t === 0
              ? isInt
                ? v
                : sf.canon(v as number)
              : isInt
                ? BigInt.asIntN(64, (acc as bigint) + (v as bigint))
                : sf.add(acc as number, v as number)
          if (!exclusive) acc = next()
          out[at] = acc as never
          if (exclusive) acc = next()
        }
      }
    return [typed(x.type, x.dims, out)]
  },
}

export default defineOp({ name: 'trilu', onnx: { Trilu, CumSum } })
