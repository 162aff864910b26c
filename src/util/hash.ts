/** SHA-256 of raw bytes as lowercase hex; Web Crypto exists on pages, in workers and in Node. */
export async function sha256Hex(data: ArrayBufferView | ArrayBuffer): Promise<string> {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
