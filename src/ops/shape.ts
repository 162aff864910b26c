// ONNX operators that make shapes and index ranges: Shape, Size, ConstantOfShape, Range. Their values
// are exact (int64 arithmetic, or a fill); the shape pass computes the int64 ones as it goes, so a
// Reshape or Expand downstream knows its target before anything runs. They stay on the CPU.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import * as sf from '../kernels/softfloat.ts'
import { alloc, float, typed, vectorIn, type Meta, type OnnxOp, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

const int64 = (dims: number[], values: readonly number[]): Tensor => ({
  type: 'int64',
  dims,
  data: BigInt64Array.from(values, BigInt),
})

/** Shape's [start, end) over the rank: negative from the end, clamped to [0, rank] (opset 15). */
function shapeRange(attrs: Record<string, unknown>, rank: number): [number, number] {
  const clamp = (v: unknown, fallback: number) => {
    const n = typeof v === 'number' ? v : fallback
    return Math.min(rank, Math.max(0, n < 0 ? n + rank : n))
  }
  return [clamp(attrs.start, 0), clamp(attrs.end, rank)]
}

/** One scalar (or one-element) input's value, refused unless its value is known to the shape pass. */
function scalar(where: string, t: Meta, what: string): number {
  if (t.dims.length !== 0) throw new OnnxShapeError(`${where}: ${what} must be a scalar, got [${t.dims}].`)
  if (!t.data)
    throw new OnnxError(`${where}: ${what} is computed from float data; only known values are supported.`)
  return Number(t.data[0])
}

/** Range's element count, max(ceil((limit - start) / delta), 0), as onnxruntime computes it. */
function rangeCount(where: string, type: string, start: number, limit: number, delta: number): number {
  if (delta === 0 || !Number.isFinite(start) || !Number.isFinite(limit) || !Number.isFinite(delta))
    throw new OnnxShapeError(`${where}: Range(${start}, ${limit}, ${delta}) is not a finite range.`)
  // float: the difference rounds to f32 first, then the quotient is taken in double (onnxruntime's form).
  const span = type === 'float' ? sf.sub(limit, start) : limit - start
  const n = Math.max(Math.ceil(span / delta), 0)
  if (!Number.isSafeInteger(n)) throw new OnnxShapeError(`${where}: Range has ${n} elements.`)
  return n
}

const Range: OnnxOp = {
  inputs: [3, 3],
  shape: ({ where, need }) => {
    const [s, l, d] = [need(0), need(1), need(2)]
    if (s.type === 'bool' || l.type !== s.type || d.type !== s.type)
      throw new OnnxError(`${where}: start, limit and delta must be all float or all int64.`)
    const v = [scalar(where, s, 'start'), scalar(where, l, 'limit'), scalar(where, d, 'delta')]
    return [{ type: s.type, dims: [rangeCount(where, s.type, v[0], v[1], v[2])] }]
  },
  run: ({ ins, planned }) => {
    const [s, , d] = ins as Tensor[]
    const n = planned[0].dims[0]
    if (s.type === 'int64') {
      const [a, b] = [s.data[0], (d.data as BigInt64Array)[0]]
      return [
        { type: 'int64', dims: [n], data: BigInt64Array.from({ length: n }, (_, i) => a + BigInt(i) * b) },
      ]
    }
    // float: start, start + delta, ... each a rounded f32 add, as onnxruntime accumulates.
    const out = new Float32Array(n)
    let v = s.data[0] as number
    const step = d.data[0] as number
    for (let i = 0; i < n; i++, v = sf.add(v, step)) out[i] = v
    return [float([n], out)]
  },
}

export default defineOp({
  name: 'shape',
  onnx: {
    Shape: {
      inputs: [1, 1],
      dimsOnly: true,
      shape: ({ node, need }) => {
        const [a, b] = shapeRange(node.attrs, need(0).dims.length)
        return [{ type: 'int64', dims: [Math.max(0, b - a)] }]
      },
      run: ({ node, ins }) => {
        const d = ins[0]!.dims
        const [a, b] = shapeRange(node.attrs, d.length)
        return [int64([Math.max(0, b - a)], d.slice(a, b))]
      },
    },
    Size: {
      inputs: [1, 1],
      dimsOnly: true,
      shape: () => [{ type: 'int64', dims: [] }],
      run: ({ ins }) => [int64([], [size(ins[0]!.dims)])],
    },
    ConstantOfShape: {
      inputs: [1, 1],
      shape: (c) => {
        const { node, where } = c
        const dims = vectorIn(c, 0, 'shape')
        if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
          throw new OnnxShapeError(`${where}: shape [${dims}] has a negative dim.`)
        const v = node.attrs.value
        if (v === undefined) return [{ type: 'float', dims }]
        if (typeof v !== 'object' || Array.isArray(v) || v.data.length !== 1)
          throw new OnnxError(`${where}: value must be a one-element tensor.`)
        return [{ type: v.type, dims }]
      },
      run: ({ node, planned }) => {
        const v = node.attrs.value as Tensor | undefined
        const { type, dims } = planned[0]
        const data = alloc(type, size(dims))
        if (v) (data as Float32Array).fill(v.data[0] as number)
        return [typed(type, dims, data)]
      },
    },
    Range,
  },
})
