// The browser's RunStore: IndexedDB through idb. A module of its own so that Node (the CLI, whose
// installed package carries no idb) never loads it.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { RunStore, StoredRun } from './checkpoints.ts'

interface Schema extends DBSchema {
  runs: { key: string; value: StoredRun }
}

export function idbRunStore(name = 'lockstep'): RunStore {
  let db: Promise<IDBPDatabase<Schema>> | null = null
  const open = () =>
    (db ??= openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('runs', { keyPath: 'runId' })
      },
    }))
  return {
    load: async (runId) => (await open()).get('runs', runId),
    save: async (run) => void (await (await open()).put('runs', run)),
  }
}
