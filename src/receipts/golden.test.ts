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
import { graphModel, rand, zooModel } from '../infer/testing.ts'
import { parseModel } from '../infer/model.ts'
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
