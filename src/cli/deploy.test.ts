// `lockstep deploy` against a fresh anvil: the key from the environment or a keystore (never a flag),
// addresses written as they land, a rerun that deploys nothing twice, and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lockstep } from './testing.ts'
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, getAddress, http, keccak256 } from 'viem'
import { startAnvil } from '../../scripts/chain.mjs'
import { receiptRegistryAbi } from '../chain/contracts/ReceiptRegistry.ts'
import { marketFactoryAbi } from '../chain/contracts/MarketFactory.ts'
import { interimRefereeAbi } from '../chain/contracts/InterimReferee.ts'

/** anvil's second and third dev accounts: public test keys. */
const KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const KEY_2 = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'
const dir = mkdtempSync(join(tmpdir(), 'lockstep-deploy-'))
let chain: Awaited<ReturnType<typeof startAnvil>>

const deploy = (args: string[], env: Record<string, string> = {}) =>
  lockstep(['deploy', '--rpc', chain.rpcUrl, ...args], {
    env: { LOCKSTEP_DEPLOY_KEY: '', LOCKSTEP_KEYSTORE_PASSWORD: '', ...env },
  })

beforeAll(async () => {
  chain = await startAnvil({ chainId: 31338 })
}, 60_000)
afterAll(() => chain?.stop())

describe('lockstep deploy', () => {
  it('deploys the registries from $LOCKSTEP_DEPLOY_KEY, records them, and skips them on a rerun', async () => {
    const out = join(dir, 'deployments.json')
    const first = await deploy(['--out', out, '--chain-id', '31338'], { LOCKSTEP_DEPLOY_KEY: KEY_1 })
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    const d = JSON.parse(readFileSync(out, 'utf8'))
    expect(d.chainId).toBe(31338)
    expect(d.deployer).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    expect(Object.keys(d.contracts)).toEqual(['receiptRegistry', 'swarmRegistry', 'swarmCoordinator'])
    const client = createPublicClient({ transport: http(chain.rpcUrl) })
    // A real ReceiptRegistry answers at the recorded address.
    const none = await client.readContract({
      address: d.contracts.receiptRegistry,
      abi: receiptRegistryAbi,
      functionName: 'anchorOf',
      args: [d.deployer, `0x${'11'.repeat(32)}`],
    })
    expect(none).toMatchObject({ timestamp: 0n })

    const nonce = await client.getTransactionCount({ address: d.deployer })
    const again = await deploy(['--out', out], { LOCKSTEP_DEPLOY_KEY: KEY_1 })
    expect(again.status).toBe(0)
    expect(again.stdout.match(/already deployed/g)).toHaveLength(3)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(d)
    expect(await client.getTransactionCount({ address: d.deployer })).toBe(nonce)
  }, 60_000)

  it('takes the key from a keystore with its password from the environment', async () => {
    const salt = randomBytes(32)
    const iv = randomBytes(16)
    const dk = pbkdf2Sync('pw', salt, 1024, 32, 'sha256')
    const c = createCipheriv('aes-128-ctr', dk.subarray(0, 16), iv)
    const ciphertext = Buffer.concat([c.update(Buffer.from(KEY_2.slice(2), 'hex')), c.final()])
    const keystore = join(dir, 'key.json')
    writeFileSync(
      keystore,
      JSON.stringify({
        version: 3,
        crypto: {
          cipher: 'aes-128-ctr',
          cipherparams: { iv: iv.toString('hex') },
          ciphertext: ciphertext.toString('hex'),
          kdf: 'pbkdf2',
          kdfparams: { c: 1024, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') },
          mac: keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext])).slice(2),
        },
      }),
    )
    const out = join(dir, 'from-keystore.json')
    const wrong = await deploy(['--keystore', keystore, '--out', out], { LOCKSTEP_KEYSTORE_PASSWORD: 'nope' })
    expect(wrong.stderr).toContain('wrong password')
    expect(wrong.status).toBe(1)
    const r = await deploy(['--keystore', keystore, '--out', out], { LOCKSTEP_KEYSTORE_PASSWORD: 'pw' })
    expect(r.status).toBe(0)
    expect(JSON.parse(readFileSync(out, 'utf8')).deployer).toBe('0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC')
  }, 60_000)

  it('refuses a key flag, a missing key, the wrong chain and an account with no funds', async () => {
    const flagged = await deploy(['--key', KEY_1])
    expect(flagged.stderr).toContain('deploy takes no --key')
    expect(flagged.status).toBe(2)
    expect((await deploy([])).status).toBe(2)
    const elsewhere = await deploy(['--chain-id', '1', '--out', join(dir, 'x.json')], {
      LOCKSTEP_DEPLOY_KEY: KEY_1,
    })
    expect(elsewhere.stderr).toContain('serves chain 31338, not 1')
    expect(elsewhere.status).toBe(1)
    const poor = await deploy(['--out', join(dir, 'poor.json')], {
      LOCKSTEP_DEPLOY_KEY: `0x${'42'.repeat(32)}`,
    })
    expect(poor.stderr).toContain('has nothing to pay gas with')
    expect(poor.status).toBe(1)
  }, 60_000)

  it('--markets adds the market contracts with the roles asked, keeps them on a rerun, refuses others', async () => {
    const out = join(dir, 'markets.json')
    const treasury = '0x00000000000000000000000000000000000000aA'
    const owner = '0x00000000000000000000000000000000000000bB'
    const missing = await deploy(['--out', out, '--markets', '--treasury', treasury], {
      LOCKSTEP_DEPLOY_KEY: KEY_2,
    })
    expect(missing.stderr).toContain('--referee-owner')
    expect(missing.status).toBe(2)
    const zero = await deploy(
      ['--out', out, '--markets', '--treasury', `0x${'0'.repeat(40)}`, '--referee-owner', owner],
      { LOCKSTEP_DEPLOY_KEY: KEY_2 },
    )
    expect(zero.stderr).toContain('is not an account address')

    const roles = ['--markets', '--treasury', treasury, '--referee-owner', owner, '--test-token']
    const first = await deploy(['--out', out, ...roles], { LOCKSTEP_DEPLOY_KEY: KEY_2 })
    expect(first.stderr).toBe('')
    expect(first.status).toBe(0)
    const d = JSON.parse(readFileSync(out, 'utf8'))
    expect(Object.keys(d.contracts)).toEqual([
      'receiptRegistry',
      'swarmRegistry',
      'swarmCoordinator',
      'testToken',
      'marketImplementation',
      'interimReferee',
      'marketFactory',
    ])
    const client = createPublicClient({ transport: http(chain.rpcUrl) })
    const factory = { address: d.contracts.marketFactory, abi: marketFactoryAbi } as const
    expect(await client.readContract({ ...factory, functionName: 'treasury' })).toBe(getAddress(treasury))
    expect(await client.readContract({ ...factory, functionName: 'registry' })).toBe(
      d.contracts.receiptRegistry,
    )
    expect(await client.readContract({ ...factory, functionName: 'implementation' })).toBe(
      d.contracts.marketImplementation,
    )
    const referee = await client.readContract({ ...factory, functionName: 'referee' })
    expect(referee).toBe(d.contracts.interimReferee)
    expect(
      await client.readContract({ address: referee, abi: interimRefereeAbi, functionName: 'owner' }),
    ).toBe(getAddress(owner))

    // A rerun without --markets keeps their addresses in the file; one with other roles is refused.
    const plain = await deploy(['--out', out], { LOCKSTEP_DEPLOY_KEY: KEY_2 })
    expect(plain.status).toBe(0)
    expect(JSON.parse(readFileSync(out, 'utf8')).contracts).toEqual(d.contracts)
    const other = await deploy(['--out', out, '--markets', '--treasury', owner, '--referee-owner', owner], {
      LOCKSTEP_DEPLOY_KEY: KEY_2,
    })
    expect(other.stderr).toContain('not the ones asked')
    expect(other.status).toBe(1)
  }, 90_000)
})
