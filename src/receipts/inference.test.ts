import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lockstep } from '../cli/testing.ts'
import { privateKeyToAccount } from 'viem/accounts'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportOnnx } from '../train/onnx.ts'
import { keccak256, toBytes, toHex } from 'viem'
import { createInferenceReceipt, validateInferenceReceipt, verifyInference } from './inference.ts'
import { encodeOutputs, outputsHash } from './tensors.ts'
import { hashJson, signBody } from './training.ts'
import vectors from './vectors.json'
import { kernelsHash } from './kernels.ts'
import { RELEASES } from './releases.ts'

const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const
const account = privateKeyToAccount(key)
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
const cfg: GptConfig = { vocab: 256, seqLen: 8, dModel: 16, nLayer: 1, nHead: 2 }
const model = exportOnnx(cfg, initParams(cfg, 4))
const inputs = { input_ids: { dims: [1, 8], data: Array.from('And God ', (c) => c.charCodeAt(0)) } }

describe('inference receipts', () => {
  it('validate and re-execute bit for bit; tampering is named', async () => {
    const r = await createInferenceReceipt(model, inputs, {
      uri: 'https://example.invalid/model.onnx',
      account,
      target,
    })
    expect((await validateInferenceReceipt(r)).filter((c) => !c.ok)).toEqual([])
    expect(verifyInference(r, model)).toEqual([expect.objectContaining({ ok: true })])

    const flipped = structuredClone(r)
    const logits = flipped.body.outputs.logits.data as number[]
    logits[3] = Math.fround(logits[3] * (1 + 2 ** -20))
    expect((await validateInferenceReceipt(flipped)).filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'output hash',
      'receipt hash',
    ])

    const otherModel = exportOnnx(cfg, initParams(cfg, 5))
    expect(verifyInference(r, otherModel)[0].detail).toMatch(/the model file hashes to/)
    expect(
      (await validateInferenceReceipt(r, { chainId: 1 })).filter((c) => !c.ok).map((c) => c.name),
    ).toEqual(['chain'])
  })

  it('the CLI signs with --key, verifies by re-execution, and names a failed check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'))
    writeFileSync(join(dir, 'm.onnx'), model)
    writeFileSync(join(dir, 'x.json'), JSON.stringify(inputs))
    const cli = (...args: string[]) => lockstep(args)
    const made = await cli(
      'infer',
      '--model',
      join(dir, 'm.onnx'),
      '--input',
      join(dir, 'x.json'),
      '--out',
      join(dir, 'r.json'),
      '--key',
      key,
    )
    expect(made.stderr).toBe('')
    expect(made.status).toBe(0)
    // The receipt's file: URI is never read (a receipt could name /dev/zero): the model is passed explicitly.
    const ok = await cli(
      'verify',
      join(dir, 'r.json'),
      '--signer',
      account.address,
      '--model',
      join(dir, 'm.onnx'),
    )
    expect(ok.stdout).toContain(
      'OK: signed by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266; outputs re-executed and equal',
    )
    expect(ok.stdout).toContain(
      `✓ output hash: re-executed with release ${RELEASES.current} (kernels ${kernelsHash()})`,
    )
    expect(ok.stdout).toContain(`verified with release ${RELEASES.current} (kernels ${kernelsHash()})`)
    expect(ok.status).toBe(0)

    const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))
    r.body.outputs.logits.data[0] += 1
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(r))
    const bad = await cli('verify', join(dir, 'bad.json'))
    expect(bad.status).toBe(1)
    expect(bad.stdout).toContain('FAILED: output hash, receipt hash')
    expect((await cli('verify')).status).toBe(2)
  }, 60_000)
})

describe('inference test vectors, version 2 (docs/receipts.md)', () => {
  it('reproduce the output encoding and hash, the canonical body, the receipt hash and the signature', async () => {
    const v = vectors.inference
    const outputs = v.body.outputs as never
    expect(toHex(encodeOutputs(outputs))).toBe(vectors.inference_outputEncoding)
    expect(keccak256(vectors.inference_outputEncoding as `0x${string}`)).toBe(v.body.outputHash)
    expect(outputsHash(outputs)).toBe(v.body.outputHash)
    expect(hashJson(v.body.inputs)).toBe(v.body.inputHash)
    expect(keccak256(toBytes(vectors.inference_canonicalBody))).toBe(v.receiptHash)
    expect(hashJson(v.body)).toBe(v.receiptHash)
    expect((await signBody(v.kind, v.body, account, target)).signature.value).toBe(v.signature.value)
    // The vector's kernels hash is made up (0xaa…): every other check passes.
    expect((await validateInferenceReceipt(v)).filter((c) => !c.ok).map((c) => c.name)).toEqual(['kernels'])
  })
})
