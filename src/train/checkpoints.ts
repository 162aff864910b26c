// Checkpoints in IndexedDB (via idb), so a run survives a tab reload and resumes with the same
// hashes. One record per run id: the latest checkpoint and the per-step state-hash commitments.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Hex } from 'viem'
import type { Checkpoint } from './trainer.ts'

export interface StoredRun {
  runId: string
  savedAt: number
  checkpoint: Checkpoint
  /** The state hash before step 1. */
  startStateHash: Hex
  /** commitments[i] = the state hash after step i + 1. */
  commitments: Hex[]
  losses: number[]
}

interface Schema extends DBSchema {
  runs: { key: string; value: StoredRun }
}

let db: Promise<IDBPDatabase<Schema>> | null = null
function open(): Promise<IDBPDatabase<Schema>> {
  db ??= openDB<Schema>('lockstep', 1, {
    upgrade(d) {
      d.createObjectStore('runs', { keyPath: 'runId' })
    },
  })
  return db
}

export async function saveRun(run: StoredRun): Promise<void> {
  await (await open()).put('runs', run)
}

export async function loadRun(runId: string): Promise<StoredRun | undefined> {
  return (await open()).get('runs', runId)
}

export async function deleteRun(runId: string): Promise<void> {
  await (await open()).delete('runs', runId)
}

export async function listRuns(): Promise<string[]> {
  return (await open()).getAllKeys('runs')
}
