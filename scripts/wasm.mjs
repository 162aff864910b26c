// Assembles each src/kernels/*.wat and src/util/*.wat into a checked-in <name>.wasm.ts beside it (the module's bytes
// in base64), so the app, the CLI and the tests load it without a build step or a fetch. Run it after
// editing a .wat: `node scripts/wasm.mjs`; `--check` fails when a checked-in module is stale
// (src/kernels/wasm.test.ts runs the same comparison in npm test).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import wabtInit from 'wabt'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dirs = [join(root, 'src', 'kernels'), join(root, 'src', 'util')]

/** The generated TypeScript for one .wat file. */
export async function assemble(watPath) {
  const wabt = await wabtInit()
  const mod = wabt.parseWat(basename(watPath), readFileSync(watPath, 'utf8'), { simd: true })
  try {
    mod.validate()
    const { buffer } = mod.toBinary({})
    const name = basename(watPath)
    return (
      `// Generated from ${name} by scripts/wasm.mjs; edit the .wat and rerun it.\n` +
      `export const wasmBase64 =\n  '${Buffer.from(buffer).toString('base64')}'\n`
    )
  } finally {
    mod.destroy()
  }
}

export function watFiles() {
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.wat'))
      .map((f) => join(dir, f)),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check')
  let stale = 0
  for (const wat of watFiles()) {
    const out = wat.replace(/\.wat$/, '.wasm.ts')
    const text = await assemble(wat)
    const old = existsSync(out) ? readFileSync(out, 'utf8') : ''
    if (old === text) continue
    if (check) {
      console.error(`${out} is stale: run node scripts/wasm.mjs`)
      stale++
    } else {
      writeFileSync(out, text)
      console.log(`wrote ${out}`)
    }
  }
  process.exit(stale ? 1 : 0)
}
