// The keys the CLI signs and sends with. A key is never printed back: --key (for dev chains and tests;
// it lands in shell history), $LOCKSTEP_KEY, a v3 keystore file (--keystore, its password from
// $LOCKSTEP_KEYSTORE_PASSWORD or asked on the terminal), else a local dev key made on first use.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { isHex, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { DEV_CHAIN_ID } from '../chain/config.ts'
import { DeployError, FlagError } from '../errors/cli.ts'
import { flag } from './args.ts'
import { decryptKeystore } from './keystore.ts'

/** A password typed on the terminal without echo. */
export function askHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new DeployError('no terminal to ask the keystore password on: set LOCKSTEP_KEYSTORE_PASSWORD')
  process.stderr.write(prompt)
  const muted = new Writable({ write: (_chunk, _enc, done) => done() })
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true })
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    }),
  )
}

/** --key, else $LOCKSTEP_KEY, else a local dev key kept in ~/.lockstep/dev-key (made on first use). */
export function signingKey(args: string[]): Hex {
  const given = flag(args, 'key') ?? process.env.LOCKSTEP_KEY
  if (given) {
    if (!isHex(given) || given.length !== 66) throw new FlagError('The key must be 32 bytes of 0x-hex.')
    return given
  }
  const file = join(homedir(), '.lockstep', 'dev-key')
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, generatePrivateKey() + '\n')
    chmodSync(file, 0o600)
    console.error(`created a local dev key in ${file} (for development chains only)`)
  }
  console.error(`signing with the local dev key in ${file}`)
  return readFileSync(file, 'utf8').trim() as Hex
}

/**
 * The key that sends transactions on chain `chainId`: --keystore FILE, else signingKey's. The local dev
 * key is refused off the dev chain: it holds nothing there, and a key made by accident must not become
 * a swarm identity's owner on a real chain.
 */
export async function sendingKey(args: string[], chainId: number): Promise<Hex> {
  const file = flag(args, 'keystore')
  if (file) {
    const password = process.env.LOCKSTEP_KEYSTORE_PASSWORD ?? (await askHidden(`password for ${file}: `))
    return decryptKeystore(readFileSync(file, 'utf8'), password)
  }
  if (chainId !== DEV_CHAIN_ID && !flag(args, 'key') && !process.env.LOCKSTEP_KEY)
    throw new FlagError(
      `Chain ${chainId} needs a key: --keystore FILE, $LOCKSTEP_KEY or --key (the local dev key is for the dev chain).`,
    )
  return signingKey(args)
}
