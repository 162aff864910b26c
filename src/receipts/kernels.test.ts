// kernelsHash (scheme kernels/2) covers exactly the code that decides output bits, computes as
// docs/receipts.md defines it, and receipts made with the released kernels/1 library still validate.
import { readFileSync, readdirSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import { keccak256, toHex, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { KERNEL_LIBRARIES, hashKernelSources, kernelSources, kernelsHash } from './kernels.ts'
import { RELEASES } from './releases.ts'
import { signTrainingReceipt } from './training.ts'
import { validateTrainingReceipt } from './validate.ts'
import vectors from './vectors.json'

const producer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const target = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }

/** The documented rule, applied to the files on disk: what the hash must cover. */
function covered(): string[] {
  const list = (dir: string, ext: string) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith(ext))
      .map((f) => `${dir}/${f}`)
  const excluded = [
    'shaders/softfloat_probe.wgsl',
    'shaders/matmul_f32_baseline.wgsl',
    'src/kernels/matmul_f32_baseline.ts',
    'src/kernels/softfloatProbe.ts',
  ]
  return [
    ...list('shaders', '.wgsl'),
    ...list('src/kernels', '.ts'),
    ...list('src/ops', '.ts'),
    'src/gpu/shader.ts',
  ]
    .filter((p) => !excluded.includes(p) && !p.endsWith('.test.ts') && !p.endsWith('/testing.ts'))
    .sort()
}

describe('kernelsHash', () => {
  it('covers the deterministic shaders and the TypeScript that combines them, not the probe, the baseline or tests', () => {
    const paths = kernelSources().map(([p]) => p)
    expect(paths).toEqual(covered())
    for (const p of [
      'shaders/lib/norm.wgsl',
      'src/kernels/norm.ts',
      'shaders/lib/softfloat_fast.wgsl',
      'src/ops/layernorm.ts',
      'src/gpu/shader.ts',
    ])
      expect(paths).toContain(p)
    for (const p of [
      'shaders/softfloat_probe.wgsl',
      'shaders/matmul_f32_baseline.wgsl',
      'src/kernels/testing.ts',
      'src/kernels/softfloatProbe.ts',
    ])
      expect(paths).not.toContain(p)
  })

  it('covers every shader a covered launcher loads', () => {
    const paths = new Set(kernelSources().map(([p]) => p))
    for (const [path, source] of kernelSources().filter(([p]) => p.endsWith('.ts')))
      for (const [, shader] of source.matchAll(/'(?:\.\.\/)+(shaders\/[\w/]+\.wgsl)\?raw'/g))
        expect(paths.has(shader), `${path} loads ${shader}`).toBe(true)
  })

  it('is keccak256 over path ‖ 0 ‖ source ‖ 0 of the files on disk, sorted by path', () => {
    expect(hashKernelSources(covered().map((p) => [p, readFileSync(p, 'utf8')]))).toBe(kernelsHash())
    // CRLF line ends hash as LF.
    expect(hashKernelSources([['a.wgsl', 'x\r\ny']])).toBe(hashKernelSources([['a.wgsl', 'x\ny']]))
  })

  it('validates receipts made with the kernels/2 library released before issue 17 (the same bits)', async () => {
    const body = { ...vectors.training_kernels1.body, kernelsHash: KERNEL_LIBRARIES[1].hash }
    const signed = await signTrainingReceipt(body as never, producer, target)
    const checks = await validateTrainingReceipt(signed, { ...target, signer: producer.address })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.find((c) => c.name === 'kernels')?.detail).toContain('kernels/2')
    expect(KERNEL_LIBRARIES[1].hash).not.toBe(kernelsHash())
  })

  it("validates receipts made with bits/2's earlier library (issue 18 as merged), as bits/2", async () => {
    const [earlier] = RELEASES.releases.find((r) => r.id === 'bits/2')!.libraries
    const body = { ...vectors.training_kernels1.body, kernelsHash: earlier.hash }
    const signed = await signTrainingReceipt(body as never, producer, target)
    const checks = await validateTrainingReceipt(signed, { ...target, signer: producer.address })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.find((c) => c.name === 'kernels')?.detail).toMatch(/^bits\/2 .*issue 18 as merged/)
    expect(earlier.hash).not.toBe(kernelsHash())
  })

  it('validates receipts made with the released kernels/1 library; refuses kernels it does not know', async () => {
    const v = vectors.training_kernels1
    expect(KERNEL_LIBRARIES.map((k) => k.hash)).toContain(v.body.kernelsHash)
    const signed = await signTrainingReceipt(v.body as never, producer, target)
    expect(signed).toEqual(v)
    const checks = await validateTrainingReceipt(v, { ...target, signer: producer.address })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.find((c) => c.name === 'kernels')?.detail).toContain('kernels/1')

    const other = await signTrainingReceipt(
      { ...v.body, kernelsHash: keccak256(toHex('other kernels')) as Hex } as never,
      producer,
      target,
    )
    const failed = (await validateTrainingReceipt(other)).filter((c) => !c.ok)
    expect(failed.map((c) => c.name)).toEqual(['kernels'])
  })
})
