// `lockstep releases`: every release this build lists, proved on this machine by its golden suite.
import { describe, expect, it } from 'vitest'
import { kernelsHash } from '../receipts/kernels.ts'
import { GOLDEN } from '../receipts/golden.ts'
import { RELEASES } from '../receipts/releases.ts'
import { lockstep } from './testing.ts'

describe('lockstep releases', () => {
  it('proves every release on the CPU reference and names what it ran', async () => {
    const r = await lockstep(['releases'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`this library: kernels ${kernelsHash()}, release ${RELEASES.current}`)
    for (const { id } of RELEASES.releases)
      for (const [name, hash] of Object.entries(GOLDEN.releases[id].onnx))
        expect(r.stdout).toContain(`✓ graph ${name} (CPU reference): ${hash}`)
    expect(r.stdout).toContain('✓ 2 training steps (CPU reference)')
    expect(r.stdout).toContain('OK: every release gives its recorded bits')
  }, 60_000)
})
