// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReferee} from "../IReferee.sol";
import {Market} from "../Market.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {GameTrees} from "./GameTrees.sol";
import {SettlementTerms} from "./SettlementTerms.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// A market referee with no one to trust (docs/markets.md, "Ruling by the game"): a disputed market on
/// the trained settlement model (TASK_RULE) is ruled by DisputeGames over the settlement's program
/// (src/disputes/gameOfSettlement.ts), whose terms this contract derives itself from the market's own: the
/// program and the initial tree (the model's parameters, fixed here at deployment; the windows of token
/// ids, from the market's input and outcomes). No one chooses what a game computes, only their own trace.
///
/// The market's two parties may both be its creator (a creator may challenge its own settlement, and a
/// market takes one challenge), so the defence is open to anyone, and one live honest participant
/// suffices:
/// 1. Commit: within `commitWindow` of the challenge, anyone posts a trace root for either side (the
///    proposal's outcome or the counter's), with the market's input text (held to its `inputHash`) and
///    proofs that its last slot (the decide slot) holds that side's outcome. Each root once. The first commit
///    publishes the input (the Input event), so no root wins by default on an input no one else could read.
/// 2. Play: a game on DisputeGame between the committers of two live roots of opposite sides, with the
///    derived terms and the bond fixed here, is bound here (`bind`, anyone) while its defender still has at
///    least half a move window to join; when it ends, `settleGame` eliminates the loser's root. An honest
///    root never loses a game it plays (its every element is the recompute's); its committer need only
///    answer the bound games (the Bound event), with `gameBond` for each it joins.
/// 3. Rule: after the commit window, once one side has live roots and the other none, anyone calls `rule`
///    and the market settles on the live side (its bonds and deposit as Market.rule says). While both or
///    neither have live roots nothing is ruled, and at the market's referee timeout it expires: bonds and
///    holdings refunded.
///
/// The model's constants (`weightRoots`, the program's `siblings` per outcome count) are public: anyone
/// re-derives them from the published checkpoint (settlementRefereeConstants in TypeScript) before
/// trusting a factory that names this referee.
contract SettlementReferee is IReferee {
    uint8 private constant SPEC_VERSION = 2;
    uint8 private constant TASK_DECIDE = 42;
    uint256 private constant DISPUTED = 3; // Market.Phase.Disputed
    uint256 private constant JOIN = 1; // DisputeGame.Phase.Join
    uint256 private constant DONE = 10; // DisputeGame.Phase.Done
    bytes32 private constant TASK_RULE = keccak256("lockstep/task-loglik/1");
    bytes32 private constant WORK = keccak256("lockstep/market-game/1");
    /// The market's REFEREE_TIMEOUT, and the moves a settlement game may take (each within the game's window).
    uint64 private constant REFEREE_TIMEOUT = 7 days;
    uint64 private constant MAX_MOVES = 64;

    DisputeGame public immutable game;
    /// keccak256 of the ONNX file markets commit to (the trained settlement model's).
    bytes32 public immutable modelHash;
    /// The model's window, the program's slot count and the per-row losses slot the decide slot reads.
    uint32 public immutable window;
    uint32 public immutable slots;
    uint32 public immutable losses;
    uint64 public immutable commitWindow;
    /// Every bound game's bond (ETH): an opener cannot price a committer out of joining.
    uint96 public immutable gameBond;
    /// The parameters' tensor roots: leaves 0.. of every settlement's initial tree.
    bytes32[] public weightRoots;
    /// Per outcome count K, the program tree's siblings of its last (decide) leaf, leaf up.
    mapping(uint256 => bytes32[]) private siblings_;

    struct Root {
        address by;
        bool counter; // the counter-settlement's side, else the proposal's
        bool live;
    }

    /// Committed roots by market, and each market's live roots per side (0 the proposal's, 1 the counter's),
    /// both counts in one slot: commit reads them together to know whether the market has any root yet.
    mapping(address => mapping(bytes32 => Root)) public roots;
    mapping(address => uint128[2]) private live_;
    /// The market a game is bound to.
    mapping(uint256 => address) public boundTo;

    event Committed(address indexed market, address indexed by, bool counter, bytes32 root);
    /// The market's input text (keccak256 = its inputHash), logged by a commit while the market has no live
    /// root: its first, so before any root can be ruled for by default anyone can read the input back from
    /// the logs, re-execute the settlement and commit the other side.
    event Input(address indexed market, bytes input);
    event Bound(address indexed market, uint256 indexed gameId);
    event Eliminated(address indexed market, uint256 indexed gameId, bytes32 root);
    event Ruled(address indexed market, bool challengerWins);

    error NotDisputed(address market);
    error NotTaskRule(address market);
    error WrongModel(bytes32 modelHash);
    error WrongInput(bytes32 inputHash);
    error OutcomeCount(uint256 outcomes);
    error AlreadyCommitted(bytes32 root);
    error BadDecideProof();
    error WindowOver(uint64 deadline);
    error WindowOpen(uint64 deadline);
    error AlreadyBound(uint256 gameId);
    error TermsDiffer(uint256 gameId, uint8 term);
    error NotBound(uint256 gameId);
    error GameNotOver(uint256 gameId);
    error Undecided(address market, uint256 proposalRoots, uint256 counterRoots);
    error WindowsPastTimeout();

    constructor(
        DisputeGame game_,
        bytes32 modelHash_,
        uint32[3] memory shape, // window, slots, losses
        bytes32[] memory weightRoots_,
        bytes32[][] memory siblings, // siblings[i] for K = i + 2
        uint64 commitWindow_,
        uint96 gameBond_
    ) {
        // The commits and a game's every move must fit before the market's own timeout expires it.
        if (commitWindow_ + MAX_MOVES * game_.window() > REFEREE_TIMEOUT) revert WindowsPastTimeout();
        game = game_;
        modelHash = modelHash_;
        (window, slots, losses) = (shape[0], shape[1], shape[2]);
        weightRoots = weightRoots_;
        for (uint256 i = 0; i < siblings.length; i++) siblings_[i + 2] = siblings[i];
        commitWindow = commitWindow_;
        gameBond = gameBond_;
    }

    /// A market only tells; everything below reads the market's own state.
    function disputeOpened(bytes32, uint256, bytes32, uint256) external {}

    /// The program tree's siblings of the decide leaf for K outcomes (empty: K not supported).
    function siblings(uint256 K) external view returns (bytes32[] memory) {
        return siblings_[K];
    }

    /// Live roots of the proposal's side and of the counter's.
    function live(address market) external view returns (uint256[2] memory) {
        return [uint256(live_[market][0]), live_[market][1]];
    }

    function workOf(address market) public view returns (bytes32) {
        return keccak256(abi.encode(WORK, block.chainid, market));
    }

    /// A game's terms for `market` (its input text, whose hash the market holds) between the committers of
    /// `challengerRoot` and `defenderRoot`: derived here, never taken from a party.
    function termsFor(address market, bytes calldata input, bytes32 challengerRoot, bytes32 defenderRoot)
        public
        view
        returns (DisputeGame.Terms memory t)
    {
        Market.Terms memory mt = _supported(market);
        if (keccak256(input) != mt.inputHash) revert WrongInput(keccak256(input));
        uint256 K = mt.outcomes.length;
        (uint32[] memory ids, uint32[] memory layout) = SettlementTerms.windows(input, mt.outcomes, window);
        bytes32 decide = keccak256(
            abi.encode(SPEC_VERSION, TASK_DECIDE, losses, uint32(0), uint32(0), uint32(0), uint32(1), uint32(K * window), uint32(1), layout)
        );
        t.program = SettlementTerms.fold(decide, slots - 1, siblings_[K]);
        // The initial tree: the parameters at leaves 0.., the data after the program's slots (ids,
        // positions, targets: the order gameOfStep gives them).
        bytes32[] memory leaves = new bytes32[](slots + 3);
        for (uint256 i = 0; i < weightRoots.length; i++) leaves[i] = weightRoots[i];
        leaves[slots] = SettlementTerms.tensorRoot(ids);
        leaves[slots + 1] = SettlementTerms.tensorRoot(SettlementTerms.positions(ids.length, window));
        leaves[slots + 2] = SettlementTerms.tensorRoot(SettlementTerms.nextTokens(ids, window));
        t.initialDepth = GameTrees.depthFor(leaves.length);
        t.initial = SettlementTerms.positionalRoot(leaves, t.initialDepth);
        t.work = workOf(market);
        t.slots = slots;
        t.steps = 1;
        t.defender = roots[market][defenderRoot].by;
        (t.challengerRoot, t.defenderRoot) = (challengerRoot, defenderRoot);
    }

    /// A trace root for the proposal's side (`counter` false) or the counter's, with the market's input text
    /// (keccak256 must be its inputHash) and the proofs that its decide slot (the last) holds the tensor root
    /// `decideRoot` and that tensor's element 0 that side's outcome. Anyone, within the commit window, each
    /// root once.
    function commit(
        address market,
        bytes calldata input,
        bool counter,
        bytes32 root,
        bytes32[] calldata slotProof,
        bytes32 decideRoot,
        bytes32[] calldata elementProof
    ) external {
        // Without the input no one can re-execute the settlement or bind a game, so a creator who kept it
        // hidden would be ruled for by default; a root comes with it, checked here and published below.
        _checkInput(market, input);
        Market.State memory st = _disputed(market);
        uint64 deadline = st.counter.at + commitWindow;
        if (block.timestamp >= deadline) revert WindowOver(deadline);
        if (roots[market][root].by != address(0)) revert AlreadyCommitted(root);
        uint256 outcome = counter ? st.counter.outcome : st.proposal.outcome;
        if (
            !GameTrees.isAt(root, GameTrees.depthFor(slots), decideRoot, slots - 1, slotProof)
                || !TensorCommitment.verify(decideRoot, elementProof, 0, uint32(outcome))
        ) revert BadDecideProof();
        roots[market][root] = Root(msg.sender, counter, true);
        _count(market, input, counter);
        emit Committed(market, msg.sender, counter, root);
    }

    /// Binds game `gameId` to `market`: its terms must be termsFor's, between the committers of two live
    /// roots of opposite sides, each playing its own root, with `gameBond`, and the defender not yet joined
    /// with at least half its window left (a game bound late, or already played, could eliminate a root
    /// whose committer never knew it counted).
    function bind(address market, uint256 gameId, bytes calldata input) external {
        _disputed(market);
        if (boundTo[gameId] != address(0)) revert AlreadyBound(gameId);
        DisputeGame.Game memory g = game.gameOf(gameId);
        // With one step the game never moves its roots: dRoot and cRoot are the ones it opened with.
        DisputeGame.Terms memory t = termsFor(market, input, g.cRoot, g.dRoot);
        Root memory c = roots[market][g.cRoot];
        Root memory d = roots[market][g.dRoot];
        if (g.work != t.work) revert TermsDiffer(gameId, 0);
        if (g.program != t.program || g.slots != t.slots) revert TermsDiffer(gameId, 1);
        if (g.initial != t.initial || g.initialDepth != t.initialDepth) revert TermsDiffer(gameId, 2);
        if (g.hi != 1 || g.lo != 0) revert TermsDiffer(gameId, 3);
        if (!c.live || !d.live || c.counter == d.counter) revert TermsDiffer(gameId, 4);
        if (g.challenger != c.by || g.defender != d.by) revert TermsDiffer(gameId, 5);
        if (g.bond != gameBond) revert TermsDiffer(gameId, 6);
        if (uint8(g.phase) != JOIN || g.deadline < block.timestamp + game.window() / 2) revert TermsDiffer(gameId, 7);
        boundTo[gameId] = market;
        emit Bound(market, gameId);
    }

    /// Eliminates the root that lost bound game `gameId` (anyone, once the game is over).
    function settleGame(uint256 gameId) external {
        address market = boundTo[gameId];
        if (market == address(0)) revert NotBound(gameId);
        DisputeGame.Game memory g = game.gameOf(gameId);
        if (uint8(g.phase) != DONE) revert GameNotOver(gameId);
        bytes32 lost = g.winner == g.challenger ? g.dRoot : g.cRoot;
        Root storage r = roots[market][lost];
        if (!r.live) return;
        r.live = false;
        live_[market][r.counter ? 1 : 0]--;
        emit Eliminated(market, gameId, lost);
    }

    /// Rules on `market` once its commit window has passed and one side alone has live roots.
    function rule(address market) external {
        Market.State memory st = _disputed(market);
        uint64 commitEnd = st.counter.at + commitWindow;
        if (block.timestamp < commitEnd) revert WindowOpen(commitEnd);
        uint128[2] memory n = live_[market];
        if ((n[0] == 0) == (n[1] == 0)) revert Undecided(market, n[0], n[1]);
        bool challengerWins = n[1] > 0;
        emit Ruled(market, challengerWins);
        Market(market).rule(challengerWins);
    }

    function _checkInput(address market, bytes calldata input) private view {
        bytes32 inputHash = keccak256(input);
        if (inputHash != _supported(market).inputHash) revert WrongInput(inputHash);
    }

    /// One more live root on `counter`'s side; the input is logged while the market had none. Logged once, not
    /// in every Committed: later commits pay only its calldata (an Input log costs 8 gas a byte, the check
    /// nothing, as both counts share the slot this writes). A market whose roots were all eliminated logs it
    /// again on its next commit, harmless: every log holds the same text.
    function _count(address market, bytes calldata input, bool counter) private {
        uint128[2] storage n = live_[market];
        if (n[0] == 0 && n[1] == 0) emit Input(market, input);
        n[counter ? 1 : 0]++;
    }

    function _supported(address market) private view returns (Market.Terms memory mt) {
        mt = Market(market).terms();
        if (keccak256(bytes(mt.rule)) != TASK_RULE) revert NotTaskRule(market);
        if (mt.modelHash != modelHash) revert WrongModel(mt.modelHash);
        if (siblings_[mt.outcomes.length].length == 0) revert OutcomeCount(mt.outcomes.length);
        // termsFor's own rule: a market no game can be bound for would otherwise be ruled for whoever alone
        // committed (`rule` needs one side live, and no game could ever eliminate its root).
        SettlementTerms.checkOutcomes(mt.outcomes, window);
    }

    function _disputed(address market) private view returns (Market.State memory st) {
        st = Market(market).state();
        if (uint8(st.phase) != DISPUTED || st.referee != address(this)) revert NotDisputed(market);
    }
}
