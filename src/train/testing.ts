// For tests in Node: the shipped corpus read from public/, by its descriptor's path.
import { readFileSync } from 'node:fs'
import { KJV_PENTATEUCH, corpusPath } from './corpus.ts'

/** The bytes of public/corpus/kjv-pentateuch.txt. */
export const kjvBytes = new Uint8Array(readFileSync(`public/${corpusPath(KJV_PENTATEUCH)}`))
