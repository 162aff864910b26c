// The `lockstep` command line: verify receipts in Node, on the CPU reference by default.
//   lockstep verify <receipt.json> [--signer ADDR] [--chain-id N] [--registry ADDR] [--corpus FILE] [--no-replay]
// Exit 0 only when every check passes; otherwise 1, with the failed check named. 2: bad usage.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isAddress, type Address } from 'viem'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import { replayTrainingReceipt } from '../receipts/replay.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import { cpuBackend } from '../train/cpu.ts'

const usage = `usage: lockstep verify <receipt.json> [--signer ADDR] [--chain-id N] [--registry ADDR] [--corpus FILE] [--no-replay]`

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

async function verify(args: string[]): Promise<number> {
  const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
  if (!file) {
    console.error(usage)
    return 2
  }
  let receipt: unknown
  try {
    receipt = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    console.error(`✗ structure: cannot read ${file} as JSON (${e instanceof Error ? e.message : e})`)
    return 1
  }
  const signer = flag(args, 'signer')
  const registry = flag(args, 'registry')
  const chainId = flag(args, 'chain-id')
  for (const [name, v] of [
    ['signer', signer],
    ['registry', registry],
  ] as const) {
    if (v !== undefined && !isAddress(v)) {
      console.error(`--${name} ${v} is not an address\n${usage}`)
      return 2
    }
  }
  const checks = await validateTrainingReceipt(receipt, {
    signer: signer as Address | undefined,
    verifyingContract: registry as Address | undefined,
    chainId: chainId === undefined ? undefined : Number(chainId),
  })
  for (const c of checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
  const failed = checks.filter((c) => !c.ok)
  if (failed.length) {
    console.log(`FAILED: ${failed.map((c) => c.name).join(', ')}`)
    return 1
  }
  if (args.includes('--no-replay')) {
    console.log('OK (validated; not re-executed)')
    return 0
  }
  const r = receipt as TrainingReceipt
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const corpusFile =
    flag(args, 'corpus') ?? join(root, 'public', 'corpus', `${r.body.data.name.replace(/[^\w.-]/g, '')}.txt`)
  let corpus: Uint8Array
  try {
    corpus = new Uint8Array(readFileSync(corpusFile))
  } catch {
    console.log(`✗ replay: the corpus ${corpusFile} is not readable (pass --corpus FILE)`)
    return 1
  }
  const result = await replayTrainingReceipt(r, cpuBackend, corpus, {
    onStep: (v) =>
      console.log(
        `${v.equal ? '✓' : '✗'} step ${v.step}: ${v.actual}${v.equal ? '' : ` ≠ committed ${v.expected}`}`,
      ),
  })
  console.log(`${result.ok ? '✓' : '✗'} replay (CPU reference): ${result.detail}`)
  if (!result.ok) {
    console.log('FAILED: replay')
    return 1
  }
  console.log(`OK: signed by ${r.body.producer}; every step re-executed and equal`)
  return 0
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === 'verify') return verify(rest)
  console.error(usage)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
