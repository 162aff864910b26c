// What `lockstep --help` and `lockstep <command> --help` print. Exit codes, for every command: 0 ok,
// 1 refused (a check failed, or the command could not do its work), 2 usage (bad arguments).

export const EXIT_CODES = `exit codes: 0 ok, 1 refused (a check failed or the work could not be done), 2 bad usage`

export const help: Record<string, string> = {
  verify: `lockstep verify <receipt.json> [--signer ADDR] [--chain-id N] [--registry ADDR] [--rpc URL] [--corpus FILE]
                [--model FILE] [--allow-local] [--no-replay] [--gpu] [--checkpoints DIR [--spot K] [--seed HEX] | --full [--threads N]]
  Checks a training, inference or generation receipt: structure, hashes, signature, then re-executes it (CPU
  reference, or the GPU through Dawn with --gpu). 0 only when every check passes; 1 names the failed checks.
  --model FILE       re-execute an inference or generation receipt with this file; else its http(s) URI is
                     fetched (64 MiB, 30 s at most); --allow-local lets that URI be on this machine or network
  --tokenizer FILE   a generation receipt's tokenizer.json, else its http(s) URI is fetched as the model is (the
                     byte-level tokenizer needs none); re-generation names the first position whose token differs
  --rpc URL          also require the receipt's anchor on that chain, from its signer, with the same root
  --checkpoints DIR  spot-check K steps (default 3) from the producer's checkpoints instead of replaying all;
                     the draw is seeded by --seed, else by fresh randomness (mixed with the anchor's block
                     hash with --rpc); the seed is printed so --seed repeats the draw
  --full             with --checkpoints: replay every step, cut at the checkpoints into segments that run on
                     --threads N worker threads (default: one per core; the CPU reference only)`,
  replay: `lockstep replay <receipt.json> [--gpu] [--corpus FILE] [--checkpoints DIR [--spot K] [--seed HEX] | --full [--threads N]]
  Re-execution only (no signature or chain checks): every step's state hash against the commitment.`,
  train: `lockstep train --out receipt.json [--preset tiny] [--steps N] [--batch B] [--seed S] [--gpu]
               [--checkpoints DIR [--every C]] [--key 0x…] [--chain-id N] [--registry ADDR] [--corpus FILE]
  Trains in Node and writes a signed training receipt (key: --key, $LOCKSTEP_KEY, else ~/.lockstep/dev-key).
  --preset rl is the RL swarm's model and warm-start settings (src/rl/model.ts, scripts/rl-warmstart.mjs).`,
  dispute: `lockstep dispute <a.json> <b.json> [--corpus FILE]
  Bisects two training receipts to their first divergent step and referees it on the CPU reference.
lockstep dispute --onchain <mine.json> <theirs.json> --rpc URL
    (--their-trace FILE | --their-commitment FILE [--bond ETH] | --id N | --watch [--from-block N]
    | --commit [--out FILE]) [--trace FILE] [--game ADDR] [--corpus FILE] [--poll MS] [--key HEX | --keystore FILE]
  Plays this party's side of the on-chain dispute game over that step to the end, from its own trace of it
  (--trace, a \`lockstep trace\` file of its run; else re-run here on the CPU reference):
  --their-trace (the other producer's \`lockstep trace\` file) or --their-commitment (its signed
  commitment: the game then holds it to its terms, and staying away loses) opens a game against the other
  receipt's producer; --id joins or plays game N; --watch waits for the newest unfinished game opened
  against this party over this step (Opened events since --from-block) and plays it; --commit writes this
  party's signed commitment to its trace of the step and stops. Exit 0 when the contract names the other
  party.`,
  trace: `lockstep trace <receipt.json> --step N [--out FILE] [--gpu] [--corpus FILE]
  A producer's trace of one step, every operator with its tensors: the answer to a dispute's challenge.`,
  releases: `lockstep releases [--gpu] [--corpus FILE]
  The kernel-library releases this build verifies, each proved here: its golden suite must give the
  recorded bits (ONNX graphs on the CPU reference, two training steps there or with --gpu on this GPU).`,
  infer: `lockstep infer --model m.onnx --input x.json --out receipt.json [--key 0x…] [--uri URI] [--chain-id N] [--registry ADDR]
  Runs an ONNX model on the deterministic runtime and signs an inference receipt.`,
  generate: `lockstep generate --model m.onnx --prompt TEXT --out receipt.json [--tokenizer tokenizer.json|byte]
               [--max-tokens 64] [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0] [--stop STR]… [--stop-id ID]…
               [--eos ID]… [--no-eos] [--gpu] [--key 0x…] [--uri URI] [--tokenizer-uri URI] [--chain-id N] [--registry ADDR]
  Generates text from an ONNX decoder (KV-cache layout of docs/receipts.md) on the deterministic runtime,
  streams it to stderr, and signs a generation receipt. Temperature 0 is greedy; sampling is seeded and
  the same on every machine. --eos defaults to the tokenizer's end-of-text token (none for bytes).
  --model lockstep:gpt/tiny?seed=1 (or demo) is a built-in Lockstep decoder, rebuilt from its URI.`,
  swarm: `lockstep swarm --relay MULTIADDR[,…] [--kind rl] [--name lockstep] [--rounds N] [--gpu] [--json]
               [--warmstart FILE] [--identity FILE] [--claim --rpc URL [--coordinator ADDR] [--evidence-dir DIR]]
  Joins the RL swarm the tabs join (?swarm=rl) as a Node peer: it answers its questions with its own model,
  shares the completions, spot-checks other peers' by regenerating them, and trains GRPO on its own and
  others' rollouts (docs/rl.md). Reaches the tabs through the relay. One line per round (--json: the full
  report); stops after --rounds or on Ctrl-C.
  --name NAME      the swarm's name (the page's ?swarmName=; default lockstep)
  --warmstart FILE the checkpoint to start from (default the shipped public/rl/warmstart.lscp)
  --identity FILE  run as the peer whose libp2p key is in FILE (made if missing; see submit register),
                   not a fresh one: the peer id registered on chain is the one that gossips
  --claim          verified rewards (docs/chain.md#verified-rewards): registers the peer on the swarm
                   coordinator at --rpc (key as submit's), claims its reward each coordinator round and
                   re-executes the others' claims, attesting to each; evidence files go to --evidence-dir
                   (default ./evidence) before their attestation is sent`,
  relay: `lockstep relay [--port 9090] [--host 127.0.0.1] [--announce MULTIADDR]… [--identity FILE]
               [--metrics-port N] [--metrics-host 127.0.0.1]
  The swarm's relay: tabs reach it over WebSockets, reserve a circuit slot, find each other through it and
  signal direct WebRTC connections through it. Runs until SIGINT or SIGTERM, then closes its connections.
  --announce MULTIADDR  the address tabs dial, as the world sees it (repeatable), e.g. behind a TLS proxy
                        /dns4/relay.example.org/tcp/443/wss; needs a fixed --port
  --identity FILE       the relay's libp2p key, made on first run (default ~/.lockstep/relay-identity):
                        the same key keeps the same /p2p/ address across restarts
  --metrics-port N      Prometheus text at http://HOST:N/metrics (default port + 1; 0 picks a free one)
  Prints the address to give build-app (--relay) or tabs (?relay=).`,
  deploy: `lockstep deploy --rpc URL [--out deployments.json] [--chain-id N] [--keystore FILE]
                [--markets --treasury ADDR --referee-owner ADDR [--test-token]]
  Deploys Lockstep's contracts (ReceiptRegistry, SwarmRegistry, SwarmCoordinator) to the chain at URL and
  writes their addresses to --out as each lands; a rerun skips those already recorded there with code on
  the chain. The key is never a flag: $LOCKSTEP_DEPLOY_KEY (0x + 64 hex), or --keystore FILE (a v3 key
  file), its password from $LOCKSTEP_KEYSTORE_PASSWORD or asked on the terminal.
  --chain-id N          refuse unless the RPC serves chain N
  --markets             the markets too (Market, InterimReferee, MarketFactory), with their roles:
  --treasury ADDR       the account that receives the protocol's share of trading fees
  --referee-owner ADDR  the account (a multisig) that rules disputed settlements until the on-chain referee
  --test-token          a TestToken anyone mints, as a testnet's collateral`,
  leaderboard: `lockstep leaderboard --rpc URL [--coordinator ADDR | --contracts deployments.json] [--name lockstep]
                     [--peer ID]… [--chain-id N] [--json]
  The swarm's round and stage, then its verified-reward leaderboard from the coordinator: rank, peer id,
  address, claimed, verified, share (verified / claimed), disputed (refuted by an attester), pending,
  wins; a row each for --peer ids not on the board. Rewards are thousandths of reward points. --json:
  the same as JSON, integers as decimal strings. The coordinator: --coordinator, else --contracts (deploy's
  file), else the dev chain's.`,
  evidence: `lockstep evidence <file> [--rpc URL [--coordinator ADDR] [--from-block N]] [--gpu]
  Re-checks a reward attestation's evidence file: re-executes the claim from the rollouts and checkpoint it
  carries with the swarm's own rules (parameters from its name, every group regenerated) and says whether
  the attester's verdict holds. With --rpc: the RPC must serve the file's chain, the claim on the file's
  coordinator (or --coordinator) must have the file's reward and receipts root, and the attestations that
  carry the file's hash are listed (Attested events from --from-block, default 0). 0 only when the
  re-execution reaches the file's verdict (and, with --rpc, the chain holds the file's claim).`,
  submit: `lockstep submit register --rpc URL [--name lockstep] [--identity FILE]
  lockstep submit attest --rpc URL --evidence FILE
  lockstep submit winners --rpc URL [--name lockstep] --round N --winner ID… --peer ID
        [--coordinator ADDR | --contracts deployments.json] [--chain-id N] [--keystore FILE | --key 0x…]
  A Node peer's transactions to the swarm coordinator; each prints its transaction hash and waits for it;
  a refusal names the contract's error. The key: --keystore FILE (password from
  $LOCKSTEP_KEYSTORE_PASSWORD or asked), $LOCKSTEP_KEY, --key, else ~/.lockstep/dev-key (dev chain only).
  register  binds the peer id of --identity FILE (default ~/.lockstep/peer-identity, made if missing; run
            lockstep swarm --identity FILE as that peer) to the key's address, with the key's proof
  attest    checks the evidence file as lockstep evidence --rpc does and sends its verdict only if it
            holds, from the address the file's attester peer is registered to
  winners   votes for a round's winners as --peer (the key's own peer)`,
  market: `lockstep market create --rpc URL --question Q --outcome A --outcome B… --input FILE|TEXT [--category C]
        [--k 1] [--fee-bps 200] [--creator-fee-bps 150] [--liquidity 100] [--deposit 20] [--bond 10] [--trading 1d]
        [--settlement-window 1h] [--challenge-window 30m] [--model bundled|trained|FILE] [--model-uri URI]
        [--rule R] [--input-uri URI]
  lockstep market buy ADDR --rpc URL --outcome I --shares N [--max-cost X | --slippage-bps B] [--dry-run]
  lockstep market sell ADDR --rpc URL --outcome I --shares N [--min-proceeds X | --slippage-bps B] [--dry-run]
  lockstep market settle ADDR --rpc URL [--model FILE] [--input FILE|TEXT] [--out FILE] [--uri URI]
  lockstep market challenge ADDR --rpc URL [--settlement FILE] [--model FILE] [--input FILE|TEXT] [--force --outcome I]
  lockstep market game ADDR --rpc URL [--input FILE|TEXT] [--poll MS]
  lockstep market redeem|withdraw|finalize|liquidate ADDR --rpc URL
  lockstep market show ADDR --rpc URL [--holder ADDR] [--json];  lockstep market list --rpc URL [--json]
        (all: [--factory ADDR] [--collateral ADDR] [--chain-id N] [--keystore FILE | --key 0x…])
  AI-settled information markets (docs/markets.md#cli). Amounts and shares are decimal units of the market's
  collateral (--liquidity 12.5); output gives them in units and, in brackets, base units. Windows are seconds
  or a number with s, m, h, d. The factory and collateral default to the dev chain's. The key as submit's.
  create     checks every field against the contract's bounds (2–20 outcomes of 1–90 bytes, k 1–100, fee
             50–500 bps, trading 2 min–365 d, settlement window 1–24 h, challenge window 10 min–7 d) before
             approving the factory for --liquidity; commits to a model (trained, the default: the RL warm
             start under the task rule; bundled: the untrained demo GPT; FILE with --model-uri and --rule) and the input's
             hash, the input carried on chain as a data: URI when short; prints the address last
  buy, sell  quote with the contract's own arithmetic against the supplies now, print the cost or proceeds,
             fee, price impact and the probabilities after, refuse a quote past --max-cost / --min-proceeds,
             and send with that bound (default: the quote exactly; --slippage-bps widens it)
  settle     the creator re-executes the market's model on its input (each held to its hash on chain), signs
             the settlement receipt, writes it (--out, default settlement-ADDR.json) and posts it with the
             bond, inline as a data: URI unless --uri names where it is published
  challenge  re-executes and re-checks the posted settlement (from --settlement FILE, else its URI on chain);
             challenges with its own signed receipt and the bond only when re-execution gives another
             outcome; otherwise exits 1 with the reason and sends nothing (--force --outcome I challenges
             anyway, with a receipt re-execution contradicts: the referee rules against it)
  game       a disputed market whose referee is a SettlementReferee (the trained model, the task rule), any
             key: re-executes the settlement (the input from --input, else the one the market's first commit
             logged, else its URI) and defends the side it decides: commits the honest trace root,
             opens and binds a game against every live root of the other side, plays its bound games to the
             end, settles them, and asks the referee to rule once one side alone is live; exits 1 without
             sending when re-execution supports neither side, and when the market did not settle on it
  redeem     pays a resolved market's holdings (and the creator's seed); withdraw pays fees, bonds, deposit;
  finalize   records what time decided; liquidate ends a market its creator never settled
  show       phase, deadlines, outcomes (supply, price, probability), settlement and its status; with
             --holder or a key, the holder's shares, what it is owed, spent, received, worth and P&L
  exit codes: 0 done; 1 refused before sending (a field out of bounds, a quote past its bound, too little
  collateral, the wrong phase, a model or input off its hash, a settlement that holds) or by the contract
  (named); 2 bad usage (a missing flag, an address that is not one)`,
  'build-app': `lockstep build-app [--relay MULTIADDR[,…]] [--rpc URL] [--chain-id N] [--contracts deployments.json]
                   [--registry ADDR] [--swarm-registry ADDR] [--swarm-coordinator ADDR] [--chain-name NAME]
                   [--market-factory ADDR --market-collateral ADDR] [--explorer URL] [--out DIR]
  Writes the static app (default ./lockstep-app) with these defaults built in; the page's URL parameters
  (?relay=, ?rpc=, …) still override them. --contracts takes the chain id and addresses from deploy's
  file. Without --relay, tabs read their swarm's relays from the coordinator (--contracts' swarmCoordinator,
  or --swarm-coordinator). Markets: --contracts' marketFactory (or --market-factory) and the ERC-20 new
  markets take, --market-collateral (default: --contracts' testToken). Serve the folder from any static
  host, at any path, with the headers in docs/deploy.md.`,
}

export const usage = `usage: lockstep <command> [options]     (lockstep <command> --help for one command)

${Object.values(help).join('\n\n')}

  --gpu: compute on the GPU through Dawn (the optional 'webgpu' package); same bits as the CPU reference
${EXIT_CODES}`
