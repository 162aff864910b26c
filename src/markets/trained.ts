// The default settlement model: the RL swarm's warm start (public/rl/warmstart.lscp), a byte GPT trained
// for 4,000 steps on the task corpus (public/rl/tasks.txt) by Lockstep's own deterministic trainer, its
// training receipt public/rl/warmstart.receipt.json. It answers the task families it learned (sort and
// reverse a short word, compare two digits, count a letter) from the market's input, under TASK_RULE.
// The ONNX file is exported here from the checkpoint, so its bytes (and the model hash a market commits
// to) follow from the checkpoint whose state hash the receipt attests; both are pinned and checked.
import type { Hex } from 'viem'
import { decodeCheckpoint } from '../swarm/protocol/codec.ts'
import { exportOnnx } from '../train/onnx.ts'
import { stateHash } from '../train/state.ts'
import { keccak256Hex } from '../util/keccak.ts'
import { MarketError } from '../errors/market.ts'

export const TRAINED_URI = 'lockstep:bundled/rl-warmstart-4000'
/** The warm start's state after step 4,000: the training receipt's `endStateHash`. */
export const TRAINED_STATE_HASH: Hex = '0x17d61ee9eb2b4f5c0dcbbf1b92f1362d59aa913154643f7375a98abf0ffba128'
/** keccak256 of the ONNX file exported from it (src/markets/trained.test.ts re-derives it). */
export const TRAINED_MODEL_HASH: Hex = '0x33d019353484f38377773c41e128e02629f8b34fe4b1e1bf1dde8e6f95d703b7'
/** Where the page finds the checkpoint (the RL swarm serves the same file). */
export const TRAINED_CHECKPOINT_PATH = 'rl/warmstart.lscp'
const MAX_CHECKPOINT_BYTES = 1 << 20

/** The ONNX model of the warm-start checkpoint; refuses any checkpoint but the one the receipt attests. */
export function trainedModel(checkpoint: Uint8Array): Uint8Array {
  const c = decodeCheckpoint(checkpoint, MAX_CHECKPOINT_BYTES)
  const got = stateHash(c.step, c.tensors)
  if (got !== TRAINED_STATE_HASH)
    throw new MarketError(`This is not the trained settlement model's checkpoint (state hash ${got}).`, {
      details: `The warm start's training receipt ends at state ${TRAINED_STATE_HASH}.`,
    })
  const weights = new Map(c.tensors.filter((t) => !/^[mv]\./.test(t.name)).map((t) => [t.name, t.data]))
  return exportOnnx(c.config.model, weights, {
    metadata: { 'lockstep.uri': TRAINED_URI, 'lockstep.stateHash': TRAINED_STATE_HASH },
  })
}

/** The trained model in the page (`base`: the page's URL), fetched from the app's origin and checked. */
export async function loadTrainedModel(base: string): Promise<Uint8Array> {
  const url = new URL(TRAINED_CHECKPOINT_PATH, base).href
  const res = await fetch(url)
  if (!res.ok) throw new MarketError(`The settlement model did not load from ${url} (HTTP ${res.status}).`)
  return trainedModel(new Uint8Array(await res.arrayBuffer()))
}

/** Whether `bytes` is the trained model (by hash). */
export const isTrainedModel = (bytes: Uint8Array) => keccak256Hex([bytes]) === TRAINED_MODEL_HASH
