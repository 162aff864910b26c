// What the Join panel's leaderboard shows, from the coordinator's reads (src/chain/coordinator.ts):
// pure, so the rules are tested without a chain. Rewards on the chain are the RL swarm's, in
// thousandths of a reward point; the view shows reward points with three decimals, everywhere.
import { zeroAddress, type Address } from 'viem'
import type { ClaimState, PeerTotals } from '../chain/coordinator.ts'

export interface LeaderRow {
  peerId: string
  /** The address the coordinator has for the peer; null when it is not registered in the swarm. */
  eoa: Address | null
  /** Its place on the verified-reward board, from 1; null when it is off the board. */
  rank: number | null
  claimed: bigint
  verified: bigint
  /** Refuted: disputed by at least one address, which is not proof of a lie (see Leaderboard.svelte). */
  refuted: bigint
  wins: bigint
  /** This tab's peer. */
  self: boolean
}

/** One peer's claim for one (round, stage) of the chain; null when it made none. */
export interface ClaimCell {
  peerId: string
  claim: ClaimState | null
}

export interface RoundDetail {
  round: number
  stage: number
  claims: ClaimCell[]
}

const eoaOf = (t: PeerTotals): Address | null => (t.eoa === zeroAddress ? null : t.eoa)

/**
 * The board's rows in rank order, then this peer's and the known peers' rows that are off it (in the
 * order given, each once), so a peer always finds itself.
 */
export function leaderRows(board: PeerTotals[], extra: PeerTotals[], self: string | null): LeaderRow[] {
  const row = (t: PeerTotals, rank: number | null): LeaderRow => ({
    peerId: t.peerId,
    eoa: eoaOf(t),
    rank,
    claimed: t.claimed,
    verified: t.verified,
    refuted: t.refuted,
    wins: t.wins,
    self: t.peerId === self,
  })
  const rows = board.map((t, i) => row(t, i + 1))
  const seen = new Set(rows.map((r) => r.peerId))
  for (const t of extra) {
    if (seen.has(t.peerId)) continue
    seen.add(t.peerId)
    rows.push(row(t, null))
  }
  return rows
}

/** `extra` from getPeers names unknown peers with an empty id: put the asked-for id back. */
export function withIds(peerIds: string[], totals: PeerTotals[]): PeerTotals[] {
  return totals.map((t, i) => ({ ...t, peerId: t.peerId || peerIds[i] }))
}

/** Thousandths of a reward point as points with three decimals: 1500n → "1.500". */
export function points(thousandths: bigint): string {
  const sign = thousandths < 0n ? '-' : ''
  const n = thousandths < 0n ? -thousandths : thousandths
  return `${sign}${n / 1000n}.${(n % 1000n).toString().padStart(3, '0')}`
}

/** Verified as a share of claimed, "—" when nothing was claimed. */
export function verifiedShare(verified: bigint, claimed: bigint): string {
  if (claimed === 0n) return '—'
  return `${(Number((verified * 1000n) / claimed) / 10).toFixed(1)}%`
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** A claim's status in words: pending, verified (n confirmations), disputed, or no claim. */
export function claimLabel(claim: ClaimState | null): string {
  if (!claim) return 'no claim'
  if (claim.status === 'verified') return `verified (${plural(claim.confirmations, 'confirmation')})`
  if (claim.status === 'refuted') return `disputed (${plural(claim.refutations, 'refutation')})`
  return claim.confirmations ? `pending (${plural(claim.confirmations, 'confirmation')})` : 'pending'
}

/**
 * The (round, stage) pairs the per-round detail reads: every stage of the round before the current one
 * (whose claims are being attested now) and the current round's stages so far.
 */
export function detailStages(round: number, stage: number, stageCount: number) {
  const pairs: { round: number; stage: number }[] = []
  if (round > 0) for (let s = 0; s < stageCount; s++) pairs.push({ round: round - 1, stage: s })
  for (let s = 0; s <= stage; s++) pairs.push({ round, stage: s })
  return pairs
}
