// The blob protocol (/lockstep/blob/1.0.0): ask a peer for bytes by keccak256 hash over one stream.
//   request:  hash (32 bytes) ‖ maxBytes (u32 BE)            then the asker closes its writable end
//   response: status (1 byte) ‖ length (u32 BE) ‖ length bytes in chunks, then the server closes
// The asker never trusts the server: the length is checked against maxBytes before the body arrives,
// extra bytes abort the stream, and the hash of what arrived must equal the hash asked for.
import type { Stream } from '@libp2p/interface'
import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { BLOB_CHUNK_BYTES } from './config.ts'
import { SwarmNetError } from '../../errors/network.ts'
import { keccak256Hex } from '../../util/keccak.ts'

export const BlobStatus = { Ok: 0, NotFound: 1, TooLarge: 2 } as const
const REQUEST_BYTES = 36
const HEADER_BYTES = 5

/** Reads from `stream` until `onChunk` returns true (done) or the remote closes its end. */
async function readUntil(stream: Stream, onChunk: (bytes: Uint8Array) => boolean): Promise<void> {
  for await (const chunk of stream) {
    if (onChunk(chunk instanceof Uint8Array ? chunk : chunk.subarray())) return
  }
}

/** Sends bytes in chunks, waiting for the stream to drain so a slow asker cannot make us buffer it all. */
async function sendChunked(stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  for (let at = 0; at < bytes.byteLength; at += BLOB_CHUNK_BYTES) {
    if (!stream.send(bytes.subarray(at, at + BLOB_CHUNK_BYTES))) await stream.onDrain({ signal })
  }
}

/** Serves one inbound request. Anything malformed just ends the stream: a peer cannot crash us. */
export async function serveBlob(
  stream: Stream,
  get: (hash: Hex) => Uint8Array | undefined,
  signal: AbortSignal,
): Promise<number> {
  let request: Uint8Array = new Uint8Array(0)
  const reading = readUntil(stream, (bytes) => {
    request = concat(request, bytes)
    return request.byteLength >= REQUEST_BYTES
  })
  await abortable(reading, signal)
  if (request.byteLength !== REQUEST_BYTES)
    throw new SwarmNetError('malformed blob request', { code: 'protocol' })
  const view = new DataView(request.buffer, request.byteOffset, REQUEST_BYTES)
  const blob = get(bytesToHex(request.subarray(0, 32)))
  const status = !blob
    ? BlobStatus.NotFound
    : blob.byteLength > view.getUint32(32)
      ? BlobStatus.TooLarge
      : BlobStatus.Ok
  const header = new Uint8Array(HEADER_BYTES)
  header[0] = status
  new DataView(header.buffer).setUint32(1, status === BlobStatus.Ok ? blob!.byteLength : 0)
  stream.send(header)
  if (status === BlobStatus.Ok) await sendChunked(stream, blob!, signal)
  await stream.close({ signal })
  return status === BlobStatus.Ok ? blob!.byteLength : 0
}

/** Asks for one blob on an open stream; resolves with verified bytes or rejects saying why. */
export async function requestBlob(
  stream: Stream,
  hash: Hex,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const request = new Uint8Array(REQUEST_BYTES)
  request.set(hexToBytes(hash, { size: 32 }))
  new DataView(request.buffer).setUint32(32, maxBytes)
  let header: Uint8Array = new Uint8Array(0)
  let body: Uint8Array | undefined
  let received = 0
  // Read before sending: on WebRTC the answer can arrive while close() still waits for the remote's
  // acknowledgement, and a stream emits what arrives to whoever listens at that moment.
  const reading = readUntil(stream, (bytes) => {
    if (!body) {
      header = concat(header, bytes)
      if (header.byteLength < HEADER_BYTES) return false
      const length = new DataView(header.buffer, header.byteOffset).getUint32(1)
      if (header[0] === BlobStatus.NotFound)
        throw new SwarmNetError(`the peer does not have blob ${hash}`, { code: 'not-found' })
      if (header[0] === BlobStatus.TooLarge || length > maxBytes)
        throw new SwarmNetError(`blob ${hash} is larger than the ${maxBytes} bytes allowed`, {
          code: 'too-large',
        })
      if (header[0] !== BlobStatus.Ok)
        throw new SwarmNetError(`unknown blob status ${header[0]}`, { code: 'protocol' })
      body = new Uint8Array(length)
      bytes = header.subarray(HEADER_BYTES)
    }
    if (received + bytes.byteLength > body.byteLength)
      throw new SwarmNetError(`the peer sent more than it announced for ${hash}`, { code: 'protocol' })
    body.set(bytes, received)
    received += bytes.byteLength
    return false
  })
  stream.send(request)
  await Promise.all([abortable(reading, signal), stream.close({ signal })])
  // A stream that ends early is the network's weather as often as the peer's doing (a relay closing a
  // circuit at its data or time limit, a dropped link), and the asker cannot tell which: unreachable,
  // not a protocol breach (callers treat 'protocol' as the peer's lie, rl/sapo/check.ts).
  if (!body || received !== body.byteLength)
    throw new SwarmNetError(`the stream ended after ${received} of ${body?.byteLength ?? '?'} bytes`, {
      code: 'unreachable',
    })
  if (keccak256Hex([body]) !== hash.toLowerCase())
    throw new SwarmNetError(`blob content does not hash to ${hash}`, { code: 'bad-hash' })
  return body
}

/** Rejects when `signal` aborts even if `promise` never settles (a stream iterator can outlive its stream). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}
