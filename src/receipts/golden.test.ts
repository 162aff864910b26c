// Golden vectors per release (golden.ts, docs/receipts.md#kernel-library-releases): every release this
// verifier runs must give its record back, bit for bit, with its op set and training backend: a change
// that silently alters an old release's bits fails here, and a new library hash may join a release (as
// "the same bits") only while this passes. The suite's builder and its recorder live here.
// GOLDEN_WRITE=1 records the current release (a new one, or new graphs for it; never other bits).
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cpuBackend } from '../train/cpu.ts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { kjvBytes } from '../train/testing.ts'
import { defaultTrainConfig } from '../train/trainer.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import {
  cnnModel,
  dynamicCnnModel,
  dynamicMlpModel,
  graphModel,
  qdqMlpModel,
  qoperatorModel,
  rand,
  zooModel,
} from '../infer/testing.ts'
import { parseModel } from '../infer/model.ts'
import { GraphBuilder } from '../infer/graphs/builder.ts'
import { gpt2Decoder } from '../infer/graphs/gpt2.ts'
import { llamaDecoder } from '../infer/graphs/llama.ts'
import { bertEncoder } from '../infer/graphs/bert.ts'
import { RELEASES, localRelease, resolveRelease } from './releases.ts'
import {
  checkGoldenOnnx,
  checkGoldenTraining,
  goldenOutputHash,
  goldenTrainingHashes,
  releaseHash,
  suiteModel,
  type Golden,
} from './golden.ts'

const FILE = 'src/receipts/golden.json'

/**
 * Where bits/2 changed bits/1 (src/ops/frozen/): Squeeze with an empty axes input (bits/1 squeezed
 * nothing, bits/2 every axis of size 1) and Cast of an int64 beyond 2^53 to float (bits/1 rounded twice,
 * through a double; bits/2 once). 2^60 + 2^36 + 1 is just past halfway between two f32s: rounded once it
 * goes up, through the double it lands on the halfway point and ties to even, down.
 */
function edgesModel(): Uint8Array {
  const b = new GraphBuilder(1)
  b.input('x', 'float', [2, 1, 3])
  const none = b.init('none', 'int64', [0], [])
  const big = 2n ** 60n + 2n ** 36n + 1n
  const ints = b.init('big', 'int64', [2], [big, -big])
  b.named('squeezed', 'Squeeze', ['x', none])
  b.named('cast', 'Cast', [ints], { to: 1 })
  b.output('squeezed')
  b.output('cast')
  return b.encode('edges', 17)
}

/** bits/2's operators the test graphs below do not use, in one graph of their own. */
function ops2Model(): Uint8Array {
  const b = new GraphBuilder(5)
  b.input('x', 'float', [1, 2, 4, 4])
  const ap = b.op('AveragePool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] })
  const pd = b.op('Pad', ['x', b.ints([0, 0, 1, 1, 0, 0, 1, 1])])
  const rmax = b.op('ReduceMax', [pd], { axes: [2, 3], keepdims: 0 })
  const rmin = b.op('ReduceMin', [ap], { axes: [2, 3], keepdims: 0 })
  const [mx, mn] = [b.op('Max', [rmax, rmin]), b.op('Min', [rmax, rmin])]
  const less = b.op('Less', [mx, mn])
  b.named('and', 'And', [b.op('Greater', [mx, mn]), b.op('Not', [less])])
  b.named('or', 'Or', [b.op('GreaterOrEqual', [mn, mx]), less])
  b.named('cumsum', 'CumSum', [rmax, b.int(1)])
  b.named('tile', 'Tile', [rmin, b.ints([1, 3])])
  b.named('size', 'Size', ['x'])
  for (const [name, type] of [
    ['and', 'bool'],
    ['or', 'bool'],
    ['cumsum', 'float'],
    ['tile', 'float'],
    ['size', 'int64'],
  ] as const)
    b.output(name, type)
  return b.encode('ops2', 17)
}

/**
 * bits/2's new operators, in the test graphs of docs/onnx.md at their smallest: the exporters' decoders
 * (a 3-token prefill) and encoder, the CNN and the int8 models. Inputs are drawn from each graph's own
 * input list: ids below 16, masks of ones, token types 0, positions 0.., an empty cache, floats in [-1, 1).
 */
function issue18Graphs(b64: (bytes: Uint8Array) => string): Golden['suite']['onnx'] {
  const s = 3
  const graphs: Record<string, Uint8Array> = {
    gpt2: gpt2Decoder({
      vocab: 16,
      dModel: 8,
      nHead: 2,
      nLayer: 1,
      nPositions: 8,
      positionIds: true,
      seed: 2,
    }),
    llama: llamaDecoder({
      vocab: 16,
      dModel: 8,
      nHead: 2,
      nKvHead: 1,
      nLayer: 1,
      ffn: 8,
      ropeTheta: 10000,
      seed: 3,
    }),
    bert: bertEncoder({ vocab: 16, dModel: 8, nHead: 2, nLayer: 1, ffn: 8, maxPositions: 8, seed: 4 }),
    cnn: cnnModel(1),
    dynamicMlp: dynamicMlpModel(),
    qdqMlp: qdqMlpModel(),
    dynamicCnn: dynamicCnnModel(),
    qoperator: qoperatorModel(),
    ops2: ops2Model(),
  }
  return Object.fromEntries(
    Object.entries(graphs).map(([name, bytes], g) => {
      const inputs = Object.fromEntries(
        parseModel(bytes).inputs.map((i, k) => {
          const dims = i.dims.map((d) =>
            typeof d === 'number' ? d : d.startsWith('past') ? 0 : d.startsWith('batch') ? 1 : s,
          )
          const n = dims.reduce((a, b) => a * b, 1)
          const data =
            i.type === 'float'
              ? rand(n, 100 + 10 * g + k)
              : i.name === 'position_ids'
                ? Array.from({ length: n }, (_, j) => j)
                : i.name.endsWith('mask') || i.name === 'token_type_ids'
                  ? new Array<number>(n).fill(i.name.endsWith('mask') ? 1 : 0)
                  : Array.from({ length: n }, (_, j) => (j * 7 + 3) % 16)
          return [i.name, { dims, data }]
        }),
      )
      return [name, { model: b64(bytes), inputs }]
    }),
  )
}

/** The suite as first built: every ONNX operator bits/1 had, the GPT export, two micro training steps. */
function buildSuite(): Golden['suite'] {
  const gpt: GptConfig = { vocab: 32, seqLen: 4, dModel: 8, nLayer: 1, nHead: 2 }
  const ops = graphModel({
    opset: 20,
    inputs: { x: [2, 3, 4] },
    ints: { shape: [6, 4], parts: [2, 4], idx: [2, 0, 1], ax0: [0], ax2: [2] },
    floats: { W: { dims: [4, 5], data: rand(20, 11) } },
    nodes: [
      ['Exp', ['x'], ['e']],
      ['Abs', ['x'], ['ab']],
      ['Log', ['ab'], ['lg']],
      ['Neg', ['lg'], ['ng']],
      ['Gelu', ['x'], ['ge']],
      ['Mul', ['ge', 'e'], ['m1']],
      ['Reshape', ['m1', 'shape'], ['r']],
      ['MatMul', ['r', 'W'], ['mm']],
      ['Transpose', ['mm'], ['t'], { perm: [1, 0] }],
      ['Split', ['t', 'parts'], ['s0', 's1'], { axis: 1 }],
      ['Gather', ['s1', 'idx'], ['g'], { axis: 0 }],
      ['Unsqueeze', ['g', 'ax0'], ['u']],
      ['Squeeze', ['u', 'ax0'], ['sq']],
      ['Constant', [], ['ci'], { value_ints: [1, 2, 3, 4] }],
      ['Cast', ['ci'], ['cf'], { to: 1 }],
      ['Add', ['sq', 'cf'], ['y1']],
      ['ReduceMean', ['ng', 'ax2'], ['y2'], { keepdims: 0 }],
      ['Softmax', ['y1'], ['y3']],
    ],
    outputs: ['y1', 'y2', 'y3', 's0'],
  })
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
  return {
    onnx: {
      edges: { model: b64(edgesModel()), inputs: { x: { dims: [2, 1, 3], data: rand(6, 9) } } },
      ...issue18Graphs(b64),
      zoo: { model: b64(zooModel()), inputs: { x: { dims: [4, 6], data: rand(24, 7) } } },
      ops: { model: b64(ops), inputs: { x: { dims: [2, 3, 4], data: rand(24, 8) } } },
      gpt: {
        model: b64(exportOnnx(gpt, initParams(gpt, 4))),
        inputs: { input_ids: { dims: [2, 4], data: [3, 1, 4, 1, 5, 9, 2, 6] } },
      },
    },
    training: {
      config: defaultTrainConfig(
        { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 },
        { steps: 2, batch: 2 },
      ),
      corpus: KJV_PENTATEUCH.sha256,
      valFraction: KJV_PENTATEUCH.valFraction,
      steps: 2,
    },
  }
}

// Recording never redefines a release: a graph it recorded must give the same hash again (else the bits
// changed, and that is a new release), and the suite's existing graphs keep their bytes; graphs added
// to buildSuite join the suite and are recorded for the current release.
if (process.env.GOLDEN_WRITE) {
  it('writes the suite and the current release’s hashes', async () => {
    const old: Golden = JSON.parse(readFileSync(FILE, 'utf8').trim() || '{"releases":{}}')
    const built = buildSuite()
    const suite = {
      onnx: { ...built.onnx, ...old.suite?.onnx },
      training: old.suite?.training ?? built.training,
    }
    const own = localRelease()
    const recorded = { suite, releases: {} }
    const onnx = Object.fromEntries(
      Object.keys(suite.onnx).map((name) => [name, goldenOutputHash(own, name, recorded)]),
    )
    const ops = [...own.ops.keys()].sort()
    const training = await goldenTrainingHashes(own, cpuBackend, kjvBytes, recorded)
    const before = old.releases[RELEASES.current]
    if (before) {
      expect(
        pick(onnx, Object.keys(before.onnx)),
        `${RELEASES.current}'s bits changed: cut a new release`,
      ).toEqual(before.onnx)
      expect(training, `${RELEASES.current}'s training bits changed: cut a new release`).toEqual(
        before.training,
      )
    }
    const releases = { ...old.releases, [RELEASES.current]: { ops, onnx, training } }
    writeFileSync(FILE, JSON.stringify({ suite, releases }, null, 2) + '\n')
  })
}

const pick = (o: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]))

describe.skipIf(process.env.GOLDEN_WRITE)('golden vectors per release', () => {
  // Empty only while GOLDEN_WRITE fills it.
  const golden: Golden = JSON.parse(readFileSync(FILE, 'utf8').trim() || '{"releases":{}}')

  it('the suite exercises every ONNX operator each release had when it was recorded', () => {
    const seen = new Set<string>()
    for (const name of Object.keys(golden.suite.onnx))
      for (const n of parseModel(suiteModel(golden, name)).nodes) seen.add(n.op)
    // Ops added later join the current release; the next release's record adds a graph for them.
    for (const [id, r] of Object.entries(golden.releases))
      expect(
        r.ops.filter((op) => !seen.has(op)),
        id,
      ).toEqual([])
  })

  for (const def of RELEASES.releases) {
    const recorded = golden.releases[def.id]
    const release = () => resolveRelease(releaseHash(def, RELEASES))

    it(`${def.id}: every suite graph, run with its op set, gives the recorded output hash`, () => {
      expect(recorded, `golden.json records ${def.id}`).toBeDefined()
      const { ops } = release()
      expect(
        recorded.ops.filter((op) => !ops.has(op)),
        'ops it had',
      ).toEqual([])
      const results = checkGoldenOnnx(release(), golden)
      expect(results.filter((r) => !r.ok)).toEqual([])
      if (def.id === RELEASES.current)
        expect(Object.keys(recorded.onnx).sort()).toEqual(Object.keys(golden.suite.onnx).sort())
    })

    it.runIf(def.training)(`${def.id}: the training steps give the recorded state hashes`, async () => {
      expect(await checkGoldenTraining(release(), cpuBackend, kjvBytes, golden)).toMatchObject({ ok: true })
    })
  }
})
