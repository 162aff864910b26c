// What the decoder and encoder operators refuse, by name, before or instead of computing something
// undefined: NaN cast to int64, a Range the budgets cannot hold, a Reshape whose shape would come from
// computed floats, type mismatches, bad slices; and bool inputs checked at the gate like the others.
import { describe, expect, it } from 'vitest'
import { InferenceBudgetError, InferenceInputError, OnnxError, OnnxShapeError } from '../../errors/infer.ts'
import { parseModel, type Tensor } from '../model.ts'
import { runModel, toTensors } from '../run.ts'
import { BaseError } from '../../errors/base.ts'
import { mulberry32 } from '../../util/random.ts'
import { bertEncoder } from './bert.ts'
import { GraphBuilder } from './builder.ts'
import { GPT2_TINY, gpt2Decoder } from './gpt2.ts'
import { LLAMA_TINY, llamaDecoder } from './llama.ts'
import { decoderFeeds, gpt2Layout, int64, llamaLayout } from './testing.ts'

const f32 = (dims: number[], values: number[]): Tensor => ({
  type: 'float',
  dims,
  data: Float32Array.from(values),
})

/** A graph of x (float [n]) and the nodes `build` adds, with output y. */
function graph(build: (b: GraphBuilder) => string, opset = 17, type: 'float' | 'int64' | 'bool' = 'float') {
  const b = new GraphBuilder(1)
  b.input('x', 'float', [3])
  b.input('n', 'int64', [3])
  b.ops('Identity', [build(b)], {}, ['y'])
  b.output('y', type)
  return parseModel(b.encode('refusal', opset))
}
const feeds = (x = [1, 2, 3]) =>
  new Map<string, Tensor>([
    ['x', f32([3], x)],
    ['n', int64([3], [1, 2, 3])],
  ])

describe('refusals of the decoder and encoder operators', () => {
  it('Cast of NaN, infinity or out-of-range values to int64, naming the node', () => {
    const m = graph((b) => b.op('Cast', ['x'], { to: 7 }), 17, 'int64')
    expect(runModel(m, feeds([1.5, -2.5, 3])).get('y')!.data).toEqual(BigInt64Array.of(1n, -2n, 3n))
    for (const bad of [NaN, Infinity, 1e19])
      expect(() => runModel(m, feeds([1, bad, 3]))).toThrow(/Cast \/Cast_0: .* cannot be cast to int64/)
    // float16 (10) is not a type this runtime has: refused by the shape pass, naming it.
    expect(() => graph((b) => b.op('Cast', ['x'], { to: 10 }))).not.toThrow()
    expect(() =>
      runModel(
        graph((b) => b.op('Cast', ['x'], { to: 10 })),
        feeds(),
      ),
    ).toThrow(/to=10/)
  })

  it('a Range beyond the budget before it is made, and a Range of zero step', () => {
    const huge = graph((b) => b.op('Range', [b.int(0), b.int(2 ** 40), b.int(1)]), 17, 'int64')
    expect(() => runModel(huge, feeds())).toThrow(InferenceBudgetError)
    const zero = graph((b) => b.op('Range', [b.int(0), b.int(5), b.int(0)]), 17, 'int64')
    expect(() => runModel(zero, feeds())).toThrow(OnnxShapeError)
  })

  it('a shape that would come from computed float data', () => {
    const m = graph((b) =>
      b.op('Reshape', ['x', b.op('Cast', [b.op('Mul', ['x', b.floats([1])])], { to: 7 })]),
    )
    expect(() => runModel(m, feeds())).toThrow(/Reshape .*: shape is computed from float data/)
  })

  it('Where on a non-bool condition, comparisons of mixed types, logic on non-bool, int64 division by zero', () => {
    expect(() =>
      runModel(
        graph((b) => b.op('Where', ['n', 'x', 'x'])),
        feeds(),
      ),
    ).toThrow(/condition must be bool/)
    expect(() =>
      runModel(
        graph((b) => b.op('Less', ['x', 'n']), 17, 'bool'),
        feeds(),
      ),
    ).toThrow(/input 1 is int64, input 0 is float/)
    expect(() =>
      runModel(
        graph((b) => b.op('Not', ['n']), 17, 'bool'),
        feeds(),
      ),
    ).toThrow(/takes bool/)
    expect(() =>
      runModel(
        graph((b) => b.op('Div', ['n', b.op('Sub', ['n', 'n'])]), 17, 'int64'),
        feeds(),
      ),
    ).toThrow(/int64 division by zero/)
  })

  it('Slice with step 0 or mismatched lengths, Trilu below rank 2, Expand that does not broadcast', () => {
    const run =
      (build: (b: GraphBuilder) => string, opset = 17) =>
      () =>
        runModel(graph(build, opset), feeds())
    expect(run((b) => b.op('Slice', ['x', b.ints([0]), b.ints([3]), b.ints([0]), b.ints([0])]))).toThrow(
      /step 0/,
    )
    expect(run((b) => b.op('Slice', ['x', b.ints([0, 1]), b.ints([3])]))).toThrow(/same length/)
    expect(run((b) => b.op('Trilu', ['x']))).toThrow(/rank 2 or more/)
    expect(run((b) => b.op('Trilu', ['x']), 13)).toThrow(/Trilu needs opset 14/)
    expect(run((b) => b.op('Expand', ['x', b.ints([2, 4])]))).toThrow(OnnxShapeError)
  })

  it('bool graph inputs take 0 and 1 only', () => {
    const b = new GraphBuilder(1)
    b.input('c', 'bool', [2])
    b.ops('Not', ['c'], {}, ['y'])
    b.output('y', 'bool')
    const m = parseModel(b.encode('bool', 17))
    expect(m.inputs[0].type).toBe('bool')
    const y = runModel(m, toTensors(m, { c: { dims: [2], data: [1, 0] } })).get('y')!
    expect(y).toEqual({ type: 'bool', dims: [2], data: Uint8Array.of(0, 1) })
    expect(() => toTensors(m, { c: { dims: [2], data: [1, 2] } })).toThrow(InferenceInputError)
    expect(() => toTensors(m, { c: { dims: [2], data: [1, 0.5] } })).toThrow(/not 0 or 1/)
  })

  it('bool initializers holding anything but 0 and 1', () => {
    const b = new GraphBuilder(1)
    b.init('c', 'bool', [2], [1, 2])
    b.ops('Not', ['c'], {}, ['y'])
    b.output('y', 'bool')
    expect(() => parseModel(b.encode('bool', 17))).toThrow(OnnxError)
  })
})

describe('damaged test graphs', () => {
  it('2,000 mutations of the GPT-2, LLaMA and BERT graphs: each runs or fails with a named error', () => {
    const graphs = [
      { bytes: gpt2Decoder(), feeds: decoderFeeds([3, 7, 1], new Map(), gpt2Layout(GPT2_TINY)) },
      { bytes: llamaDecoder(), feeds: decoderFeeds([3, 7, 1], new Map(), llamaLayout(LLAMA_TINY)) },
      {
        bytes: bertEncoder(),
        feeds: new Map(
          ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => [n, int64([1, 3], [1, 1, 0])]),
        ),
      },
    ]
    const next = mulberry32(18)
    let named = 0
    for (let i = 0; i < 2000; i++) {
      const { bytes: base, feeds } = graphs[i % 3]
      const bytes = new Uint8Array(base) // a copy (slice of a Node Buffer is a view)
      // The nodes come first in the encoding (field order); the weights after them rarely matter.
      for (let k = 0; k < 1 + (next() % 3); k++) bytes[next() % Math.floor(base.length / 3)] = next() & 255
      try {
        runModel(parseModel(bytes), feeds)
      } catch (e) {
        if (!(e instanceof BaseError))
          throw new Error(
            `mutation ${i}: unclear error ${e instanceof Error ? `${e.name}: ${e.message}` : e}`,
            {
              cause: e,
            },
          )
        named++
      }
    }
    console.log(`[onnx] damaged test graphs: ${named} of 2000 refused by name, the rest ran`)
    expect(named).toBeGreaterThan(200)
  }, 300_000)
})
