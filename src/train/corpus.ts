// The corpus a run trains on, described once: its name (what receipts call it), its SHA-256 (so other
// bytes are refused) and the fraction held out for validation. Whatever splits the corpus reads the
// fraction from here, and receipts state these same fields (receiptData), so a receipt never names a
// split the code did not make.
import { CorpusError } from '../errors/train.ts'
import { sha256Hex } from '../util/hash.ts'
import { splitCorpus, type Split } from './data.ts'

export interface Corpus {
  name: string
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string
  /** The last fraction of the bytes held out for validation (splitCorpus). */
  valFraction: number
}

/** The corpus the app ships in public/corpus/ (scripts/prepare-corpus.mjs writes it and its hash). */
export const KJV_PENTATEUCH: Corpus = {
  name: 'kjv-pentateuch',
  sha256: '5b6b56b219820927d58a97ba7569992ad3b45ef672e299e80c0556a717debc73',
  valFraction: 0.1,
}

/** Where a shipped corpus lives, relative to the app's base URL (and to public/ in the repository). */
export function corpusPath(c: Pick<Corpus, 'name'>): string {
  return `corpus/${c.name}.txt`
}

/** The corpus as a training receipt names it: the split it trains on and the fraction that cut it. */
export function receiptData(c: Corpus): {
  name: string
  sha256: string
  split: 'train'
  valFraction: number
} {
  return { name: c.name, sha256: c.sha256, split: 'train', valFraction: c.valFraction }
}

/** Splits `bytes` by the descriptor's fraction: the one place a corpus is cut. */
export function splitBy(c: Corpus, bytes: Uint8Array): Split {
  return splitCorpus(bytes, c.valFraction)
}

/** Checks that `bytes` are the corpus `c` describes, then splits them. */
export async function openCorpus(c: Corpus, bytes: Uint8Array): Promise<Split> {
  const sha256 = await sha256Hex(bytes)
  if (sha256 !== c.sha256)
    throw new CorpusError(`These bytes are not the corpus ${c.name}.`, {
      details: `They hash to ${sha256}; ${c.name} hashes to ${c.sha256}.`,
    })
  return splitBy(c, bytes)
}

/** A descriptor for a file of one's own (the CLI's --corpus): its name, its hash, the shipped fraction. */
export async function describeCorpus(
  name: string,
  bytes: Uint8Array,
  valFraction = KJV_PENTATEUCH.valFraction,
): Promise<Corpus> {
  return { name, sha256: await sha256Hex(bytes), valFraction }
}

/** Fetches a shipped corpus's bytes (pages and workers); openCorpus then checks them. */
export async function fetchCorpus(c: Corpus, url: string): Promise<Uint8Array> {
  const res = await fetch(url)
  if (!res.ok)
    throw new CorpusError(`Could not load the corpus ${c.name}.`, { details: `${url}: HTTP ${res.status}` })
  return new Uint8Array(await res.arrayBuffer())
}
