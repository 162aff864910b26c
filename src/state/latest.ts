// Reads that must land in order: a poll and a write's landing each ask to read the chain again, and a
// slow read that started first must not overwrite a newer one's result. `latest(read)` runs one read
// at a time; asked while one runs, it runs once more after it (however often it was asked), and each
// caller's promise resolves when a read that started after its call has finished.
export function latest(read: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again: Promise<void> | null = null
  const run = (): Promise<void> =>
    (running = read().finally(() => {
      running = null
    }))
  return () => {
    if (!running) return run()
    again ??= running.then(() => {
      again = null
      return run()
    })
    return again
  }
}
