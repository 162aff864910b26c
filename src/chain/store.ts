// Where anchor jobs live: IndexedDB, so receipts waiting to be anchored survive reloads and crashes.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Address, Hex } from 'viem'
import type { ErrorInfo } from '../errors/info.ts'

/** `missed`: a write that can never land (a reward claim whose stage the chain has left); final. */
export type JobStatus = 'queued' | 'sending' | 'submitted' | 'anchored' | 'needs-you' | 'missed'

/**
 * One chain write. Most are receipt anchors; a swarm peer's registration and round results are jobs too
 * (src/chain/swarm.ts), whose `receiptHash` is the hash of their call and whose `receipt` is the call, and
 * so are coordinator writes (src/chain/coordinatorJobs.ts), whose `registry` is the coordinator.
 */
export interface AnchorJob {
  /** `${chainId}:${registry}:${receiptHash}`, lower case: one job per receipt per registry. */
  id: string
  /** The receipt's kind, or a swarm write's (`lockstep/peer-registration`, `lockstep/reward-claim`, …). */
  kind: string
  receiptHash: Hex
  root: Hex
  uri: string
  /** The receipt's producer: only an anchor from this address counts (src/chain/verify.ts). */
  signer: Address
  chainId: number
  registry: Address
  /** The whole signed receipt, kept with the job so it is never lost. */
  receipt: unknown
  status: JobStatus
  attempts: number
  /** Epoch ms before which the queue will not try again (backoff). */
  nextAttemptAt: number
  lastError?: ErrorInfo
  txHash?: Hex
  submittedAt?: number
  anchor?: { blockNumber: string; timestamp: number; txHash: Hex | null }
  createdAt: number
  updatedAt: number
}

export interface AnchorStore {
  list(): Promise<AnchorJob[]>
  get(id: string): Promise<AnchorJob | undefined>
  put(job: AnchorJob): Promise<void>
}

interface Schema extends DBSchema {
  jobs: { key: string; value: AnchorJob }
}

export function idbAnchorStore(name = 'lockstep-anchors'): AnchorStore {
  let db: Promise<IDBPDatabase<Schema>> | null = null
  const open = () =>
    (db ??= openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('jobs', { keyPath: 'id' })
      },
    }))
  return {
    list: async () =>
      (await (await open()).getAll('jobs')).map(upgrade).sort((a, b) => a.createdAt - b.createdAt),
    get: async (id) => {
      const job = await (await open()).get('jobs', id)
      return job && upgrade(job)
    },
    put: async (job) => void (await (await open()).put('jobs', job)),
  }
}

/** Jobs saved before errors kept their fields stored `lastError` as { name, message }. */
function upgrade(job: AnchorJob): AnchorJob {
  const e = job.lastError as (AnchorJob['lastError'] & { message?: string }) | undefined
  if (!e || e.shortMessage !== undefined) return job
  return { ...job, lastError: { name: e.name, shortMessage: e.message ?? '' } }
}
