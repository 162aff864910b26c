// Where a tab keeps the evidence files behind its attestations: IndexedDB, written before the attestation
// is queued, so an attestation that lands after a reload or a crash still has its file to hand anyone
// (docs/chain.md#verified-rewards). The newest MAX_FILES are kept; each is a few hundred KB (the model).
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Hex } from 'viem'
import { evidenceHash, evidenceText, parseEvidence, type RewardEvidence } from '../rl/sapo/index.ts'

export const MAX_FILES = 100

export interface SavedEvidence {
  hash: Hex
  /** Canonical JSON: its keccak256 is `hash`. */
  text: string
  savedAt: number
}

export interface EvidenceStore {
  put(e: RewardEvidence): Promise<SavedEvidence>
  /** The newest files for one swarm on one coordinator, oldest first. */
  list(swarm: string, coordinator: string, limit: number): Promise<RewardEvidence[]>
}

interface Schema extends DBSchema {
  files: {
    key: string
    value: SavedEvidence & { swarm: string; coordinator: string }
    indexes: { savedAt: number }
  }
}

export function idbEvidenceStore(name = 'lockstep-evidence'): EvidenceStore {
  // Files saved within one millisecond keep their order (pruning drops the oldest).
  let seq = 0
  let db: Promise<IDBPDatabase<Schema>> | null = null
  const open = () =>
    (db ??= openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore('files', { keyPath: 'hash' }).createIndex('savedAt', 'savedAt')
      },
    }))
  return {
    async put(e) {
      const savedAt = Date.now() + (seq++ % 1000) / 1000
      const saved = { hash: evidenceHash(e), text: evidenceText(e), savedAt }
      const d = await open()
      await d.put('files', { ...saved, swarm: e.swarm, coordinator: e.coordinator.toLowerCase() })
      const keys = await d.getAllKeysFromIndex('files', 'savedAt')
      for (const k of keys.slice(0, Math.max(0, keys.length - MAX_FILES))) await d.delete('files', k)
      return saved
    },
    async list(swarm, coordinator, limit) {
      const all = await (await open()).getAllFromIndex('files', 'savedAt')
      const mine = all.filter((f) => f.swarm === swarm && f.coordinator === coordinator.toLowerCase())
      // Re-read through the parser: a file is what it says only if it still hashes to its key.
      return mine
        .slice(-limit)
        .map((f) => parseEvidence(f.text))
        .filter((e, i) => evidenceHash(e) === mine.slice(-limit)[i].hash)
    },
  }
}

/** The same in memory (tests, and pages without IndexedDB). */
export function memoryEvidenceStore(): EvidenceStore {
  const files: (SavedEvidence & { e: RewardEvidence })[] = []
  return {
    async put(e) {
      const saved = { hash: evidenceHash(e), text: evidenceText(e), savedAt: Date.now() }
      files.push({ ...saved, e })
      files.splice(0, Math.max(0, files.length - MAX_FILES))
      return saved
    },
    async list(swarm, coordinator, limit) {
      return files
        .filter((f) => f.e.swarm === swarm && f.e.coordinator.toLowerCase() === coordinator.toLowerCase())
        .slice(-limit)
        .map((f) => f.e)
    },
  }
}
