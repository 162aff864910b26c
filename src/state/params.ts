// URL parameters that open a journey with given settings (docs/automation.md): what headless runs and
// shared links use instead of clicking.
import { presets, type PresetName } from '../train/gpt.ts'

export interface TrainParams {
  preset?: PresetName
  steps?: number
  autostart: boolean
  /** `?teach=1`: the Train panel explains each step next to the live run (educators, projectors). */
  teach: boolean
}

export function trainParams(search: string): TrainParams {
  const q = new URLSearchParams(search)
  const preset = q.get('preset')
  const steps = Number(q.get('steps'))
  return {
    preset: preset && preset in presets ? (preset as PresetName) : undefined,
    steps: Number.isInteger(steps) && steps > 0 ? steps : undefined,
    autostart: q.get('autostart') === '1',
    teach: q.get('teach') === '1',
  }
}
