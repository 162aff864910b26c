#!/usr/bin/env node
// Prepares the training corpus shipped in public/corpus/: the King James Version of the Bible
// (1611; its copyright has expired — see the Debian package's copyright file), books Genesis to
// Deuteronomy, one verse per line. Source: Debian's bible-kjv (the `bible` reader) and
// bible-kjv-text (its data), downloaded with apt-get and unpacked into a temporary folder.
// The output is committed; run this only to regenerate it: `node scripts/prepare-corpus.mjs`.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const range = 'Gen1:1-Deu34:12'
const work = mkdtempSync(join(tmpdir(), 'lockstep-corpus-'))
try {
  execFileSync('apt-get', ['download', 'bible-kjv', 'bible-kjv-text'], { cwd: work, stdio: 'inherit' })
  for (const deb of readdirSync(work).filter((f) => f.endsWith('.deb'))) {
    execFileSync('dpkg', ['-x', deb, 'root'], { cwd: work })
  }
  const raw = execFileSync(join(work, 'root/usr/bin/bible'), ['-p', join(work, 'root/usr/lib'), range], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, COLUMNS: '100000' }, // one line per verse: no wrapping to undo
  })
  const verses = []
  for (const line of raw.split('\n')) {
    const m = /^\s*\d+ (.*)$/.exec(line)
    if (m) verses.push(m[1].trim())
    else if (line.trim() && verses.length && !/^[1-3]?\s?[A-Z][a-z]+ \d+$/.test(line.trim())) {
      verses[verses.length - 1] += ' ' + line.trim() // a wrapped continuation
    }
  }
  const text = verses.join('\n') + '\n'
  const bytes = Buffer.from(text, 'utf8')
  if ([...bytes].some((b) => b > 127)) throw new Error('expected plain ASCII text')
  writeFileSync('public/corpus/kjv-pentateuch.txt', bytes)
  const meta = {
    name: 'kjv-pentateuch',
    title: 'King James Version (1611), Genesis to Deuteronomy',
    license: 'public domain (copyright expired)',
    source: `Debian packages bible-kjv and bible-kjv-text, range ${range}`,
    bytes: bytes.length,
    verses: verses.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  }
  writeFileSync('public/corpus/kjv-pentateuch.json', JSON.stringify(meta, null, 2) + '\n')
  console.log(meta)
} finally {
  rmSync(work, { recursive: true, force: true })
}
