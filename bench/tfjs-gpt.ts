// The same GPT in TensorFlow.js (tfjs-backend-webgpu when available): the throughput baseline for
// docs/benchmarks.md. Same shapes, initial weights and batches as src/train; plain f32 and
// non-deterministic, Adam without weight decay (tfjs has no AdamW) — a speed reference only.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-webgpu'
import { initParams, paramSpecs, type GptConfig } from '../src/train/gpt.ts'
import { sampleBatch } from '../src/train/data.ts'

export async function tfjsBackend(): Promise<string> {
  for (const name of ['webgpu', 'webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready()
        return name
      }
    } catch {
      // try the next backend
    }
  }
  throw new Error('no TensorFlow.js backend could start')
}

function layerNorm(x: tf.Tensor2D, g: tf.Variable, b: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true)
  return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(g).add(b)
}

function gelu(x: tf.Tensor): tf.Tensor {
  const c = Math.sqrt(2 / Math.PI)
  return x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(c)).add(1))
}

export function tfjsTrainer(cfg: GptConfig, seed: number, batch: number, lr: number) {
  const init = initParams(cfg, seed)
  const p = new Map(paramSpecs(cfg).map((s) => [s.name, tf.variable(tf.tensor(init.get(s.name)!, s.shape))]))
  const { seqLen: T, dModel: d, nHead: H, vocab } = cfg
  const Dh = d / H
  const mask = tf.tensor2d(
    Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 0 : -1e9)),
    [T, T],
  )
  const optimizer = tf.train.adam(lr, 0.9, 0.95, 1e-8)
  const get = (n: string) => p.get(n)!

  const loss = (inputs: Int32Array, targets: Int32Array) => {
    const B = inputs.length / T
    const ids = tf.tensor1d(inputs, 'int32')
    const pos = tf.tensor1d(
      Int32Array.from({ length: B * T }, (_, i) => i % T),
      'int32',
    )
    let x = tf.gather(get('wte'), ids).add(tf.gather(get('wpe'), pos)) as tf.Tensor2D
    for (let l = 0; l < cfg.nLayer; l++) {
      const h = `h${l}.`
      const qkv = tf
        .matMul(layerNorm(x, get(h + 'ln1.g'), get(h + 'ln1.b')), get(h + 'attn.wqkv'))
        .add(get(h + 'attn.bqkv'))
      const heads = qkv.reshape([B, T, 3, H, Dh]).transpose([2, 0, 3, 1, 4])
      const [q, k, v] = tf.split(heads, 3, 0).map((t) => t.reshape([B * H, T, Dh]) as tf.Tensor3D)
      const att = tf.softmax(
        tf
          .matMul(q, k, false, true)
          .mul(1 / Math.sqrt(Dh))
          .add(mask),
      )
      const y = tf
        .matMul(att as tf.Tensor3D, v)
        .reshape([B, H, T, Dh])
        .transpose([0, 2, 1, 3])
        .reshape([B * T, d])
      x = x.add(tf.matMul(y as tf.Tensor2D, get(h + 'attn.wo')).add(get(h + 'attn.bo')))
      const m = gelu(
        tf.matMul(layerNorm(x, get(h + 'ln2.g'), get(h + 'ln2.b')), get(h + 'mlp.w1')).add(get(h + 'mlp.b1')),
      )
      x = x.add(tf.matMul(m as tf.Tensor2D, get(h + 'mlp.w2')).add(get(h + 'mlp.b2')))
    }
    const logits = tf.matMul(layerNorm(x, get('lnf.g'), get('lnf.b')), get('wte'), false, true)
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, 'int32'), vocab), logits) as tf.Scalar
  }

  return {
    /** One Adam step on the batch for (seed, step); resolves when the GPU has finished it. */
    async step(data: Uint8Array, step: number): Promise<number> {
      const { inputs, targets } = sampleBatch(data, { seed, step, batch, seqLen: T })
      const value = optimizer.minimize(() => loss(inputs, targets), true) as tf.Scalar
      const out = (await value.data())[0]
      value.dispose()
      return out
    },
  }
}
