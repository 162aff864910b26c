// Hostile receipts against `lockstep verify`, each in its own process, timed and measured: every one
// must end within 5 s with a named error and peak memory under 512 MB (docs/security.md records them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { createInferenceReceipt } from '../receipts/inference.ts'
import { broadcastModel, doublingConcatModel } from '../infer/testing.ts'
import {
  TEST_TARGET as target,
  hostileInferenceReceipt,
  hostileTrainingReceipt,
} from '../receipts/testing.ts'
import { lockstep as run, type Run } from './testing.ts'

/** Each hostile case in its own measured process, killed after 20 s. */
const lockstep = (args: string[]) => run(args, { limitMs: 20_000, measure: true })

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const cfg: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
const model = exportOnnx(cfg, initParams(cfg, 4))
const inputs = { input_ids: { dims: [1, 8], data: Array.from('And God ', (c) => c.charCodeAt(0)) } }
const dir = mkdtempSync(join(tmpdir(), 'lockstep-limits-'))

const measured: string[] = []
function record(name: string, r: Run) {
  measured.push(`${name}: ${r.seconds.toFixed(2)} s, ${r.peakMb?.toFixed(0) ?? '?'} MB`)
  expect(r.seconds, name).toBeLessThan(5)
  if (r.peakMb !== null) expect(r.peakMb, name).toBeLessThan(512)
}

async function inferenceReceipt(uri: string): Promise<string> {
  const file = join(dir, `${encodeURIComponent(uri)}.json`)
  writeFileSync(file, JSON.stringify(await createInferenceReceipt(model, inputs, { uri, account, target })))
  return file
}

let server: Server
let base = ''
beforeAll(async () => {
  expect((await run([])).status).toBe(2) // builds dist-cli
  server = createServer((req, res) => {
    if (req.url === '/model.onnx') return res.end(model)
    if (req.url === '/silent') return // never answers
    const chunk = new Uint8Array(256 * 1024) // /huge: endless, no Content-Length
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
    }
    res.on('drain', pump)
    pump()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}, 120_000)
afterAll(() => {
  server.closeAllConnections()
  server.close()
  console.log(`verifier limits, measured:\n  ${measured.join('\n  ')}`)
})

describe('lockstep verify against hostile receipts', () => {
  it('refuses model URIs file:///dev/zero and file:///dev/stdin without reading them', async () => {
    for (const uri of ['file:///dev/zero', 'file:///dev/stdin']) {
      const r = await lockstep(['verify', await inferenceReceipt(uri)])
      expect(r.stdout, uri).toMatch(/✗ model: cannot read the model \(ModelUriError: .*http\(s\)/)
      expect(r.status).toBe(1)
      record(uri, r)
    }
  }, 60_000)

  it('refuses a model URI on loopback unless --allow-local', async () => {
    const file = await inferenceReceipt(`${base}/model.onnx`)
    const r = await lockstep(['verify', file])
    expect(r.stdout).toMatch(/cannot read the model \(LocalAddressError: /)
    expect(r.status).toBe(1)
    record('http://127.0.0.1/… (loopback)', r)
    const allowed = await lockstep(['verify', file, '--allow-local'])
    expect(allowed.stdout).toContain('outputs re-executed and equal')
    expect(allowed.status).toBe(0)
  }, 60_000)

  it('times out a model server that never answers', async () => {
    const r = await lockstep(['verify', await inferenceReceipt(`${base}/silent`), '--allow-local'])
    expect(r.stdout).toMatch(/cannot read the model \(FetchTimeoutError: .*did not answer within 3 s/)
    expect(r.status).toBe(1)
    record('a server that never answers (--allow-local)', r)
  }, 60_000)

  it('cuts off an endless model body at the size cap', async () => {
    const r = await lockstep(['verify', await inferenceReceipt(`${base}/huge`), '--allow-local'])
    expect(r.stdout).toMatch(/cannot read the model \(ModelTooLargeError: .*larger than 67108864 bytes/)
    expect(r.status).toBe(1)
    record('an endless body (--allow-local)', r)
  }, 60_000)

  it('refuses a 1.3 KB training receipt of dModel 1024 and 8 layers, in verify and in replay', async () => {
    const file = join(dir, 'big-config.json')
    writeFileSync(file, JSON.stringify(await hostileTrainingReceipt(account)))
    const r = await lockstep(['verify', file])
    expect(r.stdout).toMatch(/✗ limits: ConfigLimitError: .*1\.01e\+8 parameters/)
    expect(r.status).toBe(1)
    record('training receipt, dModel 1024 × 8 layers (verify)', r)
    const replay = await lockstep(['replay', file])
    expect(replay.stderr).toMatch(/lockstep replay: ConfigLimitError: /)
    expect(replay.status).toBe(1)
    record('the same (replay)', replay)
  }, 60_000)

  it('refuses 1 KB ONNX graphs that would allocate gigabytes (doubling Concats, a broadcast), by name', async () => {
    for (const [name, graph, error] of [
      [
        '26 doubling Concats',
        doublingConcatModel(26),
        /InferenceBudgetError: Concat n2\d needs \d+ elements/,
      ],
      [
        'broadcast [2^15,1] + [1,2^15]',
        broadcastModel(15),
        /InferenceBudgetError: Add n17 needs 1073741824 elements/,
      ],
    ] as const) {
      const modelFile = join(dir, `${name.replace(/\W+/g, '-')}.onnx`)
      const receiptFile = `${modelFile}.json`
      writeFileSync(modelFile, graph)
      const receipt = await hostileInferenceReceipt(graph, { c0: { dims: [1], data: [1] } }, account)
      writeFileSync(receiptFile, JSON.stringify(receipt))
      const r = await lockstep(['verify', receiptFile, '--model', modelFile])
      expect(r.stdout, name).toMatch(error)
      expect(r.status, name).toBe(1)
      record(`ONNX graph of ${name} (${graph.length} bytes)`, r)
    }
  }, 60_000)
})
