// How the Markets page writes amounts, probabilities and phases.
import { formatUnits } from 'viem'
import type { Phase } from '../../markets/chain.ts'

/** An amount of collateral with at most 4 decimals (exact values are in the data-* attributes). */
export function amount(units: bigint, decimals: number): string {
  const [whole, frac = ''] = formatUnits(units, decimals).split('.')
  const cut = frac.slice(0, 4).replace(/0+$/, '')
  return cut ? `${whole}.${cut}` : whole
}

export const percent = (p: number) => `${(p * 100).toFixed(1)}%`

export const PHASE_TEXT: Record<Phase, string> = {
  open: 'Open for trading',
  'awaiting-settlement': 'Awaiting settlement',
  proposed: 'Settlement proposed',
  disputed: 'Disputed',
  settled: 'Settled',
  expired: 'Expired (refunds)',
}

export const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`
