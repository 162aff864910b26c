// Where a training run is kept between sessions: IndexedDB in the browser (idbStore.ts), so a run
// survives a tab reload and resumes with the same hashes; memory in tests and the CLI. One record per run
// id: the latest checkpoint and the per-step state-hash commitments.
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

export interface RunStore {
  load(runId: string): Promise<StoredRun | undefined>
  save(run: StoredRun): Promise<void>
}

/** A store that forgets when the process ends; it copies, as IndexedDB does. */
export function memoryRunStore(): RunStore {
  const runs = new Map<string, StoredRun>()
  return {
    load: async (runId) => structuredClone(runs.get(runId)),
    save: async (run) => void runs.set(run.runId, structuredClone(run)),
  }
}
