// A small ONNX graph builder for the test graphs that follow real exporters' patterns (gpt2.ts,
// llama.ts, bert.ts): nodes by op type with generated names, seeded random weights, int64 constants as
// Constant nodes (as torch.onnx emits them), symbolic input dims.
import onnxProto, { type onnx } from 'onnx-proto'
import { mulberry32 } from '../../util/random.ts'

// onnx-proto is CommonJS: its default export holds the namespace in Node's ESM and in Vite alike.
const pb = onnxProto.onnx
const D = pb.TensorProto.DataType
const A = pb.AttributeProto.AttributeType

/** A float attribute (a plain number is an int one). */
export const float = (f: number) => ({ f })
/** ConstantOfShape's value: a one-element tensor. */
export const fill = (type: 'float' | 'int64' | 'bool', v: number) => ({ fill: { type, v } })
type AttrValue = number | number[] | string | { f: number } | { fill: { type: string; v: number } }

/** float32's lowest finite value: what HF's masks add (torch.finfo(float32).min). */
export const FLOAT_MIN = -3.4028234663852886e38
/** int64's largest value: torch's `x[a:]` exports it as Slice's end. */
export const INT64_MAX = 9223372036854775807n

const TYPE = { float: D.FLOAT, int64: D.INT64, bool: D.BOOL } as const

function tensorProto(
  name: string,
  type: 'float' | 'int64' | 'bool',
  dims: number[],
  values: readonly (number | bigint)[],
): onnx.ITensorProto {
  if (type === 'float') {
    const data = Float32Array.from(values as number[])
    return { name, dims, dataType: D.FLOAT, rawData: new Uint8Array(data.buffer) }
  }
  if (type === 'int64') {
    const data = BigInt64Array.from(values, (v) => BigInt(v))
    return { name, dims, dataType: D.INT64, rawData: new Uint8Array(data.buffer) }
  }
  return { name, dims, dataType: D.BOOL, rawData: Uint8Array.from(values as number[]) }
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: A.INT, i: v }
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) }
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v }
  if ('f' in v) return { name, type: A.FLOAT, f: v.f }
  const t = v.fill.type as 'float' | 'int64' | 'bool'
  return { name, type: A.TENSOR, t: tensorProto('', t, [1], [t === 'int64' ? BigInt(v.fill.v) : v.fill.v]) }
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  readonly inputs: onnx.IValueInfoProto[] = []
  readonly outputs: onnx.IValueInfoProto[] = []
  #count = 0
  #next: () => number

  constructor(seed: number) {
    this.#next = mulberry32(seed)
  }

  /** A node with `outs` outputs (a count, named after the node, or the names); returns their names. */
  ops(
    op: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outs: number | string[] = 1,
  ): string[] {
    const name = `/${op}_${this.#count++}`
    const output = Array.isArray(outs) ? outs : Array.from({ length: outs }, (_, i) => `${name}_output_${i}`)
    this.nodes.push({
      opType: op,
      name,
      input: inputs,
      output,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    })
    return output
  }

  /** A node of one output; returns its name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.ops(op, inputs, attrs)[0]
  }

  /** A node whose one output has this name (a graph output); returns it. */
  named(name: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.ops(op, inputs, attrs, [name])[0]
  }

  /** A Constant node holding int64 values (dims [] for one scalar unless `dims` say otherwise). */
  ints(values: readonly (number | bigint)[], dims: number[] = [values.length]): string {
    const out = this.op('Constant', [])
    this.nodes.at(-1)!.attribute = [
      { name: 'value', type: A.TENSOR, t: tensorProto('', 'int64', dims, values) },
    ]
    return out
  }

  /** A scalar int64 Constant. */
  int(v: number): string {
    return this.ints([v], [])
  }

  /** A float Constant (a scalar unless dims are given). */
  floats(values: readonly number[], dims: number[] = []): string {
    const out = this.op('Constant', [])
    this.nodes.at(-1)!.attribute = [
      { name: 'value', type: A.TENSOR, t: tensorProto('', 'float', dims, values) },
    ]
    return out
  }

  /** An initializer of given values. */
  init(
    name: string,
    type: 'float' | 'int64' | 'bool',
    dims: number[],
    values: readonly (number | bigint)[],
  ): string {
    this.initializers.push(tensorProto(name, type, dims, values))
    return name
  }

  /** A float initializer of uniform values in [-scale, scale) (seeded), or `base` plus them. */
  weight(name: string, dims: number[], scale = 0.2, base = 0): string {
    const n = dims.reduce((a, b) => a * b, 1)
    const data = Array.from({ length: n }, () =>
      Math.fround(base + ((this.#next() / 2 ** 32) * 2 - 1) * scale),
    )
    return this.init(name, 'float', dims, data)
  }

  input(name: string, type: 'float' | 'int64' | 'bool', dims: (number | string)[]): string {
    const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }))
    this.inputs.push({ name, type: { tensorType: { elemType: TYPE[type], shape: { dim } } } })
    return name
  }

  output(name: string, type: 'float' | 'int64' | 'bool' = 'float'): void {
    this.outputs.push({ name, type: { tensorType: { elemType: TYPE[type] } } })
  }

  encode(name: string, opset: number): Uint8Array {
    const graph: onnx.IGraphProto = {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    }
    return pb.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      producerName: 'lockstep test graphs',
      graph,
    }).finish()
  }

  // ---- Patterns the exporters repeat ----

  /** Dim `axis` of x as an int64 scalar: Shape → Gather (torch's x.size(axis)). */
  dim(x: string, axis: number): string {
    return this.op('Gather', [this.op('Shape', [x]), this.int(axis)], { axis: 0 })
  }

  /** A 1-D int64 shape from scalars and constants: Unsqueeze each scalar, Concat (torch's view(...)). */
  shape(parts: (string | number)[]): string {
    const pieces = parts.map((p) =>
      typeof p === 'number' ? this.ints([p]) : this.op('Unsqueeze', [p, this.ints([0])]),
    )
    return this.op('Concat', pieces, { axis: 0 })
  }

  /** LayerNorm as opsets before 17 export it: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add. */
  layerNorm(x: string, g: string, b: string, eps = 1e-5): string {
    const mean = this.op('ReduceMean', [x], { axes: [-1], keepdims: 1 })
    const d = this.op('Sub', [x, mean])
    const v = this.op('ReduceMean', [this.op('Pow', [d, this.floats([2])])], { axes: [-1], keepdims: 1 })
    const std = this.op('Sqrt', [this.op('Add', [v, this.floats([eps])])])
    return this.op('Add', [this.op('Mul', [this.op('Div', [d, std]), g]), b])
  }

  /** [1, s, heads * d] → [1, heads, s, d]: Reshape by a computed shape, Transpose. */
  splitHeads(x: string, s: string, heads: number, d: number): string {
    return this.op('Transpose', [this.op('Reshape', [x, this.shape([1, s, heads, d])])], {
      perm: [0, 2, 1, 3],
    })
  }

  /** [1, heads, s, d] → [1, s, heads * d]. */
  mergeHeads(x: string, s: string, width: number): string {
    return this.op('Reshape', [this.op('Transpose', [x], { perm: [0, 2, 1, 3] }), this.shape([1, s, width])])
  }
}
