// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IReferee, IRefereed} from "./IReferee.sol";
import {MAX_SUPPLY, feeOn, poolOf} from "./MarketMath.sol";

/// @title An AI-settled information market
/// @notice One question, 2 to 20 outcomes, an ERC-20 collateral. Positions are priced by the dynamic
/// parimutuel cost C(q) = k·√(Σ qᵢ²) and held as ERC-6909 tokens (id = outcome index). The market
/// commits at creation to the model, the input data and the rule that settle it; its creator settles
/// with the hash of a signed, deterministic settlement receipt (src/markets/settlement.ts) and a bond;
/// anyone whose re-execution disagrees may post a counter-receipt and the same bond within the challenge
/// window, and the referee fixed at creation rules. Lifecycle, economics and trust: docs/markets.md.
///
/// The chain cannot read a receipt: it checks that each hash is signed (EIP-712, the ReceiptRegistry's
/// domain, so the receipt that anchors is the one that settles) and keeps who signed it; whether a
/// receipt is right is for re-execution off-chain and for the referee.
///
/// Deployed as EIP-1167 clones by MarketFactory, so its settings live in storage, set once by
/// `initialize`. Not upgradeable: the rules a holder bought under are the rules it redeems under.
contract Market is ERC6909, IRefereed {
    using SafeERC20 for IERC20;

    enum Phase {
        Open,
        AwaitingSettlement,
        Proposed,
        Disputed,
        Settled,
        Expired
    }

    /// The economics and timing a creator chooses; bounds below.
    struct Config {
        IERC20 collateral;
        uint256 k;
        uint256 feeBps;
        /// The creator's part of the fee, in basis points of the trade; the rest goes to the treasury.
        uint256 creatorFeeBps;
        /// What the creator puts in, deposit included; the rest seeds every outcome equally.
        uint256 liquidity;
        /// Returned to the creator when its settlement stands, paid to holders when it never comes or
        /// is overturned.
        uint256 deposit;
        /// What the settler and a challenger each post.
        uint256 bond;
        uint64 tradingWindow;
        uint64 settlementWindow;
        uint64 challengeWindow;
    }

    /// What the market is settled on: each field is bound by the settlement receipt (docs/markets.md).
    struct Terms {
        string question;
        string category;
        string[] outcomes;
        /// keccak256 of the model's bytes, and where to fetch them.
        bytes32 modelHash;
        string modelUri;
        /// keccak256 of the UTF-8 input text the model reads, and where to fetch it.
        bytes32 inputHash;
        string inputUri;
        /// The rule (and with it the prompt template), e.g. "lockstep/outcome-logit-sum/1".
        string rule;
    }

    /// A settlement or counter-settlement on record.
    struct Claim {
        address by;
        address producer;
        uint64 at;
        uint256 outcome;
        bytes32 receiptHash;
    }

    /// Everything a reader needs in one call.
    struct State {
        Phase phase;
        address creator;
        address referee;
        uint256 pool;
        uint256 sumSq;
        uint256 seed;
        uint256[] supplies;
        uint64 deadline;
        uint64 settlementDeadline;
        Claim proposal;
        Claim counter;
        uint256 winner;
        uint256 payoutPool;
    }

    uint256 public constant MIN_OUTCOMES = 2;
    uint256 public constant MAX_OUTCOMES = 20;
    uint256 public constant MAX_OUTCOME_BYTES = 90;
    uint256 public constant MAX_TEXT_BYTES = 512;
    uint256 public constant MIN_K = 1;
    uint256 public constant MAX_K = 100;
    uint256 public constant MIN_FEE_BPS = 50;
    uint256 public constant MAX_FEE_BPS = 500;
    uint64 public constant MIN_TRADING_WINDOW = 2 minutes;
    uint64 public constant MAX_TRADING_WINDOW = 365 days;
    uint64 public constant MIN_SETTLEMENT_WINDOW = 1 hours;
    uint64 public constant MAX_SETTLEMENT_WINDOW = 24 hours;
    uint64 public constant MIN_CHALLENGE_WINDOW = 10 minutes;
    uint64 public constant MAX_CHALLENGE_WINDOW = 7 days;
    /// How long the referee has to rule once a market is disputed; then it expires and refunds.
    uint64 public constant REFEREE_TIMEOUT = 7 days;
    string public constant RECEIPT_KIND = "lockstep/market-settlement";

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant RECEIPT_TYPEHASH = keccak256("Receipt(string kind,bytes32 receiptHash)");

    address public factory;
    address public creator;
    address public registry;
    address public treasury;
    address public referee;
    Config private config_;
    Terms private terms_;
    uint64 public deadline;
    uint64 public settlementDeadline;

    Phase private stored;
    uint256[] private supply;
    /// Σ supplyᵢ², kept so a trade reads one slot, not every outcome's supply.
    uint256 public sumSq;
    /// ⌈k·√sumSq⌉: the collateral that backs the shares, net of fees, deposit and bonds.
    uint256 public pool;
    /// Each outcome's seed shares: the creator's, not tokens, redeemed through `redeem`.
    uint256 public seed;
    bool public seedRedeemed;
    Claim private proposal;
    Claim private counter;
    uint256 public winner;
    /// What redemptions share once resolved: the pool, plus the deposit when the creator forfeits it.
    uint256 public payoutPool;
    /// Fees, bonds and deposits owed, paid by `withdraw`.
    mapping(address => uint256) public owed;

    event Bought(address indexed trader, uint256 indexed outcome, uint256 shares, uint256 cost, uint256 fee);
    event Sold(address indexed trader, uint256 indexed outcome, uint256 shares, uint256 proceeds, uint256 fee);
    event SettlementProposed(uint256 outcome, bytes32 receiptHash, address producer, string uri);
    event Challenged(address indexed challenger, uint256 outcome, bytes32 receiptHash, address producer, string uri);
    event Ruled(bool challengerWins, uint256 outcome);
    event Resolved(Phase phase, uint256 winner, uint256 payoutPool);
    event Redeemed(address indexed holder, uint256 paid);
    event Withdrawn(address indexed to, uint256 amount);

    error AlreadyInitialized();
    error ZeroAddress();
    error BadOutcomeCount(uint256 count);
    error BadOutcome(uint256 index);
    error DuplicateOutcome(uint256 first, uint256 second);
    error EmptyQuestion();
    error TextTooLong();
    error EmptyCommitment();
    error BadK(uint256 k);
    error BadFee(uint256 feeBps, uint256 creatorFeeBps);
    error BadTradingWindow(uint64 window);
    error BadSettlementWindow(uint64 window);
    error BadChallengeWindow(uint64 window);
    error DepositTooLarge(uint256 deposit, uint256 liquidity);
    error LiquidityTooSmall(uint256 liquidity);
    error LiquidityTooLarge(uint256 liquidity);
    error ZeroBond();
    error NoSuchOutcome(uint256 outcome);
    error ZeroShares();
    error SupplyTooLarge(uint256 supply);
    error TradingClosed();
    error CostAboveMax(uint256 cost, uint256 maxCost);
    error ProceedsBelowMin(uint256 proceeds, uint256 minProceeds);
    error WrongPhase(Phase phase);
    error NotCreator();
    error SettlementWindowOver();
    error EmptyReceiptHash();
    error BadReceiptSignature();
    error SameOutcome(uint256 outcome);
    error NotReferee();
    error NotLiquidatable();
    error NothingToRedeem();
    error NothingToWithdraw();

    /// The implementation itself can never be initialized: only its clones are markets.
    constructor() {
        factory = address(this);
    }

    /// Called once by the factory, which then moves what this returns (seed pool + deposit) in from
    /// `creator`. Every bound is checked here, so a clone either is a valid market or does not exist.
    function initialize(
        address creator_,
        Config calldata c,
        Terms calldata t,
        address registry_,
        address treasury_,
        address referee_
    ) external returns (uint256 owedIn) {
        if (factory != address(0)) revert AlreadyInitialized();
        if (address(c.collateral) == address(0) || creator_ == address(0)) revert ZeroAddress();
        _checkTerms(t);
        uint256 n = t.outcomes.length;
        if (c.k < MIN_K || c.k > MAX_K) revert BadK(c.k);
        if (c.feeBps < MIN_FEE_BPS || c.feeBps > MAX_FEE_BPS || c.creatorFeeBps > c.feeBps) {
            revert BadFee(c.feeBps, c.creatorFeeBps);
        }
        if (c.tradingWindow < MIN_TRADING_WINDOW || c.tradingWindow > MAX_TRADING_WINDOW) {
            revert BadTradingWindow(c.tradingWindow);
        }
        if (c.settlementWindow < MIN_SETTLEMENT_WINDOW || c.settlementWindow > MAX_SETTLEMENT_WINDOW) {
            revert BadSettlementWindow(c.settlementWindow);
        }
        if (c.challengeWindow < MIN_CHALLENGE_WINDOW || c.challengeWindow > MAX_CHALLENGE_WINDOW) {
            revert BadChallengeWindow(c.challengeWindow);
        }
        if (c.bond == 0) revert ZeroBond();
        if (c.deposit >= c.liquidity) revert DepositTooLarge(c.deposit, c.liquidity);
        uint256 budget = c.liquidity - c.deposit;
        if (budget >= MAX_SUPPLY) revert LiquidityTooLarge(c.liquidity);
        // The largest equal seed s with ⌈k·s·√n⌉ ≤ budget: k²·n·s² ≤ budget².
        uint256 s = Math.sqrt((budget * budget) / (c.k * c.k * n));
        if (s == 0) revert LiquidityTooSmall(c.liquidity);

        factory = msg.sender;
        creator = creator_;
        registry = registry_;
        treasury = treasury_;
        referee = referee_;
        config_ = c;
        terms_ = t;
        deadline = uint64(block.timestamp) + c.tradingWindow;
        settlementDeadline = deadline + c.settlementWindow;
        seed = s;
        for (uint256 i; i < n; ++i) supply.push(s);
        sumSq = n * s * s;
        pool = poolOf(c.k, sumSq);
        return pool + c.deposit;
    }

    function _checkTerms(Terms calldata t) private pure {
        uint256 n = t.outcomes.length;
        if (n < MIN_OUTCOMES || n > MAX_OUTCOMES) revert BadOutcomeCount(n);
        if (bytes(t.question).length == 0) revert EmptyQuestion();
        if (
            bytes(t.question).length > MAX_TEXT_BYTES ||
            bytes(t.category).length > MAX_TEXT_BYTES ||
            bytes(t.modelUri).length > MAX_TEXT_BYTES ||
            bytes(t.inputUri).length > MAX_TEXT_BYTES ||
            bytes(t.rule).length > MAX_TEXT_BYTES
        ) revert TextTooLong();
        if (t.modelHash == bytes32(0) || t.inputHash == bytes32(0) || bytes(t.rule).length == 0) {
            revert EmptyCommitment();
        }
        bytes32[] memory seen = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 len = bytes(t.outcomes[i]).length;
            if (len == 0 || len > MAX_OUTCOME_BYTES) revert BadOutcome(i);
            seen[i] = keccak256(bytes(t.outcomes[i]));
            for (uint256 j; j < i; ++j) if (seen[j] == seen[i]) revert DuplicateOutcome(j, i);
        }
    }

    // ---- trading ----

    /// What buying `shares` of `outcome` costs now (exact-out), before and as its fee.
    function quoteBuy(uint256 outcome, uint256 shares) public view returns (uint256 cost, uint256 fee) {
        (, uint256 s2) = _after(outcome, shares, true);
        cost = poolOf(config_.k, s2) - pool;
        fee = feeOn(cost, config_.feeBps);
    }

    /// What selling `shares` of `outcome` returns now (exact-in), after its fee, and the fee.
    function quoteSell(uint256 outcome, uint256 shares) public view returns (uint256 proceeds, uint256 fee) {
        (, uint256 s2) = _after(outcome, shares, false);
        uint256 gross = pool - poolOf(config_.k, s2);
        fee = feeOn(gross, config_.feeBps);
        proceeds = gross - fee;
    }

    /// Buys exactly `shares` of `outcome`, paying at most `maxCost` (cost plus fee).
    function buy(uint256 outcome, uint256 shares, uint256 maxCost) external returns (uint256 paid) {
        _trading();
        (uint256 cost, uint256 fee) = quoteBuy(outcome, shares);
        paid = cost + fee;
        if (paid > maxCost) revert CostAboveMax(paid, maxCost);
        _move(outcome, shares, true, cost);
        _fees(fee);
        config_.collateral.safeTransferFrom(msg.sender, address(this), paid);
        _mint(msg.sender, outcome, shares);
        emit Bought(msg.sender, outcome, shares, cost, fee);
    }

    /// Sells exactly `shares` of `outcome`, receiving at least `minProceeds` after the fee.
    function sell(uint256 outcome, uint256 shares, uint256 minProceeds) external returns (uint256 proceeds) {
        _trading();
        uint256 fee;
        (proceeds, fee) = quoteSell(outcome, shares);
        if (proceeds < minProceeds) revert ProceedsBelowMin(proceeds, minProceeds);
        _burn(msg.sender, outcome, shares);
        _move(outcome, shares, false, proceeds + fee);
        _fees(fee);
        config_.collateral.safeTransfer(msg.sender, proceeds);
        emit Sold(msg.sender, outcome, shares, proceeds, fee);
    }

    function _trading() private view {
        if (stored != Phase.Open || block.timestamp >= deadline) revert TradingClosed();
    }

    /// The outcome's supply and Σ supply² after a trade of `shares`.
    function _after(uint256 outcome, uint256 shares, bool up) private view returns (uint256 q, uint256 s2) {
        if (outcome >= supply.length) revert NoSuchOutcome(outcome);
        if (shares == 0) revert ZeroShares();
        uint256 q0 = supply[outcome];
        if (up && shares > MAX_SUPPLY - q0) revert SupplyTooLarge(q0 + shares);
        // A sale beyond the traders' shares fails here or in _burn; the seed is never for sale.
        if (!up && shares > q0 - seed) revert ERC6909InsufficientBalance(msg.sender, q0 - seed, shares, outcome);
        q = up ? q0 + shares : q0 - shares;
        s2 = sumSq - q0 * q0 + q * q;
    }

    function _move(uint256 outcome, uint256 shares, bool up, uint256 amount) private {
        (uint256 q, uint256 s2) = _after(outcome, shares, up);
        supply[outcome] = q;
        sumSq = s2;
        pool = up ? pool + amount : pool - amount;
    }

    function _fees(uint256 fee) private {
        uint256 toCreator = (fee * config_.creatorFeeBps) / config_.feeBps;
        owed[creator] += toCreator;
        owed[treasury] += fee - toCreator;
    }

    // ---- settlement ----

    /// The creator settles: `outcome`, the settlement receipt's hash and URI, the producer's EIP-712
    /// signature of it, and the bond (pulled from the sender). Between the deadline and the end of the
    /// settlement window.
    function settle(uint256 outcome, bytes32 receiptHash, string calldata uri, bytes calldata signature) external {
        if (msg.sender != creator) revert NotCreator();
        Phase p = phase();
        if (p != Phase.AwaitingSettlement) revert WrongPhase(p);
        if (block.timestamp >= settlementDeadline) revert SettlementWindowOver();
        proposal = _claim(outcome, receiptHash, signature);
        stored = Phase.Proposed;
        config_.collateral.safeTransferFrom(msg.sender, address(this), config_.bond);
        emit SettlementProposed(outcome, receiptHash, proposal.producer, uri);
    }

    /// Anyone whose re-execution gives another outcome posts its own signed receipt and the same bond
    /// within the challenge window; the market is then disputed until the referee rules or times out.
    function challenge(uint256 outcome, bytes32 receiptHash, string calldata uri, bytes calldata signature) external {
        Phase p = phase();
        if (p != Phase.Proposed) revert WrongPhase(p);
        if (outcome == proposal.outcome) revert SameOutcome(outcome);
        counter = _claim(outcome, receiptHash, signature);
        stored = Phase.Disputed;
        config_.collateral.safeTransferFrom(msg.sender, address(this), config_.bond);
        emit Challenged(msg.sender, outcome, receiptHash, counter.producer, uri);
        // The referee learns of it here if it is a contract; an address that is not still rules.
        // A referee that reverts cannot block a dispute: its ruling, not its notice, is what counts.
        if (referee.code.length > 0) {
            try IReferee(referee).disputeOpened(proposal.receiptHash, proposal.outcome, receiptHash, outcome) {} catch {}
        }
    }

    /// The referee's ruling, before the timeout. The winner's bond comes back with the loser's; the
    /// deposit returns to the creator only when its settlement stands, else it joins the payout.
    function rule(bool challengerWins) external {
        if (msg.sender != referee) revert NotReferee();
        Phase p = phase();
        if (p != Phase.Disputed) revert WrongPhase(p);
        Claim storage won = challengerWins ? counter : proposal;
        owed[won.by] += 2 * config_.bond;
        uint256 payout = pool;
        if (challengerWins) payout += config_.deposit;
        else owed[creator] += config_.deposit;
        emit Ruled(challengerWins, won.outcome);
        _resolve(Phase.Settled, won.outcome, payout);
    }

    /// When the creator never settled: anyone ends the market after the settlement window. Holders
    /// (and the creator's seed) share the pool and the forfeited deposit.
    function liquidate() external {
        Phase p = phase();
        if (p != Phase.AwaitingSettlement) revert WrongPhase(p);
        if (block.timestamp < settlementDeadline) revert NotLiquidatable();
        _resolve(Phase.Expired, 0, pool + config_.deposit);
    }

    /// Records what time has decided: an unchallenged settlement after its window, or a dispute the
    /// referee left past its timeout (both bonds and the deposit return; the market refunds).
    function finalize() public {
        Phase p = phase();
        if (p == stored) return;
        if (p == Phase.Settled) {
            owed[proposal.by] += config_.bond;
            owed[creator] += config_.deposit;
            _resolve(Phase.Settled, proposal.outcome, pool);
        } else if (p == Phase.Expired) {
            owed[proposal.by] += config_.bond;
            owed[counter.by] += config_.bond;
            owed[creator] += config_.deposit;
            _resolve(Phase.Expired, 0, pool);
        }
    }

    function _resolve(Phase p, uint256 outcome, uint256 payout) private {
        stored = p;
        winner = outcome;
        payoutPool = payout;
        emit Resolved(p, outcome, payout);
    }

    function _claim(uint256 outcome, bytes32 receiptHash, bytes calldata signature) private view returns (Claim memory) {
        if (outcome >= supply.length) revert NoSuchOutcome(outcome);
        if (receiptHash == bytes32(0)) revert EmptyReceiptHash();
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Lockstep"), keccak256("1"), block.chainid, registry)
        );
        bytes32 structHash = keccak256(abi.encode(RECEIPT_TYPEHASH, keccak256(bytes(RECEIPT_KIND)), receiptHash));
        (address producer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(
            keccak256(abi.encodePacked("\x19\x01", domain, structHash)),
            signature
        );
        if (err != ECDSA.RecoverError.NoError) revert BadReceiptSignature();
        return Claim(msg.sender, producer, uint64(block.timestamp), outcome, receiptHash);
    }

    // ---- payouts ----

    /// Pays the sender's shares once resolved and burns them. Settled: each winning share is worth
    /// payoutPool / supply[winner]. Expired: each share of outcome i is worth payoutPool · qᵢ / Σq², its
    /// expected value at the final prices; these sum to payoutPool exactly, before rounding down.
    function redeem() external returns (uint256 paid) {
        finalize();
        Phase p = stored;
        if (p != Phase.Settled && p != Phase.Expired) revert WrongPhase(phase());
        bool withSeed = msg.sender == creator && !seedRedeemed;
        if (withSeed) seedRedeemed = true;
        uint256 extra = withSeed ? seed : 0;
        if (p == Phase.Settled) {
            uint256 x = balanceOf(msg.sender, winner);
            if (x > 0) _burn(msg.sender, winner, x);
            paid = Math.mulDiv(x + extra, payoutPool, supply[winner]);
            if (x + extra == 0) revert NothingToRedeem();
        } else {
            uint256 weighted;
            for (uint256 i; i < supply.length; ++i) {
                uint256 x = balanceOf(msg.sender, i);
                if (x > 0) _burn(msg.sender, i, x);
                weighted += (x + extra) * supply[i];
            }
            if (weighted == 0) revert NothingToRedeem();
            paid = Math.mulDiv(weighted, payoutPool, sumSq);
        }
        emit Redeemed(msg.sender, paid);
        config_.collateral.safeTransfer(msg.sender, paid);
    }

    /// Pays the sender's fees, returned bonds and deposit.
    function withdraw() external returns (uint256 amount) {
        finalize();
        amount = owed[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        config_.collateral.safeTransfer(msg.sender, amount);
    }

    // ---- reads ----

    /// The phase as of now: a stored phase moves on with time (a deadline passing, a window closing).
    function phase() public view returns (Phase) {
        Phase p = stored;
        if (p == Phase.Open && block.timestamp >= deadline) return Phase.AwaitingSettlement;
        if (p == Phase.Proposed && block.timestamp >= proposal.at + config_.challengeWindow) return Phase.Settled;
        if (p == Phase.Disputed && block.timestamp >= counter.at + REFEREE_TIMEOUT) return Phase.Expired;
        return p;
    }

    function config() external view returns (Config memory) {
        return config_;
    }

    function terms() external view returns (Terms memory) {
        return terms_;
    }

    function state() external view returns (State memory) {
        return
            State(
                phase(),
                creator,
                referee,
                pool,
                sumSq,
                seed,
                supply,
                deadline,
                settlementDeadline,
                proposal,
                counter,
                winner,
                payoutPool
            );
    }

    /// The cost function on its own, for previews and tests: ⌈k·√(Σ qᵢ²)⌉.
    function costOf(uint256 k, uint256[] calldata q) external pure returns (uint256) {
        if (q.length > MAX_OUTCOMES) revert BadOutcomeCount(q.length);
        if (k < MIN_K || k > MAX_K) revert BadK(k);
        uint256 s;
        for (uint256 i; i < q.length; ++i) {
            if (q[i] > MAX_SUPPLY) revert SupplyTooLarge(q[i]);
            s += q[i] * q[i];
        }
        return poolOf(k, s);
    }
}
