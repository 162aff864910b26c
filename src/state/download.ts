/** Hands bytes or text to the browser as a download named `name`. */
export function saveBlob(content: string | Uint8Array, name: string): void {
  const type = typeof content === 'string' ? 'application/json' : 'application/octet-stream'
  const blob = new Blob([content as string | Uint8Array<ArrayBuffer>], { type })
  const url = URL.createObjectURL(blob)
  Object.assign(document.createElement('a'), { href: url, download: name }).click()
  // Revoked later, not at once: the download may not have started reading the blob yet.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
