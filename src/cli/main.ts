// The `lockstep` command line, on the deterministic CPU reference (or the GPU through Dawn with --gpu),
// and the operator's commands that make a swarm exist (relay, deploy, build-app). Help: usage.ts. Every
// command exits 0 when it did its work (verify and replay: when every check passes), 1 when it refused
// (naming the failed checks, or why), 2 on bad usage.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { validateTrainingReceipt } from '../receipts/validate.ts'
import type { TrainingReceipt } from '../receipts/training.ts'
import {
  INFERENCE_RECEIPT,
  createInferenceReceipt,
  validateInferenceReceipt,
  verifyInference,
  type InferenceReceipt,
} from '../receipts/inference.ts'
import { builtinModel, isBuiltinModel } from '../generate/builtin.ts'
import { GENERATION_RECEIPT, type GenerationReceipt } from '../receipts/generation.ts'
import type { AnchorableReceipt } from '../chain/anchor.ts'
import { DEV_TARGET } from '../receipts/devkey.ts'
import { fetchModel } from '../receipts/fetchModel.ts'
import { resolveRelease } from '../receipts/releases.ts'
import { BaseError } from '../errors/base.ts'
import { FlagError, UsageError } from '../errors/cli.ts'
import { signingKey } from './keys.ts'
import { KJV_PENTATEUCH } from '../train/corpus.ts'
import { OnnxError } from '../errors/infer.ts'
import { resolveChain } from '../chain/config.ts'
import { publicClient } from '../chain/client.ts'
import { verifyAnchor } from '../chain/verify.ts'
import { flag, oneLine, positional, report } from './args.ts'
import { nodeTransport } from './fetchNode.ts'
import { cliBackend } from './backend.ts'
import { disputeCommand } from './dispute.ts'
import { traceCommand } from './trace.ts'
import { reexecute, shippedCorpus } from './reexec.ts'
import { trainCommand } from './train.ts'
import { generateCommand, verifyGenerationCommand } from './generate.ts'
import { help, usage } from './usage.ts'

async function inferCommand(args: string[]): Promise<number> {
  const [modelFile, inputFile, out] = [flag(args, 'model'), flag(args, 'input'), flag(args, 'out')]
  if (!modelFile || !inputFile || !out) throw new UsageError('infer needs --model, --input and --out')
  const account = privateKeyToAccount(signingKey(args))
  let receipt: InferenceReceipt
  try {
    // The inputs pass the checks verify makes (no coercion), or nothing is signed.
    receipt = await createInferenceReceipt(
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
  } catch (e) {
    if (!(e instanceof OnnxError)) throw e
    console.error(`lockstep infer: ${e.name}: ${e.message}`)
    return 1
  }
  writeFileSync(out, JSON.stringify(receipt, null, 2) + '\n')
  console.log(
    `wrote ${out}: outputs ${Object.keys(receipt.body.outputs).join(', ')}, output hash ${receipt.body.outputHash}, signed by ${account.address}`,
  )
  return 0
}

/**
 * The model to re-execute: the file the verifier names (--model), else the receipt's URI fetched under
 * the verifier's limits (src/receipts/fetchModel.ts): a receipt's file: URI is never read.
 */
async function modelBytes(uri: string, args: string[]): Promise<Uint8Array> {
  const file = flag(args, 'model')
  if (file) {
    if (!statSync(file).isFile()) throw new FlagError(`--model ${file} is not a regular file.`)
    return new Uint8Array(readFileSync(file))
  }
  if (isBuiltinModel(uri)) return builtinModel(uri)
  const allowLocal = args.includes('--allow-local')
  return fetchModel(uri, { allowLocal }, nodeTransport(allowLocal))
}

/** A receipt's model (modelBytes), or null after a ✗ row saying why it could not be read. */
async function receiptModel(uri: string, args: string[]): Promise<Uint8Array | null> {
  try {
    return await modelBytes(uri, args)
  } catch (e) {
    console.log(`✗ model: cannot read the model (${oneLine(e)}); pass --model FILE`)
    return null
  }
}

async function verifyInferenceCommand(
  receipt: unknown,
  args: string[],
  options: Parameters<typeof validateInferenceReceipt>[1],
): Promise<number> {
  if (!report(await validateInferenceReceipt(receipt, options))) return 1
  if (!(await anchorCheck(receipt as InferenceReceipt, args)).ok) return 1
  if (args.includes('--no-replay')) return 0
  const r = receipt as InferenceReceipt
  const bytes = await receiptModel(r.body.model.uri, args)
  if (!bytes) return 1
  if (!report(verifyInference(r, bytes))) return 1
  const release = resolveRelease(r.body.kernelsHash)
  console.log(
    `OK: signed by ${r.body.producer}; outputs re-executed and equal, verified with release ${release.id} (kernels ${release.kernelsHash})`,
  )
  return 0
}

/**
 * With --rpc: the anchor check against that chain. The chain id is the one the RPC reports (the chain
 * really being read), unless --chain-id names one; then they must agree. Skipped without --rpc. The
 * anchor's block hash comes back to be mixed into a spot check's seed (never the seed alone: see
 * spotCheckSeed in receipts/replay.ts).
 */
async function anchorCheck(
  receipt: AnchorableReceipt,
  args: string[],
): Promise<{ ok: boolean; blockHash?: Hex }> {
  const rpc = flag(args, 'rpc')
  if (!rpc) return { ok: true }
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
    return { ok: false }
  }
  const wanted = flag(args, 'chain-id')
  if (wanted !== undefined && wanted !== chainId) {
    console.log(`✗ chain: ${rpc} is chain ${chainId}, not ${wanted}`)
    return { ok: false }
  }
  const config = resolveChain({ rpc, chainId, registry: flag(args, 'registry') })
  const client = publicClient(config)
  const verdict = await verifyAnchor(receipt, config, client)
  report(verdict.checks)
  if (!verdict.ok || !verdict.anchor) return { ok: false }
  const block = await client.getBlock({ blockNumber: verdict.anchor.blockNumber })
  return { ok: true, blockHash: block.hash }
}

async function readReceipt(file: string | undefined): Promise<unknown> {
  if (!file) throw new UsageError()
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    console.error(`✗ structure: cannot read ${file} as JSON (${e instanceof Error ? e.message : e})`)
    return undefined
  }
}

async function verify(args: string[]): Promise<number> {
  const receipt = await readReceipt(positional(args, BOOLEAN_FLAGS)[0])
  if (receipt === undefined) return 1
  const signer = flag(args, 'signer')
  const registry = flag(args, 'registry')
  const chainId = flag(args, 'chain-id')
  for (const [name, v] of [
    ['signer', signer],
    ['registry', registry],
  ] as const) {
    if (v !== undefined && !isAddress(v)) {
      console.error(`--${name} ${v} is not an address`)
      throw new UsageError()
    }
  }
  const options = {
    signer: signer as Address | undefined,
    verifyingContract: registry as Address | undefined,
    chainId: chainId === undefined ? undefined : Number(chainId),
  }
  if ((receipt as { kind?: string })?.kind === INFERENCE_RECEIPT)
    return verifyInferenceCommand(receipt, args, options)
  if ((receipt as { kind?: string })?.kind === GENERATION_RECEIPT)
    return verifyGenerationCommand(receipt, args, options, receiptModel, async () => {
      return (await anchorCheck(receipt as GenerationReceipt, args)).ok
    })
  if (!report(await validateTrainingReceipt(receipt, options))) return 1
  const r = receipt as TrainingReceipt
  const anchor = await anchorCheck(r, args)
  if (!anchor.ok) return 1
  if (args.includes('--no-replay')) {
    console.log('OK (validated; not re-executed)')
    return 0
  }
  const backend = await cliBackend(args)
  try {
    if (!(await reexecute(r, args, backend, anchor.blockHash))) {
      console.log('FAILED: re-execution')
      return 1
    }
  } finally {
    backend.dispose()
  }
  const release = resolveRelease(r.body.kernelsHash)
  console.log(
    `OK: signed by ${r.body.producer}; ${flag(args, 'checkpoints') && !args.includes('--full') ? 'sampled steps' : 'every step'} re-executed and equal, verified with release ${release.id} (kernels ${release.kernelsHash})`,
  )
  return 0
}

/** Re-execution alone: for debugging a receipt, or a GPU, without signature or chain checks. */
async function replayCommand(args: string[]): Promise<number> {
  const receipt = (await readReceipt(positional(args, BOOLEAN_FLAGS)[0])) as TrainingReceipt | undefined
  if (receipt === undefined) return 1
  if (!receipt?.body?.config || !Array.isArray(receipt.body.stepHashes)) {
    console.log('✗ structure: not a training receipt')
    return 1
  }
  const backend = await cliBackend(args)
  try {
    return (await reexecute(receipt, args, backend)) ? 0 : 1
  } finally {
    backend.dispose()
  }
}

async function trainCli(args: string[]): Promise<number> {
  const backend = await cliBackend(args)
  try {
    return await trainCommand(
      args,
      backend,
      privateKeyToAccount(signingKey(args)),
      target(args),
      defaultCorpus,
    )
  } finally {
    backend.dispose()
  }
}

function target(args: string[]): { chainId: number; verifyingContract: Address } {
  return {
    chainId: Number(flag(args, 'chain-id') ?? DEV_TARGET.chainId),
    verifyingContract: (flag(args, 'registry') ?? DEV_TARGET.verifyingContract) as Address,
  }
}

/** Flags without a value, so the word after them is not taken for one. */
const BOOLEAN_FLAGS = ['gpu', 'no-replay', 'allow-local', 'full', 'no-eos', 'json', 'force', 'dry-run']
const defaultCorpus = shippedCorpus(KJV_PENTATEUCH.name)

function version(): string {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json')
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const commands: Record<string, (args: string[]) => Promise<number>> = {
    verify,
    replay: replayCommand,
    train: trainCli,
    infer: inferCommand,
    generate: (args) => generateCommand(args, privateKeyToAccount(signingKey(args)), target(args)),
    dispute: async (args) =>
      args.includes('--onchain')
        ? (await import('./disputeOnchain.ts')).onchainDisputeCommand(args, help.dispute)
        : disputeCommand(args, help.dispute),
    trace: (args) => traceCommand(args, help.trace),
    releases: async (args) => (await import('./releases.ts')).releasesCommand(args),
    // Loaded when used: verify need not start up libp2p.
    relay: async (args) => (await import('./relay.ts')).relayCommand(args),
    swarm: async (args) => (await import('./swarm.ts')).swarmCommand(args),
    deploy: async (args) => (await import('./deploy.ts')).deployCommand(args),
    'build-app': async (args) => (await import('./buildApp.ts')).buildAppCommand(args),
    leaderboard: async (args) => (await import('./leaderboard.ts')).leaderboardCommand(args),
    evidence: async (args) =>
      (await import('./evidence.ts')).evidenceCommand(args, positional(args, BOOLEAN_FLAGS)[0]),
    submit: async (args) =>
      (await import('./submit.ts')).submitCommand(args, positional(args, BOOLEAN_FLAGS)[0]),
    market: async (args) =>
      (await import('./market.ts')).marketCommand(args, positional(args, BOOLEAN_FLAGS)),
  }
  if (command === '--version' || command === '-v') {
    console.log(version())
    return 0
  }
  if (command === undefined) {
    console.error(usage)
    return 2
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(help[rest[0]] ?? usage)
    return 0
  }
  const run = commands[command]
  if (!run) {
    console.error(`lockstep: no command ${command}\n\n${usage}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(help[command])
    return 0
  }
  try {
    return await run(rest)
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.reason ? `lockstep ${command}: ${e.reason}\n\n` : ''}usage: ${help[command]}`)
      return 2
    }
    const named = e instanceof BaseError && e.name !== 'LockstepError' ? `${e.name}: ` : ''
    console.error(`lockstep ${command}: ${named}${e instanceof Error ? e.message : e}`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
