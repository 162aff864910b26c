// Node 20 lacks Promise.withResolvers, which libp2p 3 calls at runtime; without it the relay fails
// later with a misleading "Pubsub is not started". Import this before anything from libp2p.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject
    const promise = new this((res, rej) => ((resolve = res), (reject = rej)))
    return { promise, resolve, reject }
  }
}
