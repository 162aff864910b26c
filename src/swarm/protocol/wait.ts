// A peer's waits: each resolves when its condition holds (re-checked on every message the peer files, and
// every POLL_MS, since a peer leaving sends none), at its deadline, or when the peer stops. Deadlines are
// on the peer's clock, so on virtual time a wait of minutes costs nothing.
import type { Clock } from './clock.ts'

/** How often waits re-check their condition without a message (a peer leaving sends none). */
export const POLL_MS = 200

export class Waits {
  readonly #clock: Clock
  readonly #live: () => boolean
  readonly #onTimeout: () => void
  #waiters = new Set<() => void>()

  /** `live`: false once the peer stops (every wait then ends false); `onTimeout`: a wait ran out its deadline. */
  constructor(clock: Clock, live: () => boolean, onTimeout: () => void) {
    this.#clock = clock
    this.#live = live
    this.#onTimeout = onTimeout
  }

  /** Resolves true once `cond()` holds, false at `deadline` (clock ms; Infinity: none) or on stop. */
  until(cond: () => boolean, deadline: number): Promise<boolean> {
    const clock = this.#clock
    return new Promise((resolve) => {
      const check = () => {
        if (cond()) return finish(true)
        if (!this.#live()) return finish(false)
        if (clock.now() >= deadline) {
          this.#onTimeout()
          return finish(false)
        }
      }
      const finish = (v: boolean) => {
        this.#waiters.delete(check)
        cancelTimer()
        cancelPoll()
        resolve(v)
      }
      const cancelTimer = clock.after(deadline - clock.now(), check)
      let cancelPoll = () => {}
      const poll = () => {
        cancelPoll = clock.after(POLL_MS, poll)
        check()
      }
      cancelPoll = clock.after(POLL_MS, poll)
      this.#waiters.add(check)
      check()
    })
  }

  /** Re-checks every wait now (a message arrived, or the peer stops). */
  notify(): void {
    for (const w of [...this.#waiters]) w()
  }
}
