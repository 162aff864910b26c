// Browser entry: the matmul bench on this page's WebGPU adapter. scripts/bench.mjs drives it;
// the query string picks the suite and sizes (?sizes=128,256&reference=128, or ?suite=kernels&rows=256&n=1024).
import { Gpu } from '../src/gpu/runtime.ts'
import { benchMatmul } from './matmul.ts'
import { benchKernels } from './kernels.ts'
import { benchTraining } from './train.ts'
import { benchGeneration } from './generate.ts'
import type { PresetName } from '../src/train/gpt.ts'
import { KJV_PENTATEUCH, corpusPath, fetchCorpus } from '../src/train/corpus.ts'

declare global {
  interface Window {
    benchResult?: { ok: true; adapter: unknown; records: unknown[] } | { ok: false; error: string }
  }
}

const params = new URLSearchParams(location.search)
const list = (name: string, fallback: string) =>
  (params.get(name) ?? fallback).split(',').filter(Boolean).map(Number)
const log = document.getElementById('log')!
try {
  const gpu = await Gpu.create()
  log.textContent = ''
  const print = (r: unknown) => (log.textContent += JSON.stringify(r) + '\n')
  const suite = params.get('suite') ?? 'matmul'
  const corpus = () => fetchCorpus(KJV_PENTATEUCH, `/${corpusPath(KJV_PENTATEUCH)}`)
  const records =
    suite === 'train'
      ? await benchTraining(gpu, await corpus(), {
          presets: (params.get('presets') ?? 'tiny').split(',') as PresetName[],
          steps: Number(params.get('steps') ?? 5),
          batch: Number(params.get('batch') ?? 8),
          tfjs: params.get('tfjs') !== '0',
          log: print,
        })
      : suite === 'generate'
        ? await benchGeneration(gpu, {
            model: params.get('model') ?? 'lockstep:gpt/demo?seed=1',
            tokens: Number(params.get('tokens') ?? 32),
            prompt: params.get('prompt') ?? 'In the beginning God created',
            log: print,
          })
        : suite === 'kernels'
          ? await benchKernels(gpu, {
              rows: Number(params.get('rows') ?? 256),
              n: Number(params.get('n') ?? 1024),
              log: print,
            })
          : await benchMatmul(gpu, list('sizes', '128,256'), {
              minMs: Number(params.get('minMs') ?? 500),
              reference: list('reference', ''),
              variants: list('variants', ''),
              log: print,
            })
  window.benchResult = { ok: true, adapter: gpu.report, records }
} catch (e) {
  window.benchResult = { ok: false, error: e instanceof Error ? e.message : String(e) }
}
