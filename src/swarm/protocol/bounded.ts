// A Map with a size cap: setting a key moves it to the end, and past the cap the entry set longest ago
// is forgotten. A peer keeps one entry per sender it has heard from (scores, positions, answered
// hellos); sender ids cost nothing to make, so every such map needs a cap, and evicting the stalest
// entry keeps the peers that speak every round (the live swarm) while a flood of new ids only churns.
export class BoundedMap<K, V> extends Map<K, V> {
  readonly cap: number

  constructor(cap: number) {
    super()
    this.cap = cap
  }

  override set(key: K, value: V): this {
    super.delete(key)
    super.set(key, value)
    if (this.size > this.cap) this.delete(this.keys().next().value as K)
    return this
  }

  /** The entry set longest ago (the next to be evicted). */
  oldest(): [K, V] | undefined {
    return this.entries().next().value
  }
}
