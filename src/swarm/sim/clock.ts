// Virtual time for swarms in one process (tests, the simulator): a Clock whose time stands still while
// anything is running and jumps to the next timer once everything waits.
//
// The rule: time moves only when the process is idle. A driver runs on setImmediate, which Node calls
// after the microtask queue has drained and the event loop has gone round once; it advances to the
// earliest pending timer only after a whole turn of the loop in which nothing touched the clock (no timer
// set, cancelled or fired) and no file read was in flight, then fires that one timer and waits for quiet
// again. So a peer that still has work at this instant (a handler validating a commit, a training run, a
// promise chain of any length) finishes it before any deadline can pass: a deadline fires only when
// every peer is waiting on this clock. Compute on the CPU reference is a chain of microtasks, so it takes
// no virtual time at all; a round's length is its pauses, latencies and waits.
//
// What breaks the rule: work that waits on something outside this process's microtasks and this clock
// (a Web Worker, a socket, crypto.subtle, the real setTimeout) looks idle while it waits, and time runs
// on meanwhile. File reads are the exception the driver sees (the first dynamic import of a module, as
// viem's recoverPublicKey does). Everything the protocol and the in-memory network do meets the rule;
// a real network (libp2p) does not, so it stays on the real clock.
import { sleepOn, type Clock } from '../protocol/clock.ts'

interface Timer {
  at: number
  f: () => void
}

interface Waiter {
  cond: () => boolean
  resolve: () => void
  reject: (e: unknown) => void
}

const immediate: (f: () => void) => void = globalThis.setImmediate ?? ((f) => setTimeout(f, 0))

/** libuv requests in flight that the driver waits out: file operations (module loading) and lookups. */
const IO = /^(FSReq|CloseReq|GetAddrInfo|GetNameInfo|QueryReqWrap)/
const ioPending = (): boolean =>
  typeof process !== 'undefined' && !!process.getActiveResourcesInfo?.().some((r) => IO.test(r))

export class VirtualClock implements Clock {
  #now: number
  /** Pending timers by due time; equal times fire in the order they were set. */
  #timers: Timer[] = []
  #waiters = new Set<Waiter>()
  /** Counts every touch of the clock: a turn of the event loop that leaves it unchanged was quiet. */
  #activity = 0
  #seen = -1
  #driving = false

  constructor(start = 0) {
    this.#now = Math.floor(start)
  }

  now(): number {
    return this.#now
  }

  after(ms: number, f: () => void): () => void {
    if (!(ms < Infinity)) return () => {} // never: a wait on messages alone
    // Whole milliseconds, as Date.now gives: a message's seq is the clock's time, and schemas want integers.
    const t: Timer = { at: this.#now + Math.max(0, Math.ceil(ms)), f }
    let i = this.#timers.length
    while (i > 0 && this.#timers[i - 1].at > t.at) i--
    this.#timers.splice(i, 0, t)
    this.#touch()
    return () => {
      const k = this.#timers.indexOf(t)
      if (k >= 0) this.#timers.splice(k, 1)
      this.#activity++
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal)
  }

  /**
   * Resolves once `cond()` holds, checked whenever the process is quiet and before time moves on (so a
   * test acts at the very instant it waited for); rejects if `limitMs` of virtual time pass first. A
   * swarm that is stuck reaches the limit at once: nothing else is left to happen.
   */
  until(cond: () => boolean, limitMs = 10 * 60_000, what = 'a condition'): Promise<void> {
    if (cond()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const cancel = this.after(limitMs, () => {
        this.#waiters.delete(w)
        reject(new Error(`Waited ${limitMs} ms of virtual time for ${what}.`))
      })
      const w: Waiter = { cond, resolve: () => (cancel(), resolve()), reject: (e) => (cancel(), reject(e)) }
      this.#waiters.add(w)
    })
  }

  /** Timers pending. */
  get pending(): number {
    return this.#timers.length
  }

  #touch(): void {
    this.#activity++
    if (this.#driving) return
    this.#driving = true
    this.#seen = -1
    immediate(() => this.#turn())
  }

  #turn(): void {
    if (this.#activity !== this.#seen || ioPending()) {
      this.#seen = this.#activity
      return immediate(() => this.#turn())
    }
    // Quiet: first let the waiters that now hold act at this instant.
    let woke = false
    for (const w of [...this.#waiters]) {
      let holds: boolean
      try {
        holds = w.cond()
      } catch (e) {
        this.#waiters.delete(w)
        w.reject(e)
        continue
      }
      if (holds) {
        this.#waiters.delete(w)
        w.resolve()
        woke = true
      }
    }
    const t = woke ? undefined : this.#timers.shift()
    if (!woke && !t) {
      this.#driving = false
      return
    }
    this.#activity++
    immediate(() => this.#turn())
    if (t) {
      this.#now = Math.max(this.#now, t.at)
      t.f()
    }
  }
}
