// Cast as release bits/1 ran it (src/receipts/releases.ts), frozen when bits/2 widened it to six types
// and made int64 → float round once: bits/1 went through a double (Math.fround(Number(v))), which rounds
// twice for some values beyond 2^53. A receipt that names bits/1 is re-executed with this.
import { OnnxError } from '../../errors/infer.ts'
import { float, type OnnxOp } from '../onnx.ts'

export const Cast: OnnxOp = {
  inputs: [1, 1],
  shape: ({ node, where, need }) => {
    const x = need(0)
    if (node.attrs.to === 1) return [{ type: 'float', dims: x.dims }]
    if (node.attrs.to === 7 && x.type === 'int64') return [{ type: x.type, dims: x.dims }]
    throw new OnnxError(
      `${where}: only casts to float (and int64 to int64) are supported; got to=${node.attrs.to}.`,
    )
  },
  // A cast to the input's own type is a view.
  cost: ({ ins, outs, out }) =>
    ins[0]?.type === outs[0].type ? { operations: 0, view: true } : { operations: 4 * out },
  run: ({ node, where, ins }) => {
    const x = ins[0]!
    if (node.attrs.to === 1)
      return [
        x.type === 'float'
          ? x
          : float(
              x.dims,
              Float32Array.from(x.data as BigInt64Array, (v) => Math.fround(Number(v))),
            ),
      ]
    if (node.attrs.to === 7 && x.type === 'int64') return [x]
    throw new OnnxError(
      `${where}: only casts to float (and int64 to int64) are supported; got to=${node.attrs.to}.`,
    )
  },
}
