// Whether a config someone handed over (a checkpoint's header, a party's claim) is the one a referee
// derived itself, every field included.
import { describeDifference, firstDifference } from '../util/diff.ts'
import type { TrainConfig } from './trainer.ts'

/** Null when `got` is `expected`; else "config (lr: 0.006, expected 0.003)". */
export function configDifference(expected: TrainConfig, got: TrainConfig): string | null {
  const d = firstDifference(expected, got)
  return d ? `config (${describeDifference(d)})` : null
}
