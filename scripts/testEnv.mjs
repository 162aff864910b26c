// What every test run needs before vitest starts: dependencies, Chromium, and Vulkan drivers for Dawn
// (Chromium's SwiftShader, and Mesa's lavapipe as a second, independent one: scripts/adapters.test.ts).
import { existsSync } from 'node:fs'
import { stripVTControlCharacters } from 'node:util'
import { ensureDeps } from './deps.mjs'
import { ensureChromium } from './chromium.mjs'
import { ensureLavapipe } from './lavapipe.mjs'

/** @returns the lavapipe outcome: `{ icd }`, or `{ why, failed }` for the summary to name. */
export function prepareTestEnv() {
  ensureDeps()
  process.env.CHROMIUM_PATH = ensureChromium()
  // Dawn for Node (the optional `webgpu` package) needs a Vulkan driver: on a machine without a GPU,
  // Chromium's SwiftShader. Set before vitest starts, since the loader is found at process start.
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json'
  if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) {
    process.env.VK_ICD_FILENAMES = swiftshader
    process.env.LD_LIBRARY_PATH = ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')
  }
  const lavapipe = ensureLavapipe()
  if (lavapipe.icd) process.env.LAVAPIPE_ICD = lavapipe.icd
  return { lavapipe }
}

/** The first lines of a vitest failure message (no colours, no stack frames), for a closing list. */
export function firstLines(message, lines = 4) {
  if (!message) return ''
  // vitest reports a timeout by its placeholder error's stack, whose first line says nothing.
  return stripVTControlCharacters(String(message))
    .replace(
      /^Error: STACK_TRACE_ERROR/,
      'Timed out: the test or one of its hooks ran past its time limit (its message is in the log above)',
    )
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l))
    .slice(0, lines)
    .map((l) => `\n      ${l.slice(0, 300)}`)
    .join('')
}
