// Whether a config someone handed over (a checkpoint's header, a party's claim) is the one a referee
// derived itself. The seed may be set aside where the caller replaces it anyway (swarm batch seeds).
import { describeDifference, firstDifference } from '../util/diff.ts'
import type { TrainConfig } from './trainer.ts'

/** Null when `got` is `expected`; else "config (lr: 0.006, expected 0.003)". */
export function configDifference(
  expected: TrainConfig,
  got: TrainConfig,
  options: { ignoreSeed?: boolean } = {},
): string | null {
  const strip = (c: TrainConfig) => (options.ignoreSeed ? { ...c, seed: 0 } : c)
  const d = firstDifference(strip(expected), strip(got))
  return d ? `config (${describeDifference(d)})` : null
}
