// Whether a config someone handed over (a checkpoint's header, a party's claim) is the one a referee
// derived itself, every field included.
import { describeDifference, firstDifference } from '../util/diff.ts'
import type { TrainConfig } from './trainer.ts'

/** Null when `got` is `expected`; else "config (lr: 0.006, expected 0.003)". */
export function configDifference(expected: TrainConfig, got: TrainConfig): string | null {
  const d = firstDifference(expected, got)
  return d ? `config (${describeDifference(d)})` : null
}

const TRAIN_KEYS = [
  'model',
  'seed',
  'batch',
  'steps',
  'lr',
  'warmup',
  'minLr',
  'weightDecay',
  'beta1',
  'beta2',
  'eps',
  'clip',
]
const MODEL_KEYS = ['vocab', 'seqLen', 'dModel', 'nLayer', 'nHead']

/**
 * A field no TrainConfig has ("model.extra"), or null. The trainer would ignore it, but the config hash
 * covers it: refusing it keeps one computation to one config, so a receipt cannot differ in name only.
 */
export function unknownConfigField(c: { model?: unknown }): string | null {
  const extra = Object.keys(c).find((k) => !TRAIN_KEYS.includes(k))
  if (extra) return extra
  const model = c.model
  if (typeof model !== 'object' || model === null) return null
  const inner = Object.keys(model).find((k) => !MODEL_KEYS.includes(k))
  return inner ? `model.${inner}` : null
}
