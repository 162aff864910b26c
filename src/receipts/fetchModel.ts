// Fetching the model an inference receipt names, under MODEL_FETCH_LIMITS: http(s) only, never a local
// address (unless allowed), the headers within a time limit, the body streamed and cut off at a size
// cap whatever Content-Length says. The page uses `fetch` as transport; the CLI uses Node's http with a
// DNS lookup that refuses local addresses at connect time (src/cli/fetchNode.ts).
import {
  LocalAddressError,
  FetchTimeoutError,
  ModelFetchError,
  ModelTooLargeError,
  ModelUriError,
} from '../errors/limits.ts'
import { isLocalHostname } from './address.ts'
import { MODEL_FETCH_LIMITS, type FetchLimits } from './limits.ts'

export interface ModelFetchOptions {
  /** Allow loopback, private and link-local hosts (the CLI's --allow-local). */
  allowLocal?: boolean
  /** An origin allowed even when local: the page's own, which serves its bundled files. */
  allowOrigin?: string
  limits?: Partial<FetchLimits>
}

/** One HTTP response as the fetcher needs it; `next` yields the body in chunks. */
export interface ModelResponse {
  status: number
  /** The Location header of a redirect. */
  location: string | null
  next(): Promise<{ done?: boolean; value?: Uint8Array }>
  /** Stops the download (closes the connection). */
  close(): void
}

/** Sends a GET for `url`; must stop when `signal` aborts. */
export type Transport = (url: URL, signal: AbortSignal) => Promise<ModelResponse>

/** The page's transport. Redirects are refused: a browser hides where one leads until it has followed it. */
export const fetchTransport: Transport = async (url, signal) => {
  let res: Response
  try {
    res = await fetch(url, { signal, redirect: 'error', credentials: 'omit' })
  } catch (e) {
    if (signal.aborted) throw e
    throw new ModelFetchError(`Fetching the model from ${url.host} failed (a redirect, or no connection).`, {
      cause: e,
    })
  }
  const reader = res.body?.getReader()
  return {
    status: res.status,
    location: null,
    next: async () => (reader ? reader.read() : { done: true }),
    close: () => void reader?.cancel().catch(() => {}),
  }
}

/** The URL a model may be fetched from, or a ModelUriError / LocalAddressError saying why not. */
export function checkModelUri(uri: string, options: ModelFetchOptions = {}): URL {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new ModelUriError(`The model URI ${JSON.stringify(uri)} is not a URL.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ModelUriError(`The model URI is ${url.protocol} — only http(s) models are fetched.`, {
      details: `${uri}: a receipt could name any file of the verifier's (file:///dev/zero). Pass the model file explicitly.`,
    })
  if (!options.allowLocal && url.origin !== options.allowOrigin && isLocalHostname(url.hostname))
    throw new LocalAddressError(`The model URI's host ${url.hostname} is on this machine or its network.`, {
      details: `${uri} is refused unless local fetches are allowed (--allow-local); or pass the model file.`,
    })
  return url
}

/** `promise`, or `onTimeout()`'s error after `ms` (then `abort` stops the work behind it). */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  abort: () => void,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        abort()
        reject(onTimeout())
      },
      Math.max(0, ms),
    )
  })
  promise.catch(() => {}) // the loser of the race may reject later; it is already handled
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The body, chunk by chunk, stopped at `maxBytes` and at the time limits. */
async function readCapped(
  res: ModelResponse,
  limits: FetchLimits,
  deadline: number,
  stop: () => void,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const left = deadline - Date.now()
    const { done, value } = await within(res.next(), Math.min(limits.idleMs, left), stop, () =>
      left <= limits.idleMs
        ? new FetchTimeoutError(`The model download took longer than ${limits.totalMs / 1000} s.`, {
            details: `${total} bytes received`,
          })
        : new FetchTimeoutError(`The model server sent nothing for ${limits.idleMs / 1000} s.`, {
            details: `${total} bytes received`,
          }),
    )
    if (done) break
    if (!value) continue
    total += value.byteLength
    if (total > limits.maxBytes) {
      stop()
      throw new ModelTooLargeError(
        `The model is larger than ${limits.maxBytes} bytes; the download was cut off.`,
      )
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/**
 * The bytes at `uri`, or a named error: ModelUriError, LocalAddressError, FetchTimeoutError,
 * ModelTooLargeError, ModelFetchError. Each redirect (where the transport shows them) is checked again.
 */
export async function fetchModel(
  uri: string,
  options: ModelFetchOptions = {},
  transport: Transport = fetchTransport,
): Promise<Uint8Array> {
  const limits = { ...MODEL_FETCH_LIMITS, ...options.limits }
  const deadline = Date.now() + limits.totalMs
  let url = checkModelUri(uri, options)
  for (let hop = 0; ; hop++) {
    const controller = new AbortController()
    const stop = () => controller.abort()
    const res = await within(
      transport(url, controller.signal),
      Math.min(limits.headersMs, deadline - Date.now()),
      stop,
      () =>
        new FetchTimeoutError(
          `The model server at ${url.host} did not answer within ${limits.headersMs / 1000} s.`,
        ),
    )
    if (res.status >= 300 && res.status < 400 && res.location) {
      res.close()
      if (hop >= limits.redirects)
        throw new ModelFetchError(`The model URI redirects more than ${limits.redirects} times.`)
      url = checkModelUri(new URL(res.location, url).href, options)
      continue
    }
    if (res.status !== 200) {
      res.close()
      throw new ModelFetchError(`Fetching the model from ${url.host} failed: HTTP ${res.status}.`)
    }
    try {
      return await readCapped(res, limits, deadline, () => {
        stop()
        res.close()
      })
    } finally {
      res.close()
    }
  }
}
