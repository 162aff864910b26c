// The durable anchor queue (docs/chain.md). Every chain write the page makes goes through it: receipt
// anchors (ReceiptRegistry), a swarm peer's registration and round results (SwarmRegistry), and its
// registration, reward claims, attestations and winner votes (SwarmCoordinator, coordinatorJobs.ts), and
// market writes (marketJobs.ts). Each job is kept in IndexedDB until the chain holds what it writes. A
// job waits for the visitor when only they can help (no wallet, a rejection, the wrong chain) and
// retries by itself with backoff when the RPC is down. Exactly once: the registry refuses a second
// anchor of the same receipt from the same sender, and before sending the queue always asks the chain
// whether the anchor is already there.
import {
  TransactionReceiptNotFoundError,
  recoverTypedDataAddress,
  zeroAddress,
  zeroHash,
  type PublicClient,
} from 'viem'
import { eip712Domain, eip712Types, hashJson } from '../receipts/training.ts'
import { errorInfo } from '../errors/info.ts'
import {
  AnchorMissingError,
  ChainConfigError,
  ChainMovedOnError,
  ClaimWindowClosedError,
  ChainMismatchError,
  NotYourPeerError,
  PeerNotRegisteredError,
  RevertedError,
  UserRejectedError,
  WalletUnavailableError,
} from '../errors/chain.ts'
import { anchorFields, anchorTransaction, readAnchor, sendAnchor, type AnchorableReceipt } from './anchor.ts'
import type { ChainConfig } from './config.ts'
import type { AnchorJob, AnchorStore } from './store.ts'
import { ensureChain, walletError, type WalletSession } from './wallet.ts'
import type { PeerProof } from './peerProof.ts'
import {
  PEER_REGISTRATION,
  ROUND_RESULT,
  peerOwners,
  readRegistration,
  readRoundResult,
  sendRegisterPeer,
  sendRoundResult,
  type Landed,
  type RoundResultCall,
} from './swarm.ts'
import {
  COORDINATOR_REGISTRATION,
  coordinatorJob,
  coordinatorWriters,
  type CoordinatorWrite,
} from './coordinatorJobs.ts'
import type { SwarmRef } from './coordinator.ts'
import { marketJob, marketWriters, type MarketWrite } from './marketJobs.ts'
import { gameJob, gameWriters, type GameWrite } from './gameJobs.ts'
import type { Writer } from './writer.ts'

const receiptWriter: Writer = {
  async read(client, _config, job) {
    const a = await readAnchor(client, job.registry, job.signer, job.receiptHash)
    if (!a) return null
    const txHash = await anchorTransaction(client, job.registry, a).catch(() => null)
    return { blockNumber: a.blockNumber, timestamp: a.timestamp, txHash }
  },
  send: (session, config, job) => sendAnchor(session, config, job),
}

const writers: Record<string, Writer> = {
  [PEER_REGISTRATION]: {
    read: (client, config, job) =>
      readRegistration(client, config, (job.receipt as PeerProof).peerId, job.signer),
    send: (session, config, job) => sendRegisterPeer(session, config, job.receipt as PeerProof),
  },
  [ROUND_RESULT]: {
    read: (client, config, job) =>
      readRoundResult(client, config, (job.receipt as RoundResultCall).round, job.signer),
    async send(session, config, job, client) {
      const call = job.receipt as RoundResultCall
      // Queued behind the peer's registration: until that lands the registry would revert, so wait for it.
      const [owner] = await peerOwners(client, config, [call.peerId])
      if (owner !== zeroAddress && owner.toLowerCase() !== job.signer.toLowerCase())
        throw new NotYourPeerError(`Peer ${call.peerId} is registered to ${owner}, not ${job.signer}.`, {
          details: 'The registry takes a round result only from the address its peer is registered to.',
        })
      if (owner === zeroAddress)
        throw new PeerNotRegisteredError(`Peer ${call.peerId} is not registered to ${job.signer} yet.`, {
          metaMessages: ['Its registration is in the queue; the round result follows it.'],
        })
      return sendRoundResult(session, config, call)
    },
  },
  ...coordinatorWriters,
  ...marketWriters,
  ...gameWriters,
}
const writerOf = (job: AnchorJob): Writer => writers[job.kind] ?? receiptWriter

/** A swarm write to queue: what it writes, and the address it must come from. */
export type SwarmWrite =
  | { kind: typeof PEER_REGISTRATION; from: AnchorJob['signer']; proof: PeerProof }
  | { kind: typeof ROUND_RESULT; from: AnchorJob['signer']; result: RoundResultCall }

export interface AnchorQueueOptions {
  store: AnchorStore
  config: ChainConfig
  client: PublicClient
  /** The connected wallet, if any, read at each attempt. */
  wallet: () => WalletSession | null
  now?: () => number
  backoff?: { baseMs: number; maxMs: number }
  /** How long a sent transaction may stay unmined before the queue sends it again. */
  pendingTimeoutMs?: number
  onChange?: (jobs: AnchorJob[]) => void
}

export class AnchorQueue {
  readonly #o: Required<Omit<AnchorQueueOptions, 'onChange'>> & Pick<AnchorQueueOptions, 'onChange'>
  #timer: ReturnType<typeof setTimeout> | null = null
  #running: Promise<void> | null = null
  #started = false

  constructor(options: AnchorQueueOptions) {
    this.#o = {
      now: Date.now,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      pendingTimeoutMs: 120_000,
      ...options,
    }
  }

  /** Queues a signed receipt (once: adding it again returns the existing job). */
  async add(receipt: AnchorableReceipt, uri: string): Promise<AnchorJob> {
    const { config } = this.#o
    const sig = receipt.signature
    if (
      sig.chainId !== config.chainId ||
      sig.verifyingContract.toLowerCase() !== config.receiptRegistry.toLowerCase()
    )
      throw new ChainConfigError(
        `This receipt is signed for chain ${sig.chainId} at ${sig.verifyingContract}; this page anchors on chain ${config.chainId} at ${config.receiptRegistry}.`,
      )
    const signer = await recoverTypedDataAddress({
      domain: eip712Domain(sig.chainId, sig.verifyingContract),
      types: eip712Types,
      primaryType: 'Receipt',
      message: { kind: receipt.kind, receiptHash: receipt.receiptHash },
      signature: sig.value,
    })
    if (signer.toLowerCase() !== receipt.body.producer.toLowerCase())
      throw new ChainConfigError(`The receipt's signature is not its producer's (${receipt.body.producer}).`)
    return this.#enqueue({
      id: `${config.chainId}:${config.receiptRegistry}:${receipt.receiptHash}`.toLowerCase(),
      kind: receipt.kind,
      ...anchorFields(receipt),
      uri,
      signer,
      registry: config.receiptRegistry,
      receipt,
    })
  }

  /**
   * Queues a swarm write (once per peer and address, or per round and address). Its `receiptHash` is
   * the hash of the call, which names it; `receipt` holds the call.
   */
  addSwarm(write: SwarmWrite): Promise<AnchorJob> {
    const { config } = this.#o
    const call = write.kind === PEER_REGISTRATION ? write.proof : write.result
    const key = write.kind === PEER_REGISTRATION ? write.proof.peerId : `round-${write.result.round}`
    return this.#enqueue({
      id: `${config.chainId}:${config.swarmRegistry}:${write.kind}:${key}:${write.from}`.toLowerCase(),
      kind: write.kind,
      receiptHash: hashJson(call),
      root: zeroHash,
      uri: '',
      signer: write.from,
      registry: config.swarmRegistry,
      receipt: call,
    })
  }

  /**
   * Queues a write to a swarm in a SwarmCoordinator (once: the same registration, claim, attestation or
   * vote from the same address is one job). A claim whose stage the chain has left ends `missed`.
   */
  async addCoordinator(ref: SwarmRef, write: CoordinatorWrite): Promise<AnchorJob> {
    return this.#enqueue(coordinatorJob(this.#o.config, ref, write))
  }

  /**
   * Queues a market write (marketJobs.ts): a settlement, challenge or resolution once per market and
   * sender, any other write once per call. `fromBlock`: the chain's block now, before which no event
   * can be this write's.
   */
  addMarket(write: MarketWrite, fromBlock: bigint): Promise<AnchorJob> {
    return this.#enqueue(marketJob(this.#o.config, write, fromBlock, this.#o.now()))
  }

  /**
   * Queues a dispute-game write (gameJobs.ts): a timeout once per game and sender, a withdrawal once per
   * call. `fromBlock` as for addMarket.
   */
  addGame(write: GameWrite, fromBlock: bigint): Promise<AnchorJob> {
    return this.#enqueue(gameJob(this.#o.config, write, fromBlock, this.#o.now()))
  }

  async #enqueue(
    fields: Omit<AnchorJob, 'chainId' | 'status' | 'attempts' | 'nextAttemptAt' | 'createdAt' | 'updatedAt'>,
  ): Promise<AnchorJob> {
    const existing = await this.#o.store.get(fields.id)
    if (existing) return existing
    const now = this.#o.now()
    const job: AnchorJob = {
      ...fields,
      chainId: this.#o.config.chainId,
      status: 'queued',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    }
    await this.#save(job)
    this.wake()
    return job
  }

  list(): Promise<AnchorJob[]> {
    return this.#o.store.list()
  }

  /** After the visitor fixed what a job waited for (connected, switched chain, changed their mind). */
  async retry(id: string): Promise<void> {
    const job = await this.#o.store.get(id)
    if (!job || job.status === 'anchored' || job.status === 'missed') return
    await this.#save({ ...job, status: job.txHash ? 'submitted' : 'queued', nextAttemptAt: this.#o.now() })
    this.wake()
  }

  /** One pass over every job that is due; resolves when the pass is over. */
  runOnce(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = null))
    return this.#running
  }

  start(): void {
    this.#started = true
    this.wake()
  }

  stop(): void {
    this.#started = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  /** Runs a pass now (if started) and schedules the next one at the earliest due job. */
  wake(): void {
    if (!this.#started) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    void this.runOnce().then(async () => {
      if (!this.#started || this.#timer) return
      const due = (await this.list()).filter(
        (j) => j.status === 'queued' || j.status === 'submitted' || j.status === 'sending',
      )
      if (!due.length) return
      const wait = Math.max(250, Math.min(...due.map((j) => j.nextAttemptAt)) - this.#o.now())
      this.#timer = setTimeout(() => ((this.#timer = null), this.wake()), wait)
    })
  }

  async #pass(): Promise<void> {
    for (const job of await this.list()) {
      if (job.status === 'anchored' || job.status === 'needs-you' || job.status === 'missed') continue
      if (job.nextAttemptAt > this.#o.now()) continue
      try {
        await this.#advance(job)
      } catch (e) {
        // A missed claim keeps its name whatever its cause (walletError reads causes' codes).
        const ended = e instanceof ClaimWindowClosedError || e instanceof ChainMovedOnError
        await this.#failed(job, ended ? e : walletError(e, 'anchoring'))
      }
    }
  }

  async #advance(job: AnchorJob): Promise<void> {
    const { client, config } = this.#o
    const writer = writerOf(job)
    // Already on chain? Covers a reload mid-send, another tab, and a transaction we lost track of.
    const existing = await writer.read(client, config, job)
    if (existing) return this.#anchored(job, existing)
    if (job.txHash) {
      const mined = await client
        .getTransactionReceipt({ hash: job.txHash })
        .catch((e) => (e instanceof TransactionReceiptNotFoundError ? null : Promise.reject(e)))
      if (mined?.status === 'success') {
        const landed = await writer.read(client, config, job)
        if (landed) return this.#anchored(job, landed)
      }
      const stale = this.#o.now() - (job.submittedAt ?? 0) > this.#o.pendingTimeoutMs
      if (!mined && !stale)
        return this.#save({ ...job, nextAttemptAt: this.#o.now() + this.#o.backoff.baseMs })
      // Reverted, or dropped from the mempool: send again (the registry refuses a double anchor).
      job = { ...job, txHash: undefined, submittedAt: undefined, status: 'queued' }
    }
    await writer.ready?.(client, config, job)
    const session = this.#o.wallet()
    const receipt = !(job.kind in writers)
    if (!session)
      throw new WalletUnavailableError(
        receipt
          ? `Connect the wallet that signed this receipt (${job.signer}).`
          : `Connect the wallet this was queued for (${job.signer}).`,
      )
    if (session.address.toLowerCase() !== job.signer.toLowerCase())
      throw new WalletUnavailableError(
        receipt
          ? `The connected account ${session.address} did not sign this receipt; ${job.signer} did. Only the signer's anchor counts.`
          : `The connected account ${session.address} is not ${job.signer}, which this was queued for.`,
      )
    await ensureChain(session, config)
    await this.#save({ ...job, status: 'sending' })
    const hash = await writer.send(session, config, job, client)
    job = {
      ...job,
      status: 'submitted',
      txHash: hash,
      submittedAt: this.#o.now(),
      attempts: job.attempts + 1,
    }
    await this.#save(job)
    const mined = await client.waitForTransactionReceipt({ hash, timeout: 60_000 })
    const landed = await writer.read(client, config, job)
    if (landed) return this.#anchored(job, { ...landed, txHash: landed.txHash ?? hash })
    throw new AnchorMissingError(
      `The anchor transaction ${hash} was mined with status ${mined.status} but no anchor is there.`,
    )
  }

  async #anchored(job: AnchorJob, landed: Landed): Promise<void> {
    await this.#save({
      ...job,
      status: 'anchored',
      lastError: undefined,
      anchor: {
        blockNumber: landed.blockNumber.toString(),
        timestamp: landed.timestamp,
        txHash: landed.txHash,
      },
    })
    if (job.kind === PEER_REGISTRATION || job.kind === COORDINATOR_REGISTRATION) await this.#registered(job)
  }

  /**
   * Writes that waited for this registration go now, not after their backoff: a reward claim has only
   * its stage to land in.
   */
  async #registered(registration: AnchorJob): Promise<void> {
    for (const j of await this.list())
      if (
        j.status === 'queued' &&
        j.lastError?.name === 'PeerNotRegisteredError' &&
        j.signer.toLowerCase() === registration.signer.toLowerCase()
      )
        await this.#save({ ...j, nextAttemptAt: this.#o.now() })
    this.wake()
  }

  async #failed(job: AnchorJob, e: Error): Promise<void> {
    const lastError = errorInfo(e)
    const fresh = (await this.#o.store.get(job.id)) ?? job
    // A revert (or one the queue foresees) is refused however often it is sent: it waits for the visitor.
    const visitor =
      e instanceof UserRejectedError ||
      e instanceof ChainMismatchError ||
      e instanceof WalletUnavailableError ||
      e instanceof RevertedError ||
      e instanceof NotYourPeerError
    if (visitor) return this.#save({ ...fresh, status: 'needs-you', lastError })
    // It can never land: ended for good, never sent again.
    if (e instanceof ClaimWindowClosedError || e instanceof ChainMovedOnError)
      return this.#save({ ...fresh, status: 'missed', lastError })
    const { baseMs, maxMs } = this.#o.backoff
    const retries = fresh.attempts + 1
    await this.#save({
      ...fresh,
      status: fresh.txHash ? 'submitted' : 'queued',
      attempts: retries,
      lastError,
      nextAttemptAt: this.#o.now() + Math.min(maxMs, baseMs * 2 ** Math.min(retries, 16)),
    })
  }

  async #save(job: AnchorJob): Promise<void> {
    await this.#o.store.put({ ...job, updatedAt: this.#o.now() })
    this.#o.onChange?.(await this.list())
  }
}
