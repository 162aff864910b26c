// Finds (and, as root on Debian, installs) Mesa's lavapipe: a second Vulkan implementation on the CPU,
// independent of Chromium's SwiftShader, that Dawn for Node runs the engine on. Tests use the two to
// show the kernels' bits do not depend on the adapter (docs/testing.md).
//
// Debian 12's own mesa-vulkan-drivers (Mesa 22.3) is refused by Dawn ("Vulkan
// shaderUniform*ArrayDynamicIndexing required"); bookworm-backports carries Mesa 25, which works.
// Later Debian releases ship a recent enough Mesa in main.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where Mesa ≥ 24 puts lavapipe's ICD (Mesa 22's file carries an `.x86_64` suffix instead). */
export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json'
const BACKPORTS_SOURCE = '/etc/apt/sources.list.d/lockstep-bookworm-backports.sources'

/** @returns {string | undefined} lavapipe's ICD file: $LAVAPIPE_ICD first, then Mesa's usual place. */
export function findLavapipe() {
  const fromEnv = process.env.LAVAPIPE_ICD
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`LAVAPIPE_ICD=${fromEnv} does not exist`)
    return fromEnv
  }
  return existsSync(LAVAPIPE_ICD) ? LAVAPIPE_ICD : undefined
}

/**
 * Lavapipe's ICD file, installing Mesa's Vulkan drivers first when we are root on Debian.
 * @returns {{ icd: string } | { icd: undefined, why: string, failed: boolean }} `failed` when an
 *   install was tried and did not work (a broken CI machine); otherwise this machine cannot install it.
 */
export function ensureLavapipe() {
  const found = findLavapipe()
  if (found) return { icd: found }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const codename = osRelease().VERSION_CODENAME
  if (!isRoot || !existsSync('/usr/bin/apt-get') || !codename)
    return {
      icd: undefined,
      failed: false,
      why:
        `${LAVAPIPE_ICD} is missing and this is not a Debian machine we are root on. Install Mesa ≥ 24's ` +
        'Vulkan drivers (Debian 12: `apt-get install -t bookworm-backports mesa-vulkan-drivers`) or point ' +
        'LAVAPIPE_ICD at an lvp_icd.json.',
    }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const args = ['install', '-y', '-qq', '--no-install-recommends']
    if (codename === 'bookworm') {
      const added = addBackports()
      console.log(
        `[lockstep] lavapipe not found; installing mesa-vulkan-drivers from bookworm-backports` +
          (added ? ` (added ${BACKPORTS_SOURCE})` : '') +
          ' ...',
      )
      args.push('-t', 'bookworm-backports')
    } else console.log('[lockstep] lavapipe not found; installing Debian package mesa-vulkan-drivers ...')
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    execFileSync('apt-get', [...args, 'mesa-vulkan-drivers'], { stdio: 'inherit', env })
  } catch (e) {
    return { icd: undefined, failed: true, why: `installing mesa-vulkan-drivers failed: ${e.message}` }
  }
  const installed = findLavapipe()
  if (installed) return { icd: installed }
  return {
    icd: undefined,
    failed: true,
    why: `mesa-vulkan-drivers was installed but ${LAVAPIPE_ICD} is not there (a Mesa older than 24?)`,
  }
}

function osRelease() {
  try {
    return Object.fromEntries(
      readFileSync('/etc/os-release', 'utf8')
        .split('\n')
        .map((l) => l.match(/^(\w+)="?([^"]*)"?$/))
        .filter(Boolean)
        .map((m) => [m[1], m[2]]),
    )
  } catch {
    return {}
  }
}

/**
 * Adds a deb822 source for bookworm-backports, from the same mirror and keyring as the machine's
 * bookworm source (a CI image may point at a local mirror). Returns false when one is there already.
 */
function addBackports() {
  const dir = '/etc/apt/sources.list.d'
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []
  const texts = [...files, '/etc/apt/sources.list']
    .filter((f) => /\.(sources|list)$/.test(f) && existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
  if (texts.some((t) => /^[^#]*bookworm-backports/m.test(t))) return false
  // The deb822 stanza that lists plain `bookworm`, else Debian's defaults.
  const stanza = texts
    .flatMap((t) => t.split(/\n\s*\n/))
    .find((s) => /^Suites:.*\bbookworm\b(?!-)/m.test(s) && /^URIs:/m.test(s))
  const field = (name, fallback) =>
    stanza?.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1].trim() ?? fallback
  writeFileSync(
    BACKPORTS_SOURCE,
    [
      '# Added by Lockstep (scripts/lavapipe.mjs): Mesa 25 for the lavapipe Vulkan driver the tests run on.',
      'Types: deb',
      `URIs: ${field('URIs', 'http://deb.debian.org/debian')}`,
      'Suites: bookworm-backports',
      `Components: ${field('Components', 'main')}`,
      `Signed-By: ${field('Signed-By', '/usr/share/keyrings/debian-archive-keyring.gpg')}`,
      '',
    ].join('\n'),
  )
  return true
}

// Run directly (`node scripts/lavapipe.mjs`): install if needed and print the ICD.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = ensureLavapipe()
  if (r.icd) console.log(r.icd)
  else {
    console.error(`[lockstep] lavapipe unavailable: ${r.why}`)
    process.exit(1)
  }
}
