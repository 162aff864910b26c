// `lockstep generate` and `lockstep verify` on a generation receipt, in child processes as a user runs
// them: the tokens stream to stderr, the receipt re-generates, and a lie about one token is named at
// its position.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEY_0 } from '../../scripts/chain.mjs'
import { initParams, type GptConfig } from '../train/gpt.ts'
import { exportDecoderOnnx } from '../train/onnxDecoder.ts'
import { byteTokenizer } from '../generate/tokenizer.ts'
import { signGenerationReceipt, tokenIdsHash, type GenerationReceipt } from '../receipts/generation.ts'
import { lockstep } from './testing.ts'

const cli = (...args: string[]) => lockstep(args)
const dir = mkdtempSync(join(tmpdir(), 'lockstep-generate-'))
const cfg: GptConfig = { vocab: 256, seqLen: 32, dModel: 16, nLayer: 2, nHead: 2 }
const model = join(dir, 'decoder.onnx')
writeFileSync(model, exportDecoderOnnx(cfg, initParams(cfg, 3)))
const receipt = join(dir, 'generation.json')

describe('lockstep generate / verify', () => {
  it('streams the tokens, signs the receipt, and verify re-generates it; a lie about one token is named', async () => {
    const made = await cli(
      'generate',
      '--model',
      model,
      '--prompt',
      'And God said',
      '--max-tokens',
      '8',
      '--temperature',
      '0.9',
      '--top-k',
      '50',
      '--seed',
      '3',
      '--stop',
      'never',
      '--out',
      receipt,
      '--key',
      ANVIL_KEY_0,
    )
    expect(made.status).toBe(0)
    const r = JSON.parse(readFileSync(receipt, 'utf8')) as GenerationReceipt
    expect(made.stderr).toBe(`${r.body.text}\n`)
    expect(made.stdout).toContain(`wrote ${receipt}: 8 tokens (length)`)
    expect(r.body.parameters).toMatchObject({
      temperature: 0.9,
      top_k: 50,
      seed: 3,
      max_tokens: 8,
      stop: ['never'],
    })

    const ok = await cli('verify', receipt, '--model', model)
    expect(ok.stdout).toContain('✓ re-generation: 8 tokens re-generated and equal (length)')
    expect(ok.stdout).toContain(
      'OK: signed by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266; 8 tokens re-generated and equal',
    )
    expect(ok.status).toBe(0)

    // Tampered: the hashes name it before anything runs.
    const tampered = structuredClone(r)
    tampered.body.tokenIds[2] = (r.body.tokenIds[2] + 1) % 256
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered))
    const bad = await cli('verify', join(dir, 'tampered.json'), '--model', model)
    expect(bad.stdout).toMatch(/FAILED: token ids hash, (text, )?receipt hash/)
    expect(bad.status).toBe(1)

    // A producer's consistent lie (hashes, text and signature redone) validates; re-generation names it.
    const b = tampered.body
    b.tokenIdsHash = tokenIdsHash(b.tokenIds)
    b.text = byteTokenizer.decode(b.tokenIds)
    const lie = await signGenerationReceipt(b, privateKeyToAccount(ANVIL_KEY_0), r.signature)
    writeFileSync(join(dir, 'lie.json'), JSON.stringify(lie))
    const caught = await cli('verify', join(dir, 'lie.json'), '--model', model)
    expect(caught.stdout).toContain('✓ signature')
    expect(caught.stdout).toContain(
      `✗ re-generation: first divergence at position 2: re-generated token ${r.body.tokenIds[2]}`,
    )
    expect(caught.stdout).toContain(`receipt says ${b.tokenIds[2]}`)
    expect(caught.status).toBe(1)
  }, 120_000)

  it("with a tokenizer.json: signs its hash, and verify reads the file given (never a receipt's file: URI)", async () => {
    const big = { ...cfg, vocab: 280 }
    const decoder = join(dir, 'bpe-decoder.onnx')
    writeFileSync(decoder, exportDecoderOnnx(big, initParams(big, 8)))
    const tokenizer = fileURLToPath(new URL('../generate/fixtures/bpe.tokenizer.json', import.meta.url))
    const out = join(dir, 'bpe.json')
    const made = await cli(
      'generate',
      '--model',
      decoder,
      '--tokenizer',
      tokenizer,
      '--prompt',
      'And God said',
      '--max-tokens',
      '5',
      '--out',
      out,
      '--key',
      ANVIL_KEY_0,
    )
    expect(made.status).toBe(0)
    const r = JSON.parse(readFileSync(out, 'utf8')) as GenerationReceipt
    expect(r.body.tokenizer.uri).toMatch(/^file:.*bpe\.tokenizer\.json$/)
    expect(r.body.parameters.eos_token_ids).toEqual([274]) // the file's <|endoftext|>
    const refused = await cli('verify', out, '--model', decoder)
    expect(refused.stdout).toMatch(/✗ tokenizer: cannot read file:.* \(ModelUriError/)
    expect(refused.status).toBe(1)
    const ok = await cli('verify', out, '--model', decoder, '--tokenizer', tokenizer)
    expect(ok.stdout).toContain('✓ text')
    expect(ok.stdout).toContain('5 tokens re-generated and equal')
    expect(ok.status).toBe(0)
  }, 120_000)

  it('ends a hostile receipt fast, by name, before any forward pass', async () => {
    const r = JSON.parse(readFileSync(receipt, 'utf8')) as GenerationReceipt
    r.body.parameters.max_tokens = 1e9
    r.body.tokenIds = new Array(100_000).fill(7)
    writeFileSync(join(dir, 'hostile.json'), JSON.stringify(r))
    const run = await cli('verify', join(dir, 'hostile.json'), '--model', model)
    expect(run.stdout).toContain('✗ structure: body.parameters: max_tokens must be an integer from 1 to 4096')
    expect(run.status).toBe(1)
    expect(run.seconds).toBeLessThan(20)
  }, 60_000)

  it('with --gpu, generates through Dawn with the ids the CPU reference re-generates, or says why it cannot', async () => {
    const out = join(dir, 'gpu.json')
    const args = [
      '--model',
      model,
      '--prompt',
      'And God',
      '--max-tokens',
      '4',
      '--temperature',
      '0.9',
      '--seed',
      '4',
    ]
    const r = await cli('generate', ...args, '--out', out, '--key', ANVIL_KEY_0, '--gpu')
    if (r.status !== 0) {
      expect(r.stderr).toMatch(/Dawn found no GPU adapter|--gpu needs the optional 'webgpu' package/)
      return
    }
    expect(JSON.parse(readFileSync(out, 'utf8')).body.adapter).toMatch(/^GPU via Dawn/)
    const ok = await cli('verify', out, '--model', model)
    expect(ok.stdout).toContain('4 tokens re-generated and equal (CPU reference)')
    expect(ok.status).toBe(0)
  }, 300_000)

  it('refuses bad parameters as usage, naming them', async () => {
    const r = await cli('generate', '--model', model, '--prompt', 'x', '--out', receipt, '--top-p', '2')
    expect(r.stderr).toContain('top_p must be a number in (0, 1]')
    expect(r.status).toBe(2)
  }, 60_000)
})
