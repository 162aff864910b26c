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

export interface TeachSwarmParams {
  /** `?teachSwarm=1`: start teach mode's in-tab swarm when the page loads (and show it without `?teach=1`). */
  autostart: boolean
  /** `?teachPeers=N`: how many simulated peers, 2–6 (default 4). */
  peers: number
  /** `?teachCheat=i`: peer i (1-based) cheats from the start. */
  cheat?: number
}

export function teachSwarmParams(search: string): TeachSwarmParams {
  const q = new URLSearchParams(search)
  const peers = Number(q.get('teachPeers'))
  const valid = Number.isInteger(peers) && peers >= 2 && peers <= 6 ? peers : 4
  const cheat = Number(q.get('teachCheat'))
  return {
    autostart: q.get('teachSwarm') === '1',
    peers: valid,
    cheat: q.get('teachCheat') && Number.isInteger(cheat) && cheat >= 1 && cheat <= valid ? cheat : undefined,
  }
}
