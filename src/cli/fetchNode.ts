// The CLI's transport for fetchModel: Node's http(s) with a DNS lookup that checks every address the
// name resolves to, at connect time. Checking a name before fetching and then letting the fetch
// resolve it again would let a rebinding DNS server answer public first and 127.0.0.1 second.
import { lookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { LocalAddressError } from '../errors/limits.ts'
import { isLocalAddress } from '../receipts/address.ts'
import type { Transport } from '../receipts/fetchModel.ts'

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void

/** dns.lookup, failing with LocalAddressError when any address of the name is local (IPv4 or IPv6, mapped forms too). */
export function checkedLookup(allowLocal: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const local = addresses.find((a) => isLocalAddress(a.address) !== false)
      if (local && !allowLocal)
        return callback(
          new LocalAddressError(
            `The model host ${hostname} resolves to ${local.address}, on this machine or its network.`,
            {
              details:
                'Refused unless local fetches are allowed (--allow-local); or pass the model file (--model FILE).',
            },
          ),
          [],
        )
      if (options.all) callback(null, addresses)
      else callback(null, addresses[0].address, addresses[0].family)
    })
  }
}

/** Node's transport: redirects come back to fetchModel, which checks each hop like the first. */
export function nodeTransport(allowLocal: boolean): Transport {
  return (url, signal) =>
    new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest
      const req = send(
        url,
        { lookup: checkedLookup(allowLocal), signal, agent: false },
        (res: IncomingMessage) => {
          const body = res[Symbol.asyncIterator]()
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location ?? null,
            next: () => body.next() as Promise<{ done?: boolean; value?: Uint8Array }>,
            close: () => res.destroy(),
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
}
