// The status a swarm write shows (docs/automation.md: `swarm-register`, `swarm-anchor`), read from its
// job in the anchor queue: pending while queued or in flight, failed while it waits for the visitor or
// once it missed its round.
import type { AnchorJob } from '../chain/store.ts'
import type { ErrorInfo } from '../errors/info.ts'

export function swarmWriteStatus<Done extends string>(
  job: AnchorJob | undefined,
  queuing: boolean,
  error: ErrorInfo | null,
  done: Done,
): 'idle' | 'sending' | 'failed' | Done {
  if (error) return 'failed'
  if (queuing) return 'sending'
  if (!job) return 'idle'
  if (job.status === 'anchored') return done
  return job.status === 'needs-you' || job.status === 'missed' ? 'failed' : 'sending'
}
