// Browser entry: the matmul bench on this page's WebGPU adapter. scripts/bench.mjs drives it;
// the query string picks sizes (?sizes=128,256&reference=128).
import { Gpu } from '../src/gpu/runtime.ts'
import { benchMatmul, type BenchRecord } from './matmul.ts'

declare global {
  interface Window {
    benchResult?: { ok: true; adapter: unknown; records: BenchRecord[] } | { ok: false; error: string }
  }
}

const params = new URLSearchParams(location.search)
const list = (name: string, fallback: string) =>
  (params.get(name) ?? fallback).split(',').filter(Boolean).map(Number)
const log = document.getElementById('log')!
try {
  const gpu = await Gpu.create()
  log.textContent = ''
  const records = await benchMatmul(gpu, list('sizes', '128,256'), {
    minMs: Number(params.get('minMs') ?? 500),
    reference: list('reference', ''),
    variants: list('variants', ''),
    log: (r) => (log.textContent += JSON.stringify(r) + '\n'),
  })
  window.benchResult = { ok: true, adapter: gpu.report, records }
} catch (e) {
  window.benchResult = { ok: false, error: e instanceof Error ? e.message : String(e) }
}
