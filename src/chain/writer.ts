// How the anchor queue (src/chain/queue.ts) handles one kind of job: receipt anchors, the SwarmRegistry's
// writes (src/chain/swarm.ts) and the SwarmCoordinator's (src/chain/coordinatorJobs.ts).
import type { Hex, PublicClient } from 'viem'
import type { ChainConfig } from './config.ts'
import type { AnchorJob } from './store.ts'
import type { Landed } from './swarm.ts'
import type { WalletSession } from './wallet.ts'

export interface Writer {
  /** Where the chain already holds what the job writes, or null. Asked before every send. */
  read(client: PublicClient, config: ChainConfig, job: AnchorJob): Promise<Landed | null>
  /**
   * Throws when the job cannot be sent now, before any wallet is asked: a named error the queue acts on
   * (retry later, wait for the visitor, or give up as `missed`).
   */
  ready?(client: PublicClient, config: ChainConfig, job: AnchorJob): Promise<void>
  send(session: WalletSession, config: ChainConfig, job: AnchorJob, client: PublicClient): Promise<Hex>
}
