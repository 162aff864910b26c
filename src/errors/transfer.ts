// Lockstep errors across comlink: by default comlink sends a thrown Error as {name, message, stack}
// only, and the page would have to guess at the short message inside `message`. Both sides install
// this handler (every worker, and src/state/workers.ts), so a worker's BaseError arrives with its fields.
import { transferHandlers, type TransferHandler } from 'comlink'
import { BaseError } from './base.ts'
import { errorInfo, type ErrorInfo } from './info.ts'

/** An error raised in a worker, rebuilt on the page with the name and fields it had there. */
export class RemoteError extends BaseError {
  constructor(info: ErrorInfo) {
    super(info.shortMessage, info)
    this.name = info.name
  }
}

type Thrown = { value: unknown }
type Wire = { isError: boolean; value: unknown }

export function carryErrors(): void {
  const plain = transferHandlers.get('throw') as TransferHandler<Thrown, Wire>
  if ((plain as { carries?: true }).carries) return
  const handler: TransferHandler<Thrown, Wire> & { carries: true } = {
    carries: true,
    canHandle: (v): v is Thrown => plain.canHandle(v),
    serialize: (thrown) =>
      thrown.value instanceof Error
        ? [{ isError: true, value: errorInfo(thrown.value) }, []]
        : plain.serialize(thrown),
    deserialize: (wire) => {
      if (!wire.isError) return plain.deserialize(wire)
      const v = wire.value as Partial<ErrorInfo> & { message?: string }
      throw new RemoteError({
        ...v,
        name: v.name ?? 'Error',
        shortMessage: v.shortMessage ?? v.message ?? '',
      })
    },
  }
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>)
}
