// `lockstep releases [--gpu] [--corpus FILE]`: the kernel-library releases this build runs, each proved
// on this machine: its golden suite (src/receipts/golden.ts) must give its record back, bit for bit: the
// ONNX graphs on the CPU reference, the training steps on the CPU reference or, with --gpu, on this
// machine's GPU (a release that keeps frozen training kernels replays on the CPU reference only).
import { readFileSync } from 'node:fs'
import { BaseError } from '../errors/base.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { checkGoldenOnnx, checkGoldenTraining, releaseHash, type GoldenResult } from '../receipts/golden.ts'
import { kernelsHash } from '../receipts/kernels.ts'
import { RELEASES, resolveRelease } from '../receipts/releases.ts'
import { flag } from './args.ts'
import { cliBackend } from './backend.ts'
import { shippedCorpus } from './reexec.ts'

export async function releasesCommand(args: string[]): Promise<number> {
  const corpus = new Uint8Array(readFileSync(flag(args, 'corpus') ?? shippedCorpus(KJV_PENTATEUCH.name)))
  const backend = await cliBackend(args)
  console.log(`this library: kernels ${kernelsHash()}, release ${RELEASES.current}`)
  let failed = 0
  const line = (r: GoldenResult, where: string) => {
    if (!r.ok) failed++
    console.log(
      `  ${r.ok ? '✓' : '✗'} ${r.what} (${where}): ${r.ok ? r.got : `${r.got} ≠ recorded ${r.want}`}`,
    )
  }
  try {
    for (const def of RELEASES.releases) {
      const hashes = def.libraries.map((l) => `${l.hash} (${l.scheme})`)
      console.log(`${def.id}${def.id === RELEASES.current ? " (this library's)" : ''}: ${def.note}`)
      if (hashes.length) console.log(`  released as ${hashes.join(', ')}`)
      if (def.retired) {
        console.log(`  retired: ${def.retired}`)
        continue
      }
      const release = resolveRelease(releaseHash(def, RELEASES))
      for (const r of checkGoldenOnnx(release)) line(r, 'CPU reference')
      if (!def.training) {
        console.log('  training steps: not kept by this library (its training receipts are refused)')
        continue
      }
      try {
        line(await checkGoldenTraining(release, backend.be, corpus), backend.name)
      } catch (e) {
        if (!(e instanceof BaseError)) throw e
        failed++
        console.log(`  ✗ training steps (${backend.name}): ${e.name}: ${e.shortMessage}`)
      }
    }
  } finally {
    backend.dispose()
  }
  console.log(failed ? `FAILED: ${failed} golden check(s)` : 'OK: every release gives its recorded bits')
  return failed ? 1 : 0
}
