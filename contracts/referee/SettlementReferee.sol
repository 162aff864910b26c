// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IReferee} from "../IReferee.sol";
import {Market} from "../Market.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {GameTrees} from "./GameTrees.sol";
import {SettlementTerms} from "./SettlementTerms.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// A market referee with no one to trust (docs/markets.md, "Ruling by the game"): a disputed market on
/// the trained settlement model (TASK_RULE) is settled by a DisputeGame between its proposer and its
/// challenger over the settlement's program (src/disputes/gameOfSettlement.ts), whose terms this contract
/// derives itself from the market's own: the program and the initial tree (the model's parameters, fixed
/// here at deployment; the windows of token ids, from the market's input and outcomes). A party cannot
/// choose what the game computes, only its own trace.
///
/// 1. Commit: within `commitWindow` of the challenge, each party posts its trace root, with proofs that
///    the trace's last slot (the decide slot) holds the outcome it claimed in the market.
/// 2. Bind: within `openWindow` after that, the market's challenger opens the game on DisputeGame
///    (`open`, terms from termsFor) against the proposer, and anyone binds it here (checked term by term).
/// 3. Rule: anyone calls `rule(market)`. A bound game that is over rules for its winner, a proposer that
///    never joins it included (it committed to its root here). A party that did not commit loses to one
///    that did; a challenger that commits but opens no game loses. With no commitment at all there is
///    nothing to rule on, and the market expires at its own referee timeout (bonds and holdings refunded).
///
/// The model's constants (`weightRoots`, the program's `siblings` per outcome count) are public: anyone
/// re-derives them from the published checkpoint (settlementRefereeConstants in TypeScript) before
/// trusting a factory that names this referee.
contract SettlementReferee is IReferee {
    uint8 private constant SPEC_VERSION = 2;
    uint8 private constant TASK_DECIDE = 42;
    uint256 private constant DISPUTED = 3; // Market.Phase.Disputed
    uint256 private constant DONE = 10; // DisputeGame.Phase.Done
    bytes32 private constant TASK_RULE = keccak256("lockstep/task-loglik/1");
    bytes32 private constant WORK = keccak256("lockstep/market-game/1");

    DisputeGame public immutable game;
    /// keccak256 of the ONNX file markets commit to (the trained settlement model's).
    bytes32 public immutable modelHash;
    /// The model's window, the program's slot count and the per-row losses slot the decide slot reads.
    uint32 public immutable window;
    uint32 public immutable slots;
    uint32 public immutable losses;
    uint64 public immutable commitWindow;
    uint64 public immutable openWindow;
    /// The parameters' tensor roots: leaves 0.. of every settlement's initial tree.
    bytes32[] public weightRoots;
    /// Per outcome count K, the program tree's siblings of its last (decide) leaf, leaf up.
    mapping(uint256 => bytes32[]) private siblings_;

    struct Dispute {
        bytes32 proposerRoot;
        bytes32 challengerRoot;
        uint256 gameId;
    }

    mapping(address => Dispute) public disputes;

    event Committed(address indexed market, address indexed by, bool challenger, bytes32 root);
    event Bound(address indexed market, uint256 gameId);
    event Ruled(address indexed market, bool challengerWins, bool byDefault);

    error NotDisputed(address market);
    error NotTaskRule(address market);
    error WrongModel(bytes32 modelHash);
    error WrongInput(bytes32 inputHash);
    error OutcomeCount(uint256 outcomes);
    error NotAParty(address caller);
    error AlreadyCommitted(address by);
    error BadDecideProof();
    error WindowOver(uint64 deadline);
    error WindowOpen(uint64 deadline);
    error NotBindable(address market);
    error TermsDiffer(uint256 gameId, uint8 term);
    error GameNotOver(uint256 gameId);
    error NothingToRule(address market);

    constructor(
        DisputeGame game_,
        bytes32 modelHash_,
        uint32[3] memory shape, // window, slots, losses
        bytes32[] memory weightRoots_,
        bytes32[][] memory siblings, // siblings[i] for K = i + 2
        uint64[2] memory windows // commitWindow, openWindow
    ) {
        game = game_;
        modelHash = modelHash_;
        (window, slots, losses) = (shape[0], shape[1], shape[2]);
        weightRoots = weightRoots_;
        for (uint256 i = 0; i < siblings.length; i++) siblings_[i + 2] = siblings[i];
        (commitWindow, openWindow) = (windows[0], windows[1]);
    }

    /// A market only tells; everything below reads the market's own state.
    function disputeOpened(bytes32, uint256, bytes32, uint256) external {}

    /// The program tree's siblings of the decide leaf for K outcomes (empty: K not supported).
    function siblings(uint256 K) external view returns (bytes32[] memory) {
        return siblings_[K];
    }

    function workOf(address market) public view returns (bytes32) {
        return keccak256(abi.encode(WORK, block.chainid, market));
    }

    /// The game's terms for `market` (its input text, whose hash the market holds), as its challenger must
    /// open it: derived here, never taken from a party, but for the two roots each party committed.
    function termsFor(address market, bytes calldata input) public view returns (DisputeGame.Terms memory t) {
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
        Dispute storage d = disputes[market];
        t.defender = Market(market).state().proposal.by;
        (t.challengerRoot, t.defenderRoot) = (d.challengerRoot, d.proposerRoot);
    }

    /// A party's trace root, with the proofs that its decide slot (the last) holds the tensor root
    /// `decideRoot` and that tensor's element 0 the outcome this party claimed in the market.
    function commit(
        address market,
        bytes32 root,
        bytes32[] calldata slotProof,
        bytes32 decideRoot,
        bytes32[] calldata elementProof
    ) external {
        _supported(market);
        Market.State memory st = _disputed(market);
        uint64 deadline = st.counter.at + commitWindow;
        if (block.timestamp >= deadline) revert WindowOver(deadline);
        bool challenger = msg.sender == st.counter.by;
        if (!challenger && msg.sender != st.proposal.by) revert NotAParty(msg.sender);
        uint256 outcome = challenger ? st.counter.outcome : st.proposal.outcome;
        Dispute storage d = disputes[market];
        if ((challenger ? d.challengerRoot : d.proposerRoot) != 0) revert AlreadyCommitted(msg.sender);
        if (
            !GameTrees.isAt(root, GameTrees.depthFor(slots), decideRoot, slots - 1, slotProof)
                || !TensorCommitment.verify(decideRoot, elementProof, 0, uint32(outcome))
        ) revert BadDecideProof();
        if (challenger) d.challengerRoot = root;
        else d.proposerRoot = root;
        emit Committed(market, msg.sender, challenger, root);
    }

    /// Binds the game `gameId` to `market` once both committed: its terms must be termsFor's, opened by
    /// the market's challenger. The first such game binds; the proposer then joins and plays it.
    function bind(address market, uint256 gameId, bytes calldata input) external {
        Market.State memory st = _disputed(market);
        Dispute storage d = disputes[market];
        if (d.gameId != 0 || d.proposerRoot == 0 || d.challengerRoot == 0) revert NotBindable(market);
        uint64 deadline = st.counter.at + commitWindow + openWindow;
        if (block.timestamp >= deadline) revert WindowOver(deadline);
        DisputeGame.Terms memory t = termsFor(market, input);
        DisputeGame.Game memory g = game.gameOf(gameId);
        // With one step the game never moves its roots: dRoot and cRoot are the ones it opened with.
        if (g.work != t.work) revert TermsDiffer(gameId, 0);
        if (g.program != t.program || g.slots != t.slots) revert TermsDiffer(gameId, 1);
        if (g.initial != t.initial || g.initialDepth != t.initialDepth) revert TermsDiffer(gameId, 2);
        if (g.hi != 1 || g.lo != 0) revert TermsDiffer(gameId, 3);
        if (g.challenger != st.counter.by || g.defender != t.defender) revert TermsDiffer(gameId, 4);
        if (g.cRoot != t.challengerRoot || g.dRoot != t.defenderRoot) revert TermsDiffer(gameId, 5);
        d.gameId = gameId;
        emit Bound(market, gameId);
    }

    /// Rules on `market`: by its bound game once over, else by default once the windows have passed.
    function rule(address market) external {
        Market.State memory st = _disputed(market);
        Dispute storage d = disputes[market];
        bool challengerWins;
        bool byDefault = d.gameId == 0;
        if (!byDefault) {
            DisputeGame.Game memory g = game.gameOf(d.gameId);
            if (uint8(g.phase) != DONE) revert GameNotOver(d.gameId);
            challengerWins = g.winner == st.counter.by;
        } else {
            uint64 commitEnd = st.counter.at + commitWindow;
            if (block.timestamp < commitEnd) revert WindowOpen(commitEnd);
            bool p = d.proposerRoot != 0;
            bool c = d.challengerRoot != 0;
            if (!p && !c) revert NothingToRule(market);
            if (p && c && block.timestamp < commitEnd + openWindow) revert WindowOpen(commitEnd + openWindow);
            // One committed: it wins. Both: the challenger opened no game in time, the proposer wins.
            challengerWins = c && !p;
        }
        emit Ruled(market, challengerWins, byDefault);
        Market(market).rule(challengerWins);
    }

    function _supported(address market) private view returns (Market.Terms memory mt) {
        mt = Market(market).terms();
        if (keccak256(bytes(mt.rule)) != TASK_RULE) revert NotTaskRule(market);
        if (mt.modelHash != modelHash) revert WrongModel(mt.modelHash);
        if (siblings_[mt.outcomes.length].length == 0) revert OutcomeCount(mt.outcomes.length);
    }

    function _disputed(address market) private view returns (Market.State memory st) {
        st = Market(market).state();
        if (uint8(st.phase) != DISPUTED || st.referee != address(this)) revert NotDisputed(market);
    }
}
