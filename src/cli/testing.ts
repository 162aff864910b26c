// `lockstep …` in a child process, the one way tests run the CLI (src/cli/*.test.ts, the dispute and
// inference tests): asynchronous, so a test's own servers (a chain, a model host) keep answering.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface Run {
  status: number | null
  stdout: string
  stderr: string
  seconds: number
  /** Peak resident memory in MB, from GNU time (`measure`); null when not measured or not installed. */
  peakMb: number | null
}

const TIME = '/usr/bin/time'

/** Runs bin/lockstep.mjs with `args`; killed after `limitMs` when given. */
export function lockstep(
  args: string[],
  options: { limitMs?: number; measure?: boolean; env?: Record<string, string> } = {},
): Promise<Run> {
  const cmd = [process.execPath, 'bin/lockstep.mjs', ...args]
  const measured = !!options.measure && existsSync(TIME)
  // Detached: its own process group, so a kill takes GNU time's child with it.
  const spawnOptions = { detached: true, env: { ...process.env, ...options.env } }
  const child = measured
    ? spawn(TIME, ['-f', 'PEAK %M', ...cmd], spawnOptions)
    : spawn(cmd[0], cmd.slice(1), spawnOptions)
  const t0 = performance.now()
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const kill =
    options.limitMs === undefined
      ? undefined
      : setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.limitMs)
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(kill)
      const peak = measured ? /PEAK (\d+)/.exec(stderr) : null
      resolve({
        status,
        stdout,
        stderr: measured ? stderr.replace(/^PEAK \d+\n?/m, '') : stderr,
        seconds: (performance.now() - t0) / 1000,
        peakMb: peak ? Number(peak[1]) / 1024 : null,
      })
    }),
  )
}
