// Golden vectors per release (docs/receipts.md#kernel-library-releases): a canonical suite, checked in
// as bytes (golden.json: small ONNX graphs with their inputs, a couple of training steps), and the
// output hashes each release recorded. Every release this verifier runs must reproduce its own, bit for
// bit, with its op set: a change that silently alters an old release's bits fails here, and a new
// library hash may join a release (as "the same bits") only while this passes.
// GOLDEN_WRITE=1 records the current release (a new one, or new graphs for it; never other bits).
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cpuBackend } from '../train/cpu.ts'
import { splitCorpus } from '../train/data.ts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { kjvBytes } from '../train/testing.ts'
import { Trainer, defaultTrainConfig, type TrainConfig } from '../train/trainer.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { graphModel, rand, zooModel } from '../infer/testing.ts'
import { parseModel } from '../infer/model.ts'
import type { HostInput } from '../infer/json.ts'
import { sha256Hex } from '../util/hash.ts'
import { infer } from './inference.ts'
import { RELEASES, localRelease, resolveRelease, trainingBackend, type ReleaseManifest } from './releases.ts'
import { kernelsHash } from './kernels.ts'

const FILE = 'src/receipts/golden.json'
const fromBase64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))

interface Golden {
  suite: {
    onnx: Record<string, { model: string; inputs: Record<string, HostInput> }>
    training: { config: TrainConfig; corpus: string; valFraction: number; steps: number }
  }
  /**
   * Per release: the ONNX operators it had when recorded, each graph's output hash, the state hash
   * before and after each training step.
   */
  releases: Record<string, { ops: string[]; onnx: Record<string, string>; training?: string[] }>
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

function runOnnx(suite: Golden['suite'], name: string, manifest: ReleaseManifest, hash: `0x${string}`) {
  const g = suite.onnx[name]
  return infer(fromBase64(g.model), g.inputs, undefined, resolveRelease(hash, manifest)).outputHash
}

/** The suite's training steps on the CPU reference, with the release's frozen training kernels in place. */
async function runTraining(t: Golden['suite']['training'], release = localRelease()): Promise<string[]> {
  expect(await sha256Hex(kjvBytes)).toBe(t.corpus)
  const { train } = splitCorpus(kjvBytes, t.valFraction)
  const trainer = Trainer.create(trainingBackend(release, cpuBackend), t.config)
  try {
    const hashes = [await trainer.stateHash()]
    for (let i = 0; i < t.steps; i++) hashes.push((await trainer.trainStep(train)).stateHash)
    return hashes
  } finally {
    trainer.dispose()
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
    const onnx = Object.fromEntries(
      Object.keys(suite.onnx).map((name) => [name, runOnnx(suite, name, RELEASES, kernelsHash())]),
    )
    const ops = [...localRelease().ops.keys()].sort()
    const training = await runTraining(suite.training)
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
    for (const g of Object.values(golden.suite.onnx))
      for (const n of parseModel(fromBase64(g.model)).nodes) seen.add(n.op)
    // Ops added later join the current release; the next release's record adds a graph for them.
    for (const [id, r] of Object.entries(golden.releases))
      expect(
        r.ops.filter((op) => !seen.has(op)),
        id,
      ).toEqual([])
  })

  for (const def of RELEASES.releases) {
    const recorded = golden.releases[def.id]
    // Any hash of the release resolves to the same op set: its own, or the library's for the current one.
    const hash = def.id === RELEASES.current ? kernelsHash() : def.libraries[0].hash

    it(`${def.id}: every suite graph, run with its op set, gives the recorded output hash`, () => {
      expect(recorded, `golden.json records ${def.id}`).toBeDefined()
      const ops = resolveRelease(hash).ops
      expect(
        recorded.ops.filter((op) => !ops.has(op)),
        'ops it had',
      ).toEqual([])
      const got = Object.fromEntries(
        Object.keys(recorded.onnx).map((name) => [name, runOnnx(golden.suite, name, RELEASES, hash)]),
      )
      expect(got).toEqual(recorded.onnx)
      if (def.id === RELEASES.current)
        expect(Object.keys(got).sort()).toEqual(Object.keys(golden.suite.onnx).sort())
    })

    it.runIf(def.training)(`${def.id}: the training steps give the recorded state hashes`, async () => {
      expect(await runTraining(golden.suite.training, resolveRelease(hash))).toEqual(recorded.training)
    })
  }
})
