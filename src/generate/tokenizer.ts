// Text to token ids and back, named in a receipt by hash. Two kinds: byte-level (Lockstep's own models:
// token i is byte i, text is UTF-8) with a fixed hash, and a Hugging Face tokenizer.json (BPE, WordPiece,
// Unigram) through @huggingface/tokenizers, hashed as keccak256 of the file's bytes.
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import type { Hex } from 'viem'
import { TokenizerError } from '../errors/generate.ts'
import { keccak256Hex } from '../util/keccak.ts'

export interface Tokenizer {
  /** keccak256 of the tokenizer file; BYTE_TOKENIZER_HASH for the byte-level one. */
  hash: Hex
  /** 'byte', or what the file's model says: 'BPE', 'WordPiece', 'Unigram'. */
  kind: string
  encode(text: string): number[]
  /** Every id as text, special tokens included; bytes that are not UTF-8 become U+FFFD. */
  decode(ids: readonly number[]): string
  /** Ids the tokenizer marks as ending a text (its eos token), for the default eos_token_ids. */
  eos: number[]
}

const utf8 = new TextEncoder()
export const BYTE_TOKENIZER_ID = 'lockstep/byte-tokenizer/1'
/** The byte-level tokenizer has no file: its hash is keccak256(utf8("lockstep/byte-tokenizer/1")). */
export const BYTE_TOKENIZER_HASH = keccak256Hex([utf8.encode(BYTE_TOKENIZER_ID)])
/** The URI a receipt gives for it. */
export const BYTE_TOKENIZER_URI = 'lockstep:byte'

export const byteTokenizer: Tokenizer = {
  hash: BYTE_TOKENIZER_HASH,
  kind: 'byte',
  encode: (text) => Array.from(utf8.encode(text)),
  decode: (ids) => {
    const bad = ids.find((i) => !Number.isInteger(i) || i < 0 || i > 255)
    if (bad !== undefined)
      throw new TokenizerError(`Token ${bad} is not a byte (the byte-level tokenizer has ids 0–255).`)
    return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(ids))
  },
  eos: [],
}

/** The largest tokenizer.json read (Llama 3's is 9 MB). */
export const MAX_TOKENIZER_BYTES = 32 * 2 ** 20

/** The names under which tokenizer.json files commonly mark the end of a text. */
const EOS_NAMES = ['</s>', '<|endoftext|>', '<|end_of_text|>', '<|im_end|>', '<|eot_id|>', '<eos>', '[SEP]']

/** A tokenizer.json file's bytes as a Tokenizer; refused by name when it does not parse. */
export function hfTokenizer(bytes: Uint8Array): Tokenizer {
  if (bytes.length > MAX_TOKENIZER_BYTES)
    throw new TokenizerError(
      `The tokenizer file is ${bytes.length} bytes; at most ${MAX_TOKENIZER_BYTES} are read.`,
    )
  let json: { model?: { type?: string }; added_tokens?: { id: number; content: string; special?: boolean }[] }
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (e) {
    throw new TokenizerError('This file is not a tokenizer.json (not UTF-8 JSON).', {
      details: e instanceof Error ? e.message : String(e),
    })
  }
  const kind = String(json?.model?.type)
  if (!['BPE', 'WordPiece', 'Unigram'].includes(kind))
    throw new TokenizerError(`The tokenizer's model is ${kind}; BPE, WordPiece and Unigram are supported.`)
  let tok: HfTokenizer
  try {
    tok = new HfTokenizer(json, {})
  } catch (e) {
    throw new TokenizerError('This file is not a tokenizer.json the tokenizers library can load.', {
      details: e instanceof Error ? e.message : String(e),
    })
  }
  const eos = (json.added_tokens ?? [])
    .filter((t) => t.special && EOS_NAMES.includes(t.content))
    .map((t) => t.id)
  return {
    hash: keccak256Hex([bytes]),
    kind,
    // The tokenizer's own special tokens (BOS, [CLS]) are added as its post-processor says.
    encode: (text) => tok.encode(text).ids,
    decode: (ids) =>
      tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    eos: eos.slice(0, 1),
  }
}

/** 'byte' (or nothing) for the byte-level tokenizer, else a tokenizer.json's bytes. */
export function loadTokenizer(source: 'byte' | Uint8Array | undefined): Tokenizer {
  return source === undefined || source === 'byte' ? byteTokenizer : hfTokenizer(source)
}
