// Where a settler or challenger gets what a market committed to: the model (--model FILE, a model this
// build ships, or its URI fetched under the model limits), the input (--input FILE|TEXT, else its URI: the
// data: URI create writes, or http(s)) and the posted settlement (--settlement FILE, else the URI in its
// SettlementProposed log). Each is held to the hash on chain before it is used: the URIs are the
// creator's and the settler's word, the hashes are what the market pays on.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keccak256, type PublicClient } from 'viem'
import { marketAbi } from '../chain/contracts/Market.ts'
import { CommitmentMismatchError, MarketError, MarketFieldError } from '../errors/market.ts'
import { fetchModel } from '../receipts/fetchModel.ts'
import { inputHashOf, type ContractRef, type MarketTerms } from '../markets/chain.ts'
import { BUNDLED_URI, bundledModel } from '../markets/model.ts'
import { TRAINED_URI, trainedModel } from '../markets/trained.ts'
import { flag } from './args.ts'
import { nodeTransport } from './fetchNode.ts'

/** A settlement receipt is a few kilobytes; its input is the market's, at most this. */
const RECEIPT_BYTES = 2 ** 20

/** --input FILE|TEXT: a regular file's contents, else the words themselves. */
export function inputText(given: string): { text: string; from: string } {
  if (existsSync(given) && statSync(given).isFile())
    return { text: readFileSync(given, 'utf8'), from: `file ${given}` }
  // A mistyped path must not become the input a market commits to for good.
  if (/^(\.{0,2}\/|~\/)\S*$|^\S+\.(txt|json|md|csv)$/.test(given))
    throw new MarketFieldError(`--input ${given} looks like a file's path, but there is no such file.`)
  return { text: given, from: 'the command line' }
}

/**
 * The models this build carries, by URI: the bundled demo GPT, and the trained one exported from the
 * shipped RL warm start (dist-cli/main.js runs one folder below the repository's or package's root).
 */
export function shippedModel(uri: string): Uint8Array | null {
  if (uri === BUNDLED_URI) return bundledModel()
  if (uri !== TRAINED_URI) return null
  return trainedModel(shippedCheckpoint())
}

/** The RL warm start this build ships (public/rl/warmstart.lscp): the trained model's checkpoint. */
export function shippedCheckpoint(): Uint8Array {
  // dist-cli/main.js sits one folder below the root; this file, run from source (tests), two.
  const here = dirname(fileURLToPath(import.meta.url))
  const file = [join(here, '..'), join(here, '..', '..')]
    .map((root) => join(root, 'public', 'rl', 'warmstart.lscp'))
    .find((f) => existsSync(f))
  if (!file) throw new MarketError('The shipped settlement model (public/rl/warmstart.lscp) is missing.')
  return new Uint8Array(readFileSync(file))
}

/** The bytes a data: or http(s) URI names; `what` says what for, in errors. */
export async function readUri(
  uri: string,
  args: string[],
  what: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const data = /^data:([^,]*),(.*)$/s.exec(uri)
  if (data) {
    const bytes = data[1].endsWith(';base64')
      ? new Uint8Array(Buffer.from(data[2], 'base64'))
      : new TextEncoder().encode(decodeURIComponent(data[2]))
    if (bytes.length > maxBytes)
      throw new MarketError(`The ${what} at its data: URI is over ${maxBytes} bytes.`)
    return bytes
  }
  if (/^https?:/.test(uri)) {
    const allowLocal = args.includes('--allow-local')
    return fetchModel(uri, { allowLocal, limits: { maxBytes } }, nodeTransport(allowLocal))
  }
  throw new MarketError(
    `Cannot read the ${what} from ${JSON.stringify(uri.slice(0, 80))}: data: and http(s) URIs only.`,
  )
}

/** The market's model, which must hash to its commitment. */
export async function marketModel(args: string[], terms: MarketTerms): Promise<Uint8Array> {
  const file = flag(args, 'model')
  let bytes: Uint8Array
  let from: string
  if (file) {
    if (!existsSync(file) || !statSync(file).isFile())
      throw new CommitmentMismatchError(`--model ${file} is not a regular file.`)
    ;[bytes, from] = [new Uint8Array(readFileSync(file)), `--model ${file}`]
  } else {
    const shipped = shippedModel(terms.modelUri)
    ;[bytes, from] = shipped
      ? [shipped, `the shipped model ${terms.modelUri}`]
      : [await readUri(terms.modelUri, args, 'model', 64 * 2 ** 20), terms.modelUri]
  }
  const hash = keccak256(bytes)
  if (hash !== terms.modelHash)
    throw new CommitmentMismatchError(
      `${from} hashes to ${hash}; the market committed to model ${terms.modelHash}.`,
      { metaMessages: ['Pass the committed model file: --model FILE.'] },
    )
  console.log(`✓ model: ${from} has the committed hash ${hash}`)
  return bytes
}

/** The market's input text, which must hash to its commitment. */
export async function marketInput(args: string[], terms: MarketTerms): Promise<string> {
  const given = flag(args, 'input')
  const { text, from } = given
    ? inputText(given)
    : {
        text: new TextDecoder().decode(await readUri(terms.inputUri, args, 'input', RECEIPT_BYTES)),
        from: terms.inputUri.startsWith('data:') ? 'the market’s data: URI' : terms.inputUri,
      }
  if (inputHashOf(text) !== terms.inputHash)
    throw new CommitmentMismatchError(
      `The input from ${from} hashes to ${inputHashOf(text)}; the market committed to ${terms.inputHash}.`,
      { metaMessages: ['Pass the committed input: --input FILE|TEXT.'] },
    )
  console.log(`✓ input: from ${from}, the committed hash ${terms.inputHash}`)
  return text
}

/** The posted settlement as JSON (unchecked: recheckSettlement judges it), from --settlement or its log. */
export async function postedSettlement(
  args: string[],
  client: PublicClient,
  ref: ContractRef,
): Promise<{ value: unknown; from: string }> {
  const file = flag(args, 'settlement')
  let text: string
  let from: string
  if (file) [text, from] = [readFileSync(file, 'utf8'), file]
  else {
    const logs = await client.getContractEvents({
      address: ref.address,
      abi: marketAbi,
      eventName: 'SettlementProposed',
      fromBlock: BigInt(flag(args, 'from-block') ?? 0),
    })
    const uri = logs.at(-1)?.args.uri
    if (uri === undefined)
      throw new MarketError('No SettlementProposed log found: pass --settlement FILE (or --from-block).')
    text = new TextDecoder().decode(await readUri(uri, args, 'settlement', RECEIPT_BYTES))
    from = uri.startsWith('data:') ? 'its data: URI on chain' : uri
  }
  try {
    return { value: JSON.parse(text), from }
  } catch {
    throw new MarketError(`The settlement from ${from} is not JSON.`)
  }
}
