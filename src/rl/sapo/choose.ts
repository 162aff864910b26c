// Which external groups a peer trains on this round, after the spot checks that guard them: first the
// accusations it holds (each names one group; the peer regenerates it itself), then the seeded choice
// of E groups (select.ts) and the checks drawn among them, plus every chosen group of a sender whose
// blob went unanswered last time. A failed check removes the sender and the choice is made again without
// it, so a forged group that was checked is never trained on. Only proof from the sender's own bytes
// (a group that does not regenerate, a blob contradicting its message) drops it; a blob that does not
// come removes its groups from this round's choice and costs score, nothing more (docs/rl.md).
import type { Hex } from 'viem'
import type { CheckContext, CheckOutcome, ModelCache } from './check.ts'
import { spotCheck } from './check.ts'
import type { SapoParams, SapoPeerParams } from './params.ts'
import type { RoundPool } from './pool.ts'
import type { Standings } from './scores.ts'
import { checkCount, drawChecks, selectExternal, selectionSeed, type Candidate } from './select.ts'

/** "Group `taskId` of `peer` in `round` does not regenerate", from `from`. */
export interface Accusation {
  from: string
  round: number
  peer: string
  taskId: string
}

export interface ChooseContext {
  self: string
  params: SapoParams
  mine: SapoPeerParams
  secret: Hex
  pool: RoundPool
  standings: Standings
  check: CheckContext
  /** Tells the swarm about a group that did not regenerate. */
  accuse(round: number, peer: string, taskId: string): Promise<void>
}

export async function chooseExternal(
  ctx: ChooseContext,
  round: number,
  accusations: readonly Accusation[],
): Promise<Candidate[]> {
  const { pool, standings, params, mine } = ctx
  const cache: ModelCache = new Map()
  /** Senders whose blob did not come this round: their groups are not used, whatever else holds. */
  const skip = new Set<string>()
  const done = new Set<string>()
  const check = async (c: Candidate, r: number): Promise<CheckOutcome> => {
    done.add(`${c.from}\n${c.group.taskId}`)
    const outcome = await spotCheck(ctx.check, cache, pool.at(r).get(c.from)!, c.group)
    // A regeneration is seconds of microtasks on the CPU reference: let the network run (peer.ts, #breathe).
    await ctx.check.clock.sleep(0)
    if (outcome.kind === 'ok') standings.verified(c.from)
    else if (outcome.kind === 'unavailable') {
      standings.unavailable(c.from)
      if (r === round) skip.add(c.from)
    } else standings.forged(c.from)
    return outcome
  }

  for (const a of accusations) {
    const msg = pool.at(a.round).get(a.peer)
    if (!msg || standings.dropped(a.peer)) continue
    const group = msg.groups.find((g) => g.taskId === a.taskId)
    if (!group) {
      standings.penalize(a.from, 'falseAccusation')
      continue
    }
    const outcome = await check({ from: a.peer, group }, a.round)
    if (outcome.kind === 'ok') standings.penalize(a.from, 'falseAccusation')
    // An accused peer whose blob does not come is not convicted on the accuser's word: it is marked
    // unanswered, so each of its groups chosen below is regenerated first, and skipped if its blob still
    // does not come. A caught forger that stops serving is never trained on again; an honest peer behind
    // a lost circuit is trained on again once its blob comes.
  }

  const seed = selectionSeed(params.seed, round, ctx.self)
  for (;;) {
    const candidates = [...pool.at(round).values()]
      .filter((a) => a.from !== ctx.self && !standings.dropped(a.from) && !skip.has(a.from))
      .flatMap((a) => a.groups.map((group) => ({ from: a.from, group })))
    const chosen = selectExternal(seed, candidates, mine.external)
    const drawn = drawChecks(ctx.secret, round, chosen, checkCount(mine.checkRate, chosen.length))
    for (const c of chosen) if (standings.unanswered(c.from) && !drawn.includes(c)) drawn.push(c)
    let changed = false
    for (const c of drawn) {
      if (done.has(`${c.from}\n${c.group.taskId}`) || standings.dropped(c.from) || skip.has(c.from)) continue
      const outcome = await check(c, round)
      if (outcome.kind === 'forged') await ctx.accuse(round, c.from, c.group.taskId)
      changed ||= outcome.kind !== 'ok'
    }
    // Each pass that changes anything removes a sender, so this ends within one pass per sender.
    if (!changed) return chosen
  }
}
