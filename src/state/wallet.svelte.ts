// The page's wallet and anchor queue: which wallets this browser offers (EIP-6963), the connected
// one, and the chain writes waiting to land (receipt anchors, the swarm peer's registration and round
// results, its coordinator registration, reward claims, attestations and winner votes, market writes). Every chain
// write the page makes goes through here. One instance for the page (App.svelte).
import { chainConfig, DEV_CHAIN_ID, type ChainConfig } from '../chain/config.ts'
import { publicClient } from '../chain/client.ts'
import { DEV_WALLET_LABEL, devWalletProvider } from '../chain/devWallet.ts'
import { AnchorQueue } from '../chain/queue.ts'
import type { AnchorableReceipt } from '../chain/anchor.ts'
import { idbAnchorStore, type AnchorJob, type AnchorStore } from '../chain/store.ts'
import { connectWallet, ensureChain, walletSigner, type WalletSession } from '../chain/wallet.ts'
import { watchWallets, type WalletOption } from '../chain/wallets.ts'
import { devAccount, devKey } from '../receipts/devkey.ts'
import type { ReceiptSigner } from '../receipts/training.ts'
import type { PeerSigner } from '../chain/peerProof.ts'
import { PEER_REGISTRATION, ROUND_RESULT, proveFor } from '../chain/swarm.ts'
import type { RoundResult } from '../swarm/protocol/index.ts'
import {
  ATTESTATION,
  COORDINATOR_REGISTRATION,
  REWARD_CLAIM,
  WINNERS_VOTE,
  isCoordinatorJob,
  jobSwarm,
  type WinnersVote,
} from '../chain/coordinatorJobs.ts'
import {
  proveForSwarm,
  swarmId,
  type AttestCall,
  type RewardCall,
  type SwarmRef,
} from '../chain/coordinator.ts'
import { isMarketJob, marketWriteOf, type MarketWrite, type MarketWriteInput } from '../chain/marketJobs.ts'
import { isGameJob, type GameWrite, type GameWriteInput } from '../chain/gameJobs.ts'
import { WalletUnavailableError } from '../errors/chain.ts'
import { errorInfo, type ErrorInfo } from '../errors/info.ts'

export class Wallet {
  readonly config: ChainConfig
  /** Read once from the URL and build settings; null when they are unusable (the error says why). */
  readonly configError: ErrorInfo | null = null
  options = $state.raw<WalletOption[]>([])
  // Raw: a provider is the wallet's own object, not something for Svelte to proxy.
  session = $state.raw<WalletSession | null>(null)
  status = $state<'idle' | 'connecting' | 'connected'>('idle')
  error = $state<ErrorInfo | null>(null)
  jobs = $state.raw<AnchorJob[]>([])
  #queue: AnchorQueue
  #stopWatching: (() => void) | null = null

  /** `store`: where the queue keeps its jobs (IndexedDB's `lockstep-anchors`; a test may keep its own). */
  constructor(search = location.search, store: AnchorStore = idbAnchorStore()) {
    let config: ChainConfig
    try {
      config = chainConfig(search)
    } catch (e) {
      this.configError = errorInfo(e)
      config = chainConfig('')
    }
    this.config = config
    this.#queue = new AnchorQueue({
      store,
      config,
      client: publicClient(config),
      wallet: () => this.session,
      onChange: (jobs) => (this.jobs = jobs),
    })
  }

  get onDevChain(): boolean {
    return this.config.chainId === DEV_CHAIN_ID
  }

  /** Where receipts are signed for: this chain's registry (the EIP-712 verifyingContract). */
  get target() {
    return { chainId: this.config.chainId, verifyingContract: this.config.receiptRegistry }
  }

  /** The connected wallet, or this browser's dev key when none is (dev chain only). */
  get signer(): ReceiptSigner {
    return this.session ? walletSigner(this.session, this.config) : devAccount()
  }

  start(): void {
    const last = localStorage.getItem(LAST_WALLET)
    if (last === 'dev' && this.onDevChain) void this.connect('dev', { silent: true })
    this.#stopWatching = watchWallets((found) => {
      this.options = found
      const again = found.find((w) => w.rdns === last)
      if (again && !this.session && this.status === 'idle') void this.connect(again, { silent: true })
    })
    void this.#queue.list().then((jobs) => (this.jobs = jobs))
    this.#queue.start()
  }

  stop(): void {
    this.#stopWatching?.()
    this.#queue.stop()
  }

  /**
   * Connects a wallet. `silent` reconnects the wallet used last without a prompt (eth_accounts), as
   * after a reload: queued receipts then carry on by themselves.
   */
  async connect(option: WalletOption | 'dev', { silent = false } = {}): Promise<void> {
    this.error = null
    this.status = 'connecting'
    try {
      const provider = option === 'dev' ? devWalletProvider(devKey(), this.config) : option.provider
      const label = option === 'dev' ? DEV_WALLET_LABEL : option.name
      if (silent) {
        const accounts = (await provider.request({ method: 'eth_accounts' })) as string[]
        if (!accounts.length) return void (this.status = 'idle')
      }
      this.session = await connectWallet(provider, label)
      this.status = 'connected'
      localStorage.setItem(LAST_WALLET, option === 'dev' ? 'dev' : option.rdns)
      await this.switchChain()
      // Jobs that waited for a wallet can go now.
      for (const job of await this.#queue.list())
        if (job.status === 'needs-you' && job.lastError?.name === 'WalletUnavailableError')
          await this.#queue.retry(job.id)
    } catch (e) {
      this.session = null
      this.status = 'idle'
      if (!silent) this.error = errorInfo(e)
    }
  }

  disconnect(): void {
    localStorage.removeItem(LAST_WALLET)
    this.session = null
    this.status = 'idle'
  }

  async switchChain(): Promise<void> {
    if (!this.session) return
    this.error = null
    try {
      await ensureChain(this.session, this.config)
    } catch (e) {
      this.error = errorInfo(e)
    }
    this.session = { ...this.session } // ensureChain updated its chainId
    this.#queue.wake()
  }

  /** Signs (if not yet signed for this chain) and queues a receipt; the queue takes it from there. */
  async anchor(receipt: AnchorableReceipt, uri: string): Promise<void> {
    this.error = null
    try {
      await this.#queue.add(receipt, uri)
    } catch (e) {
      this.error = errorInfo(e)
    }
  }

  retry(id: string): void {
    void this.#queue.retry(id)
  }

  /**
   * Queues binding `peer` to the connected wallet in the SwarmRegistry; the peer's key signs the proof
   * now, the queue sends it. Returns the job (also in `jobs`), or throws when no wallet is connected.
   */
  async registerPeer(peer: PeerSigner): Promise<AnchorJob> {
    const session = this.#session()
    const proof = await proveFor(peer, session.address, this.config)
    return this.#queue.addSwarm({ kind: PEER_REGISTRATION, from: session.address, proof })
  }

  /** Queues a finished round's result, after the peer's registration (queued too; a no-op when it holds). */
  async anchorRound(peer: PeerSigner, r: RoundResult): Promise<AnchorJob> {
    await this.registerPeer(peer)
    const session = this.#session()
    return this.#queue.addSwarm({
      kind: ROUND_RESULT,
      from: session.address,
      result: { round: r.round, modelHash: r.model, updatesRoot: r.updates, peerId: peer.peerId },
    })
  }

  /** The queued write for this peer's registration by the connected wallet, or for its round. */
  swarmJob(kind: 'register' | 'round', peerId: string, round?: number): AnchorJob | undefined {
    const from = this.session?.address.toLowerCase()
    return this.jobs.find((j) => {
      if (j.signer.toLowerCase() !== from) return false
      const call = j.receipt as { peerId?: string; round?: number }
      if (kind === 'register') return j.kind === PEER_REGISTRATION && call.peerId === peerId
      return j.kind === ROUND_RESULT && call.peerId === peerId && call.round === round
    })
  }

  /** The swarm `name` in the configured SwarmCoordinator, or null when this chain has none. */
  coordinatorRef(name: string): SwarmRef | null {
    const address = this.config.swarmCoordinator
    return address ? { config: this.config, address, swarm: swarmId(name) } : null
  }

  /** Queues binding `peer` to the connected wallet in the coordinator's swarm `ref`; the key signs now. */
  async registerInCoordinator(peer: PeerSigner, ref: SwarmRef): Promise<AnchorJob> {
    const from = this.#session().address
    const proof = await proveForSwarm(peer, from, ref)
    return this.#queue.addCoordinator(ref, { kind: COORDINATOR_REGISTRATION, from, proof })
  }

  /**
   * Queues a reward claim for its round and stage. It waits for the peer's registration (queue that
   * too), and ends `missed` if the chain leaves that stage first.
   */
  async claimReward(ref: SwarmRef, claim: RewardCall): Promise<AnchorJob> {
    return this.#queue.addCoordinator(ref, { kind: REWARD_CLAIM, from: this.#session().address, claim })
  }

  /** Queues an attestation of another peer's claim; it waits until the claim is on the chain. */
  async attestClaim(ref: SwarmRef, attestation: AttestCall): Promise<AnchorJob> {
    const from = this.#session().address
    return this.#queue.addCoordinator(ref, { kind: ATTESTATION, from, attestation })
  }

  /** Queues this peer's winner vote for a round; it waits until the chain reaches that round. */
  async voteWinners(ref: SwarmRef, vote: WinnersVote): Promise<AnchorJob> {
    return this.#queue.addCoordinator(ref, { kind: WINNERS_VOTE, from: this.#session().address, vote })
  }

  /** Coordinator writes not landed yet (nor missed), oldest first; of one swarm when `ref` is given. */
  pendingCoordinatorJobs(ref?: SwarmRef): AnchorJob[] {
    return this.jobs.filter(
      (j) =>
        isCoordinatorJob(j) &&
        j.status !== 'anchored' &&
        j.status !== 'missed' &&
        (!ref ||
          (j.registry.toLowerCase() === ref.address.toLowerCase() &&
            jobSwarm(j).toLowerCase() === ref.swarm.toLowerCase())),
    )
  }

  /**
   * Queues a market write from the connected wallet (`from` is filled in); the queue sends it, once, and
   * the Markets page lists it until it lands.
   */
  async marketWrite(write: MarketWriteInput): Promise<AnchorJob> {
    const from = this.#session().address
    const block = await publicClient(this.config).getBlockNumber()
    return this.#queue.addMarket({ ...write, from } as MarketWrite, block)
  }

  /** Market writes not landed yet, oldest first; to one contract (a market, the factory) when given. */
  pendingMarketJobs(to?: string): AnchorJob[] {
    return this.jobs.filter(
      (j) =>
        isMarketJob(j) &&
        j.status !== 'anchored' &&
        j.status !== 'missed' &&
        (!to ||
          j.registry.toLowerCase() === to.toLowerCase() ||
          (marketWriteOf(j) as { spender?: string }).spender?.toLowerCase() === to.toLowerCase()),
    )
  }

  /**
   * Queues a dispute-game write from the connected wallet (gameJobs.ts: claiming a timeout, withdrawing
   * what the game owes this wallet); the queue sends it once.
   */
  async gameWrite(write: GameWriteInput): Promise<AnchorJob> {
    const from = this.#session().address
    const block = await publicClient(this.config).getBlockNumber()
    return this.#queue.addGame({ ...write, from } as GameWrite, block)
  }

  /** Dispute-game writes to `game` not landed yet, oldest first. */
  pendingGameJobs(game: string): AnchorJob[] {
    return this.jobs.filter(
      (j) =>
        isGameJob(j) &&
        j.status !== 'anchored' &&
        j.status !== 'missed' &&
        j.registry.toLowerCase() === game.toLowerCase(),
    )
  }

  #session() {
    if (!this.session) throw new WalletUnavailableError('Connect a wallet first.')
    return this.session
  }
}

const LAST_WALLET = 'lockstep.lastWallet'
