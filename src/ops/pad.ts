// ONNX Pad: constant, edge, reflect and wrap modes over any axes, negative pads cropping. An exact copy
// of values (and of the constant) for every tensor type.
import { OnnxError, OnnxShapeError } from '../errors/infer.ts'
import { axesIn, type Node, type RunContext, type ShapeContext, type Tensor } from './onnx.ts'
import { defineOp, size } from './op.ts'

const MODES = ['constant', 'edge', 'reflect', 'wrap']

/** Per axis of the input, its leading and trailing pad (pads given for `axes` only, opset 18). */
function padsOf(c: Pick<ShapeContext, 'where' | 'ins'> & { ints: ShapeContext['ints'] }, rank: number) {
  const pads = c.ints(1, 'pads')
  const axes = c.ins[3] ? axesIn(c.where, c.ints(3, 'axes'), rank) : Array.from({ length: rank }, (_, i) => i)
  if (pads.length !== 2 * axes.length)
    throw new OnnxShapeError(
      `${c.where}: pads [${pads}] must hold two values for each of ${axes.length} axes.`,
    )
  const lead = new Array<number>(rank).fill(0)
  const trail = new Array<number>(rank).fill(0)
  axes.forEach((a, i) => {
    lead[a] = pads[i]
    trail[a] = pads[i + axes.length]
  })
  return { lead, trail }
}

function modeOf(where: string, node: Node): string {
  const mode = String(node.attrs.mode ?? 'constant')
  if (!MODES.includes(mode)) throw new OnnxError(`${where}: mode "${mode}" is not supported.`)
  return mode
}

/** The input index an output index reads along one axis of size d, or -1 for the constant. */
function source(mode: string, o: number, lead: number, d: number): number {
  const i = o - lead
  if (i >= 0 && i < d) return i
  if (mode === 'constant') return -1
  if (mode === 'edge') return i < 0 ? 0 : d - 1
  if (mode === 'wrap') return ((i % d) + d) % d
  // reflect: the edge value is not repeated (numpy's 'reflect'); pads are at most d − 1 (checked).
  return i < 0 ? -i : 2 * (d - 1) - i
}

export default defineOp({
  name: 'pad',
  onnx: {
    Pad: {
      inputs: [2, 4],
      shape: (c) => {
        const x = c.need(0)
        const mode = modeOf(c.where, c.node)
        if (c.opset < 19 && mode === 'wrap') throw new OnnxError(`${c.where}: mode "wrap" needs opset 19.`)
        if (c.ins[3] && c.opset < 18) throw new OnnxError(`${c.where}: the axes input needs opset 18.`)
        const { lead, trail } = padsOf(c, x.dims.length)
        const dims = x.dims.map((d, i) => d + lead[i] + trail[i])
        if (dims.some((d) => d < 0)) throw new OnnxShapeError(`${c.where}: pads crop [${x.dims}] below zero.`)
        x.dims.forEach((d, i) => {
          const widest = Math.max(lead[i], trail[i])
          if (mode !== 'constant' && widest > 0 && d === 0)
            throw new OnnxShapeError(`${c.where}: cannot pad an empty axis ${i} in mode ${mode}.`)
          if (mode === 'reflect' && widest > d - 1)
            throw new OnnxShapeError(`${c.where}: reflect pads of axis ${i} must be below its size ${d}.`)
          if (mode === 'wrap' && widest > d)
            throw new OnnxShapeError(`${c.where}: wrap pads of axis ${i} must not exceed its size ${d}.`)
        })
        const v = c.ins[2]
        if (v && (v.type !== x.type || size(v.dims) !== 1))
          throw new OnnxShapeError(`${c.where}: constant_value must be one ${x.type} value.`)
        return [{ type: x.type, dims }]
      },
      // A copy that may move one element at a time, with an index walk per element.
      cost: ({ out }) => ({ operations: 16 * out }),
      run: (c: RunContext) => {
        const x = c.ins[0]!
        const mode = modeOf(c.where, c.node)
        const { lead } = padsOf(c, x.dims.length)
        const dims = c.planned[0].dims
        const out = new (x.data.constructor as new (n: number) => Tensor['data'])(size(dims))
        const fill = c.ins[2]?.data[0]
        if (fill !== undefined && fill !== 0 && fill !== 0n) out.fill(fill as never)
        const idx = new Array<number>(dims.length).fill(0)
        const strides = x.dims.map((_, i) => size(x.dims.slice(i + 1)))
        for (let o = 0; o < out.length; o++) {
          let at = 0
          for (let a = 0; a < dims.length && at >= 0; a++) {
            const s = source(mode, idx[a], lead[a], x.dims[a])
            at = s < 0 ? -1 : at + s * strides[a]
          }
          if (at >= 0) out[o] = x.data[at]
          for (let a = dims.length - 1; a >= 0 && ++idx[a] === dims[a]; a--) idx[a] = 0
        }
        return [{ type: x.type, dims, data: out } as Tensor]
      },
    },
  },
})
