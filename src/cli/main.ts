// The `lockstep` command line, on the deterministic CPU reference:
//   lockstep verify <receipt.json> [--signer ADDR] [--chain-id N] [--registry ADDR] [--rpc URL] [--corpus FILE] [--model FILE] [--no-replay]
//   lockstep infer --model m.onnx --input x.json --out receipt.json [--key 0x…] [--uri URI] [--chain-id N] [--registry ADDR]
// verify exits 0 only when every check passes; otherwise 1, with the failed checks named. 2: bad usage.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isAddress, isHex, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { validateTrainingReceipt, type Check } from '../receipts/validate.ts'
import { replayTrainingReceipt } from '../receipts/replay.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import {
  INFERENCE_RECEIPT,
  createInferenceReceipt,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from '../receipts/inference.ts'
import { DEV_TARGET } from '../receipts/devkey.ts'
import { cpuBackend } from '../train/cpu.ts'
import { firstDivergentStep } from '../disputes/dispute.ts'
import { resolveChain } from '../chain/config.ts'
import { verifyAnchor } from '../chain/verify.ts'

const usage = `usage:
  lockstep verify <receipt.json> [--signer ADDR] [--chain-id N] [--registry ADDR] [--rpc URL] [--corpus FILE] [--model FILE] [--no-replay]
    --rpc URL: also require the receipt's anchor on that chain, from its signer, with the same root
  lockstep dispute <a.json> <b.json> [--corpus FILE]
  lockstep infer --model m.onnx --input x.json --out receipt.json [--key 0x…] [--uri URI] [--chain-id N] [--registry ADDR]`

function report(checks: Check[]): boolean {
  for (const c of checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`)
  const failed = checks.filter((c) => !c.ok)
  if (failed.length) console.log(`FAILED: ${failed.map((c) => c.name).join(', ')}`)
  return failed.length === 0
}

/** --key, else $LOCKSTEP_KEY, else a local dev key kept in ~/.lockstep/dev-key (made on first use). */
function signingKey(args: string[]): Hex {
  const given = flag(args, 'key') ?? process.env.LOCKSTEP_KEY
  if (given) {
    if (!isHex(given) || given.length !== 66) throw new Error('the key must be 32 bytes of 0x-hex')
    return given
  }
  const file = join(homedir(), '.lockstep', 'dev-key')
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, generatePrivateKey() + '\n')
    chmodSync(file, 0o600)
    console.error(`created a local dev key in ${file} (for development chains only)`)
  }
  console.error(`signing with the local dev key in ${file}`)
  return readFileSync(file, 'utf8').trim() as Hex
}

async function inferCommand(args: string[]): Promise<number> {
  const [modelFile, inputFile, out] = [flag(args, 'model'), flag(args, 'input'), flag(args, 'out')]
  if (!modelFile || !inputFile || !out) {
    console.error(usage)
    return 2
  }
  const account = privateKeyToAccount(signingKey(args))
  const receipt = await createInferenceReceipt(
    new Uint8Array(readFileSync(modelFile)),
    JSON.parse(readFileSync(inputFile, 'utf8')),
    {
      uri: flag(args, 'uri') ?? pathToFileURL(resolve(modelFile)).href,
      account,
      target: {
        chainId: Number(flag(args, 'chain-id') ?? DEV_TARGET.chainId),
        verifyingContract: (flag(args, 'registry') ?? DEV_TARGET.verifyingContract) as Address,
      },
    },
  )
  writeFileSync(out, JSON.stringify(receipt, null, 2) + '\n')
  console.log(
    `wrote ${out}: outputs ${Object.keys(receipt.body.outputs).join(', ')}, output hash ${receipt.body.outputHash}, signed by ${account.address}`,
  )
  return 0
}

async function modelBytes(uri: string, override?: string): Promise<Uint8Array> {
  if (override) return new Uint8Array(readFileSync(override))
  if (uri.startsWith('file:')) return new Uint8Array(readFileSync(fileURLToPath(uri)))
  const res = await fetch(uri)
  if (!res.ok) throw new Error(`fetching the model from ${uri} failed: HTTP ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}

async function verifyInferenceCommand(
  receipt: unknown,
  args: string[],
  options: Parameters<typeof validateInferenceReceipt>[1],
): Promise<number> {
  if (!report(await validateInferenceReceipt(receipt, options))) return 1
  if ((await anchorCheck(receipt as InferenceReceipt, args)) === false) return 1
  if (args.includes('--no-replay')) return 0
  const r = receipt as InferenceReceipt
  let bytes: Uint8Array
  try {
    bytes = await modelBytes(r.body.model.uri, flag(args, 'model'))
  } catch (e) {
    console.log(
      `✗ output hash: cannot read the model (${e instanceof Error ? e.message : e}); pass --model FILE`,
    )
    return 1
  }
  if (!report(verifyInference(r, bytes))) return 1
  console.log(`OK: signed by ${r.body.producer}; outputs re-executed and equal`)
  return 0
}

/**
 * With --rpc: the anchor check against that chain. The chain id is the one the RPC reports (the chain
 * really being read), unless --chain-id names one; then they must agree. null when --rpc is absent.
 */
async function anchorCheck(
  receipt: TrainingReceipt | InferenceReceipt,
  args: string[],
): Promise<boolean | null> {
  const rpc = flag(args, 'rpc')
  if (!rpc) return null
  let chainId: string
  try {
    const res = await fetch(rpc, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    })
    chainId = String(Number(((await res.json()) as { result: string }).result))
  } catch (e) {
    console.log(`✗ anchor: the chain at ${rpc} did not answer (${e instanceof Error ? e.message : e})`)
    return false
  }
  const wanted = flag(args, 'chain-id')
  if (wanted !== undefined && wanted !== chainId) {
    console.log(`✗ chain: ${rpc} is chain ${chainId}, not ${wanted}`)
    return false
  }
  const config = resolveChain({ rpc, chainId, registry: flag(args, 'registry') })
  const verdict = await verifyAnchor(receipt, config)
  report(verdict.checks)
  return verdict.ok
}

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
  const options = {
    signer: signer as Address | undefined,
    verifyingContract: registry as Address | undefined,
    chainId: chainId === undefined ? undefined : Number(chainId),
  }
  if ((receipt as { kind?: string })?.kind === INFERENCE_RECEIPT)
    return verifyInferenceCommand(receipt, args, options)
  if (!report(await validateTrainingReceipt(receipt, options))) return 1
  if ((await anchorCheck(receipt as TrainingReceipt, args)) === false) return 1
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

/**
 * Two training receipts that disagree: bisect to the first divergent step, then referee that one step by
 * replaying it on the CPU reference, naming the receipt(s) whose commitment differs.
 */
async function disputeCommand(args: string[]): Promise<number> {
  const files = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'))
  if (files.length !== 2) {
    console.error(usage)
    return 2
  }
  const [a, b] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as TrainingReceipt)
  for (const [i, r] of [a, b].entries()) {
    const failed = (await validateTrainingReceipt(r)).filter((c) => !c.ok)
    if (failed.length) {
      console.log(
        `✗ ${files[i]} does not validate: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
      )
      return 1
    }
  }
  const { index: step, rounds } = firstDivergentStep(a, b)
  console.log(`first divergent step: ${step} (found in ${rounds} bisection rounds)`)
  const corpus = new Uint8Array(readFileSync(flag(args, 'corpus') ?? corpusPath(a)))
  const ref = await replayTrainingReceipt(
    {
      ...a,
      body: { ...a.body, endStep: step, stepHashes: a.body.stepHashes.slice(0, step - a.body.startStep) },
    },
    cpuBackend,
    corpus,
  )
  const reference = ref.steps.at(-1)?.actual
  if (!reference || ref.steps.slice(0, -1).some((s) => !s.equal)) {
    console.log(
      `✗ the replay before step ${step} already disagrees with the agreed commitments: ${ref.detail}`,
    )
    return 1
  }
  const wrong = files.filter((_, i) => [a, b][i].body.stepHashes[step - a.body.startStep - 1] !== reference)
  console.log(`referee (CPU reference) state after step ${step}: ${reference}`)
  console.log(wrong.length ? `wrong: ${wrong.join(', ')}` : 'neither receipt matches the referee')
  return 0
}

function corpusPath(r: TrainingReceipt): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  return join(root, 'public', 'corpus', `${r.body.data.name.replace(/[^\w.-]/g, '')}.txt`)
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === 'verify') return await verify(rest)
    if (command === 'infer') return await inferCommand(rest)
    if (command === 'dispute') return await disputeCommand(rest)
  } catch (e) {
    console.error(`lockstep ${command}: ${e instanceof Error ? e.message : e}`)
    return 1
  }
  console.error(usage)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
