// What a fuzz run counts: cases by arena and kind, and every case where an honest party was convicted
// or a planted lie got through, with enough said to reproduce it.

export interface Miss {
  arena: string
  kind: string
  path: string
  detail: string
}

export class Tally {
  cases = 0
  readonly byKind = new Map<string, number>()
  readonly honestConvicted: Miss[] = []
  readonly liarsMissed: Miss[] = []
  /** Lies refused without anyone excluded (an accusation that proves nothing), by kind. */
  readonly refusedOnly = new Map<string, number>()

  /** Milliseconds spent per kind (the time from one case's start to the next's). */
  readonly ms = new Map<string, number>()
  #last: { key: string; at: number } | null = null

  count(arena: string, kind: string): void {
    const now = performance.now()
    if (this.#last) this.ms.set(this.#last.key, (this.ms.get(this.#last.key) ?? 0) + now - this.#last.at)
    this.#last = { key: `${arena}/${kind.split('.').slice(0, 2).join('.')}`, at: now }
    this.cases++
    const key = `${arena}/${kind}`
    this.byKind.set(key, (this.byKind.get(key) ?? 0) + 1)
  }

  convicted(m: Miss): void {
    if (this.honestConvicted.length < 50) this.honestConvicted.push(m)
  }

  missed(m: Miss): void {
    if (this.liarsMissed.length < 50) this.liarsMissed.push(m)
  }

  refused(arena: string, kind: string): void {
    const key = `${arena}/${kind}`
    this.refusedOnly.set(key, (this.refusedOnly.get(key) ?? 0) + 1)
  }
}
