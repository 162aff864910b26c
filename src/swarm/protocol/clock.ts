// Time, as the swarm protocol sees it. Every deadline, poll, pause and timestamp a peer uses goes
// through a Clock, so the same protocol runs on the wall clock in the page and on virtual time in tests
// and the simulator (src/swarm/sim/clock.ts), where a wait of minutes costs nothing.

export interface Clock {
  /** Whole milliseconds: since the epoch on the real clock; from the clock's start on a virtual one. */
  now(): number
  /** Calls `f` once, `ms` from now (never when `ms` is Infinity); returns a function that cancels it. */
  after(ms: number, f: () => void): () => void
  /** Resolves `ms` from now; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** Longest delay setTimeout honours: anything longer fires at once (with a warning), so it is split. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** Date.now and setTimeout: the page, the app's workers and anything on a real network. */
export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, f) {
    if (!(ms < Infinity)) return () => {} // never: a wait on messages alone
    const due = Date.now() + ms
    let timer: ReturnType<typeof setTimeout>
    const arm = () => {
      const left = due - Date.now()
      timer = setTimeout(left > MAX_TIMEOUT_MS ? arm : f, Math.min(Math.max(0, left), MAX_TIMEOUT_MS))
    }
    arm()
    return () => clearTimeout(timer)
  },
  sleep: (ms, signal) => sleepOn(realClock, ms, signal),
}

/** `sleep` for any clock, from its `after`. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const abort = () => {
      cancel()
      reject(signal!.reason)
    }
    const cancel = clock.after(ms, () => {
      signal?.removeEventListener('abort', abort)
      resolve()
    })
    signal?.addEventListener('abort', abort, { once: true })
  })
}
