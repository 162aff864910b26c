// An error as the UI shows it: plain fields, so it fits in $state, crosses postMessage, and is read the
// same way whichever code raised it (a Lockstep BaseError, viem's, or a plain Error from a library).
import { BaseError as ViemError } from 'viem'
import { BaseError } from './base.ts'

export interface ErrorInfo {
  name: string
  shortMessage: string
  details?: string
  /** What the visitor can do about it, one line each. */
  metaMessages?: string[]
  docsPath?: string
}

export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof BaseError || e instanceof ViemError) {
    const info: ErrorInfo = { name: e.name, shortMessage: e.shortMessage }
    if (e.details) info.details = e.details
    if (e.metaMessages?.length) info.metaMessages = [...e.metaMessages]
    if (e.docsPath) info.docsPath = e.docsPath
    return info
  }
  if (e instanceof Error) return { name: e.name, shortMessage: e.message }
  return { name: 'Error', shortMessage: String(e) }
}
