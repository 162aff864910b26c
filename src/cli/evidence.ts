// `lockstep evidence FILE`: re-checks a reward attestation's evidence file (src/rl/sapo/evidence.ts) with
// the verifier's own rules: the swarm's parameters derived from its name (rlSwarmParams), the task book
// and the RL model on the CPU reference (or --gpu), every group regenerated. With --rpc it also requires
// the chain's claim to be the file's (reward and receipts root) and lists the attestations that carry
// the file's hash. `submit attest` runs the same check before it sends anything.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { type Hex } from 'viem'
import { readClaim, readSwarm, swarmId, type SwarmRef } from '../chain/coordinator.ts'
import { swarmCoordinatorAbi } from '../chain/contracts/SwarmCoordinator.ts'
import { ClaimEvidenceError } from '../errors/rl.ts'
import { SchemaError } from '../errors/swarm.ts'
import { UsageError } from '../errors/cli.ts'
import { backendRlCompute } from '../rl/compute.ts'
import { generateGroups } from '../rl/rollout.ts'
import { taskFromId } from '../rl/tasks.ts'
import {
  evidenceHash,
  parseEvidence,
  recheckEvidence,
  rlSwarmParams,
  rlTaskBook,
  type Recheck,
  type RewardEvidence,
} from '../rl/sapo/index.ts'
import { MAX_EVIDENCE_BYTES } from '../rl/sapo/evidence.ts'
import { flag, oneLine } from './args.ts'
import { cliBackend } from './backend.ts'
import { chainAccess, type ChainAccess } from './coordinatorArgs.ts'

export interface EvidenceCheck {
  ok: boolean
  evidence?: RewardEvidence
  hash?: Hex
  /** The claim's coordinator and swarm, with --rpc. */
  ref?: SwarmRef
  chain?: ChainAccess
}

const row = (ok: boolean, text: string) => console.log(`${ok ? '✓' : '✗'} ${text}`)

/** The file's text, read no further than the bound (a regular file only). */
function readBounded(file: string): string {
  const fd = openSync(file, 'r')
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new SchemaError(`${file} is not a regular file.`)
    if (stat.size > MAX_EVIDENCE_BYTES)
      throw new SchemaError(
        `${file} is ${stat.size} bytes, over the ${MAX_EVIDENCE_BYTES} an evidence file may be.`,
      )
    const buf = Buffer.alloc(stat.size)
    let n = 0
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n)
      if (got === 0) break
      n += got
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n))
  } finally {
    closeSync(fd)
  }
}

/** A verdict in plain words: "refuted: peer X claimed 4000 for round 3 stage 0; its rollouts …". */
function verdictWords(e: RewardEvidence, v: { confirmed: boolean; why: string }): string {
  const { peerId, reward, round, stage } = e.claim
  // A reward mismatch's reason starts by repeating the claim, which these words already say.
  const why = v.why.replace(`it claimed ${reward}; `, '')
  return `${v.confirmed ? 'confirmed' : 'refuted'}: peer ${peerId} claimed ${reward} for round ${round} stage ${stage}; ${why}`
}

/** Re-executes the file: whether the re-execution reaches the file's verdict (and the same reward). */
async function reexecute(e: RewardEvidence, args: string[]): Promise<boolean> {
  const backend = await cliBackend(args)
  let again: Recheck & { holds: boolean }
  try {
    const compute = backendRlCompute(backend.be, { tasks: taskFromId, generate: generateGroups })
    again = await recheckEvidence(e, { compute, params: rlSwarmParams(e.swarm), book: rlTaskBook })
  } catch (x) {
    if (!(x instanceof ClaimEvidenceError || x instanceof SchemaError)) throw x
    // Bytes the claim does not commit to are no verdict on the claimant: the file itself is wrong.
    row(false, `re-execution: the file's bytes are not the ones its claim names (${oneLine(x)})`)
    return false
  } finally {
    backend.dispose()
  }
  console.log(`re-executed on the ${backend.name}: ${verdictWords(e, again)}`)
  const reward = again.reward?.toString() ?? null
  if (!again.holds) {
    row(
      false,
      `the attester's verdict does not hold: it says ${e.verdict.confirmed ? 'confirmed' : 'refuted'}, re-execution ${again.confirmed ? 'confirms' : 'refutes'}`,
    )
    return false
  }
  if (reward !== e.verdict.reward) {
    row(false, `the attester's verdict names reward ${e.verdict.reward}, re-execution ${reward}`)
    return false
  }
  row(true, "the attester's verdict holds")
  return true
}

/** The chain's side: the file's chain, its claim as the chain holds it, and who attested with the file. */
async function onChain(
  e: RewardEvidence,
  hash: Hex,
  access: ChainAccess,
  args: string[],
): Promise<{ ok: boolean; ref?: SwarmRef }> {
  const { client, coordinator } = access
  if (coordinator.config.chainId !== e.chainId) {
    row(
      false,
      `chain: the file is for chain ${e.chainId}; the RPC serves chain ${coordinator.config.chainId}`,
    )
    return { ok: false }
  }
  const ref: SwarmRef = { ...coordinator, swarm: swarmId(e.swarm) }
  if (!(await readSwarm(client, ref))) {
    row(false, `chain: the coordinator at ${ref.address} has no swarm "${e.swarm}"`)
    return { ok: false }
  }
  const { round, stage, peerId, reward, receiptsRoot } = e.claim
  const claim = await readClaim(client, ref, round, stage, peerId)
  if (!claim) {
    row(false, `chain: peer ${peerId} made no claim for round ${round} stage ${stage} at ${ref.address}`)
    return { ok: false }
  }
  const same = claim.reward.toString() === reward && claim.receiptsRoot === receiptsRoot
  row(
    same,
    same
      ? `chain: the claim ${claim.id} is the file's (reward ${reward}, receipts root ${receiptsRoot}); ${claim.status}, ${claim.confirmations} confirmation(s), ${claim.refutations} refutation(s)`
      : `chain: the claim ${claim.id} is reward ${claim.reward} with receipts root ${claim.receiptsRoot}; the file says reward ${reward} with root ${receiptsRoot}`,
  )
  // A replay's earlier claim must be on chain too, from the same peer, with the file's root.
  let earlierOk = true
  if (e.earlier) {
    const prior = await readClaim(client, ref, e.earlier.round, e.earlier.stage, peerId)
    earlierOk = prior?.receiptsRoot === e.earlier.receiptsRoot
    row(
      earlierOk,
      earlierOk
        ? `chain: the earlier claim of round ${e.earlier.round} stage ${e.earlier.stage} has the file's receipts root ${e.earlier.receiptsRoot}`
        : `chain: peer ${peerId}'s claim for round ${e.earlier.round} stage ${e.earlier.stage} is ${prior ? `receipts root ${prior.receiptsRoot}` : 'not there'}; the file says ${e.earlier.receiptsRoot}`,
    )
  }
  const from = flag(args, 'from-block') ?? '0'
  if (!/^[0-9]{1,15}$/.test(from)) throw new UsageError(`--from-block ${from} is not a block number`)
  let events
  try {
    events = await client.getContractEvents({
      address: ref.address,
      abi: swarmCoordinatorAbi,
      eventName: 'Attested',
      args: { swarm: ref.swarm, claim: claim.id },
      fromBlock: BigInt(from),
    })
  } catch (x) {
    // Public RPCs cap a log query's block range: the claim's check stands, the lookup is named.
    row(false, `chain: cannot read the Attested events from block ${from} (${oneLine(x)}); try --from-block`)
    return { ok: false, ref }
  }
  const mine = events.filter((x) => x.args.evidenceHash === hash)
  if (mine.length === 0) console.log(`no attestation on chain carries this file's hash ${hash}`)
  for (const x of mine)
    console.log(
      `attested with this file by ${x.args.attester} as peer ${x.args.attesterPeerId} (${x.args.confirmed ? 'confirmed' : 'refuted'}) in transaction ${x.transactionHash}`,
    )
  return { ok: same && earlierOk, ref }
}

/** The whole check, printing a row per step; `submit attest` sends only when it passes. */
export async function checkEvidence(
  file: string,
  args: string[],
  withChain: boolean,
): Promise<EvidenceCheck> {
  let e: RewardEvidence
  try {
    e = parseEvidence(readBounded(file))
  } catch (x) {
    if (!(x instanceof SchemaError || x instanceof TypeError || (x as NodeJS.ErrnoException).code)) throw x
    row(false, `evidence: cannot read ${file} (${oneLine(x)})`)
    return { ok: false }
  }
  const hash = evidenceHash(e)
  const { round, stage, peerId, reward } = e.claim
  console.log(`evidence ${hash}: swarm "${e.swarm}" on chain ${e.chainId}, coordinator ${e.coordinator}`)
  console.log(
    `claim: peer ${peerId}, round ${round} stage ${stage}, reward ${reward}, receipts root ${e.claim.receiptsRoot}`,
  )
  console.log(`attester ${e.attester.peerId} (${e.attester.address}) says ${verdictWords(e, e.verdict)}`)
  // The chain first when asked: it is quick, and a file for another chain is not worth re-executing.
  let chain: ChainAccess | undefined
  let ref: SwarmRef | undefined
  let chainOk = true
  if (withChain) {
    chain = await chainAccess(args, e.coordinator)
    const r = await onChain(e, hash, chain, args)
    chainOk = r.ok
    ref = r.ref
  }
  const holds = await reexecute(e, args)
  return { ok: holds && chainOk, evidence: e, hash, ref, chain }
}

export async function evidenceCommand(args: string[], file: string | undefined): Promise<number> {
  if (!file) throw new UsageError('evidence takes the evidence file')
  const r = await checkEvidence(file, args, flag(args, 'rpc') !== undefined)
  console.log(r.ok ? 'OK: the evidence re-executes to its verdict' : 'FAILED: see ✗ above')
  return r.ok ? 0 : 1
}
