// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {GameOperands, OperandErrors, Operand, Place, Spec} from "./GameOperands.sol";
import {GameTrees} from "./GameTrees.sol";
import {Referee} from "./Referee.sol";
import {RefereeGrad} from "./RefereeGrad.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// The trustless referee's game (docs/disputes.md, "The game"): a challenger and a defender who
/// disagree on the state a run of `steps` training steps ends in narrow their dispute, move by move,
/// to one output element of one operator of one step, which Referee recomputes from inputs both agree
/// on. The party whose element equals the recompute wins both bonds (ETH; no fee). Every move has a
/// deadline; a party that lets its deadline pass loses (timeout, callable by anyone).
///
/// What is committed: per step, a positional trace tree (GameTrees) over the step's slots: slots
/// below the state count copy the state the previous step left (program kind COPY), the rest are the
/// step's operators in order, each slot's leaf the OpenZeppelin root of its output tensor. The
/// program (kind, input slots, shapes and constants of every slot) is a positional tree both parties
/// accept when the game opens; the contract reads op kinds, shapes and constants from it, never from a
/// mover, and derives from them (in GameOperands) which input elements a disputed output element depends on.
///
/// A game opened with the defender's signed trace commitment (`openCommitted`, EIP-712 TraceCommitment
/// over the work, program, initial tree and its own final root) holds the defender to terms it signed:
/// one that does not join loses by timeout as at any other move, and the Settled event is a conviction.
/// Without one (`open`), the defender accepts the terms by joining, and a game it never joins convicts
/// nobody (the challenger may have named terms the defender never ran).
contract DisputeGame is OperandErrors {
    /// A slot's copy of slot `a` of the previous step's trace (for step 1: of the initial tree).
    uint8 public constant COPY = 255;
    /// A slot holding the step's own data (its batch of token ids, positions, targets): leaf
    /// consts[0] + (step − 1)·consts[1] of the initial tree (stride 0: the same tensor every step).
    uint8 public constant INPUT = 254;
    /// GameOperands' answer for an index map (its GATHERED): the input element is the output element; for a
    /// causal softmax's masked element, a[0] is GameOperands' own constant +0.
    uint8 private constant GATHERED = 255;

    enum Phase {
        None,
        Join, // defender matches the bond
        Propose, // defender posts its root at the middle step
        Answer, // challenger agrees or posts its own, different root there
        RevealD, // defender reveals its two children of the current node
        RevealC, // challenger reveals its two children
        Spec, // anyone proves the disputed slot's program entry
        ElementD, // defender opens its output element at the reached position
        ElementC, // challenger opens its own
        Resolve, // anyone recomputes (or, for a COPY slot, proves the agreed value)
        Done
    }

    /// A program leaf is keccak256(abi.encode(SPEC_VERSION, kind, a, b, c, d, m, k, n, consts)); the
    /// version keeps a leaf of one layout from passing for another.
    uint8 public constant SPEC_VERSION = 2;

    struct Terms {
        bytes32 work; // what both committed to (a receipt hash): recorded, not interpreted here
        bytes32 program; // positional tree of Spec leaves, one per slot
        uint32 slots;
        uint32 steps;
        bytes32 initial; // positional tree: leaf a holds the tensor a step-1 COPY of a reads, and INPUT's leaves
        uint8 initialDepth; // the initial tree's depth (INPUT's leaves may outnumber the slots)
        address defender;
        bytes32 challengerRoot; // the two trace roots of the last step
        bytes32 defenderRoot;
    }

    struct Game {
        address challenger;
        uint64 deadline;
        Phase phase;
        bool tensorLevel; // descending an output tensor (else a trace)
        uint8 depth; // of the trace and program trees
        uint8 initialDepth;
        address defender;
        uint96 bond;
        address winner;
        bool committed; // opened with the defender's signed commitment to these terms
        bytes32 work;
        bytes32 program;
        uint32 slots;
        uint32 lo; // steps: both agree on the trace root at lo, disagree at hi
        uint32 hi;
        uint32 pos; // the node both descend from, in heap order (root 0, children 2p+1, 2p+2)
        uint32 count; // output elements of the disputed slot
        uint32 slot;
        uint32 element;
        uint32 dBits;
        uint32 cBits;
        bytes32 agreed; // trace root at lo
        bytes32 dRoot; // trace roots at hi
        bytes32 cRoot;
        bytes32 dNode; // the two nodes at pos (Propose: the defender's root at the middle step)
        bytes32 cNode;
        bytes32 dLeft; // the defender's revealed children, until the challenger reveals
        bytes32 dRight;
        bytes32 initial; // the initial tree, which INPUT slots read at every step
        Spec spec;
    }

    Referee public immutable referee;
    /// The backward ops', the matmul epilogue's, the statistics' and a market's decide recompute (ids 20,
    /// 23 to 31 and 37 to 43, RefereeGrad forwarding some; Referee has the rest).
    RefereeGrad public immutable grads;
    /// Which input elements a disputed element depends on, checked and laid out for the recompute.
    GameOperands public immutable operands;
    /// Seconds each move may take.
    uint64 public immutable window;
    uint256 public games;
    mapping(uint256 => Game) private _games;
    /// Bonds won, waiting for withdraw (a push could be refused by a contract winner and stall the game).
    mapping(address => uint256) public owed;

    event Opened(
        uint256 indexed id, address indexed challenger, address indexed defender, bytes32 work, uint256 bond, bool committed
    );
    event Joined(uint256 indexed id);
    event StepProposed(uint256 indexed id, uint32 step, bytes32 root);
    event StepAnswered(uint256 indexed id, bool agree, uint32 lo, uint32 hi);
    event Revealed(uint256 indexed id, address indexed by, bool tensorLevel, uint32 pos, bytes32 left, bytes32 right);
    event SpecProven(uint256 indexed id, uint32 step, uint32 slot, uint8 kind);
    event ElementOpened(uint256 indexed id, address indexed by, uint32 element, uint32 bits);
    /// `ended` is the phase the game was in: after a timeout, the move that was never made.
    event Settled(uint256 indexed id, address indexed winner, uint256 pot, bool byTimeout, Phase ended);
    event Withdrawn(address indexed to, uint256 amount);

    error NoBond();
    error BadTerms();
    error WrongBond(uint256 sent, uint256 bond);
    error WrongPhase(uint256 id, Phase phase);
    error NotYourTurn(uint256 id, address caller);
    error DeadlinePassed(uint256 id, uint64 deadline);
    error DeadlineNotPassed(uint256 id, uint64 deadline);
    error SameRoot(bytes32 root);
    error BadReveal(uint256 id);
    error BadSpecProof(uint256 id, uint32 slot);
    error BadElement(uint256 id, uint32 element);
    error BadCopyProof(uint256 id);
    /// OpenZeppelin's refusal of a malformed multiproof, raised inside GameOperands' operand checks:
    /// declared so that this contract's ABI names it.
    error MerkleProofInvalidMultiproof();
    /// The commitment's signature recovers to `signer`, not to the defender the terms name.
    error BadCommitment(address signer);
    error NothingOwed();
    error PayoutFailed(address to);

    constructor(Referee referee_, RefereeGrad grads_, GameOperands operands_, uint64 window_) {
        referee = referee_;
        grads = grads_;
        operands = operands_;
        window = window_;
    }

    function gameOf(uint256 id) external view returns (Game memory) {
        return _games[id];
    }

    // ---- Opening ----

    /// EIP-712 domain (name "Lockstep", version "1", this chain, this contract) and the commitment a
    /// producer signs over its trace: the work it answers for, the program and initial tree it ran, and
    /// its trace root after `steps` steps (src/disputes/commitment.ts signs the same).
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 public constant COMMITMENT_TYPEHASH = keccak256(
        "TraceCommitment(bytes32 work,bytes32 program,uint32 slots,uint32 steps,bytes32 initial,uint8 initialDepth,bytes32 root)"
    );

    /// The challenger opens with its bond (msg.value) and both final trace roots; the defender must
    /// join within the window (or the challenger takes its bond back by timeout, convicting nobody).
    function open(Terms calldata t) external payable returns (uint256 id) {
        return _open(t, false);
    }

    /// The same, with the defender's signature over its TraceCommitment of these terms (`defenderRoot`
    /// its root): the defender is held to them from the start, and a defender that does not join loses.
    function openCommitted(Terms calldata t, bytes calldata signature) external payable returns (uint256 id) {
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Lockstep"), keccak256("1"), block.chainid, address(this))
        );
        bytes32 commitment = keccak256(
            abi.encode(
                COMMITMENT_TYPEHASH, t.work, t.program, t.slots, t.steps, t.initial, t.initialDepth, t.defenderRoot
            )
        );
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecover(keccak256(abi.encodePacked("\x19\x01", domain, commitment)), signature);
        if (err != ECDSA.RecoverError.NoError || signer != t.defender) revert BadCommitment(signer);
        return _open(t, true);
    }

    function _open(Terms calldata t, bool committed) private returns (uint256 id) {
        if (msg.value == 0 || msg.value > type(uint96).max) revert NoBond();
        if (t.steps == 0 || t.slots < 2 || t.defender == address(0) || t.defender == msg.sender) revert BadTerms();
        if (t.challengerRoot == t.defenderRoot) revert SameRoot(t.defenderRoot);
        id = ++games;
        Game storage g = _games[id];
        g.challenger = msg.sender;
        g.defender = t.defender;
        g.bond = uint96(msg.value);
        g.committed = committed;
        g.work = t.work;
        g.program = t.program;
        g.slots = t.slots;
        g.depth = GameTrees.depthFor(t.slots);
        g.hi = t.steps;
        g.agreed = t.initial;
        g.initial = t.initial;
        g.initialDepth = t.initialDepth;
        g.dRoot = t.defenderRoot;
        g.cRoot = t.challengerRoot;
        _next(g, Phase.Join);
        emit Opened(id, msg.sender, t.defender, t.work, msg.value, committed);
    }

    function join(uint256 id) external payable {
        Game storage g = _turn(id, Phase.Join);
        if (msg.value != g.bond) revert WrongBond(msg.value, g.bond);
        emit Joined(id);
        _afterSteps(g);
    }

    // ---- Bisection over steps ----

    function proposeStep(uint256 id, bytes32 root) external {
        Game storage g = _turn(id, Phase.Propose);
        g.dNode = root;
        _next(g, Phase.Answer);
        emit StepProposed(id, (g.lo + g.hi) / 2, root);
    }

    /// agree: the defender's root at the middle step is the challenger's too. Otherwise `root` is the
    /// challenger's own, different root there.
    function answerStep(uint256 id, bool agree, bytes32 root) external {
        Game storage g = _turn(id, Phase.Answer);
        uint32 mid = (g.lo + g.hi) / 2;
        if (agree) {
            g.lo = mid;
            g.agreed = g.dNode;
        } else {
            if (root == g.dNode) revert SameRoot(root);
            g.hi = mid;
            g.dRoot = g.dNode;
            g.cRoot = root;
        }
        emit StepAnswered(id, agree, g.lo, g.hi);
        _afterSteps(g);
    }

    function _afterSteps(Game storage g) private {
        if (g.hi > g.lo + 1) return _next(g, Phase.Propose);
        // One step left: descend both traces of step hi to the leftmost slot where they differ.
        g.dNode = g.dRoot;
        g.cNode = g.cRoot;
        _next(g, Phase.RevealD);
    }

    // ---- Descent through a trace, then through an output tensor ----

    /// The mover's two children of its node at pos. The descent goes left where the left children
    /// differ, else right: every slot left of the path is then the same in both traces.
    function reveal(uint256 id, bytes32 left, bytes32 right) external {
        Game storage g = _games[id];
        bool d = g.phase == Phase.RevealD;
        _turn(id, d ? Phase.RevealD : Phase.RevealC);
        bytes32 parent = g.tensorLevel ? GameTrees.pair(left, right) : GameTrees.node(left, right);
        if (parent != (d ? g.dNode : g.cNode)) revert BadReveal(id);
        emit Revealed(id, msg.sender, g.tensorLevel, g.pos, left, right);
        if (d) {
            g.dLeft = left;
            g.dRight = right;
            return _next(g, Phase.RevealC);
        }
        // The nodes differ, so if the left children agree the right ones do not.
        if (left != g.dLeft) {
            (g.pos, g.dNode, g.cNode) = (2 * g.pos + 1, g.dLeft, left);
        } else {
            (g.pos, g.dNode, g.cNode) = (2 * g.pos + 2, g.dRight, right);
        }
        _afterMove(id, g);
    }

    function _afterMove(uint256 id, Game storage g) private {
        if (g.tensorLevel) return _next(g, g.pos + 1 >= g.count ? Phase.ElementD : Phase.RevealD);
        uint32 first = uint32((uint256(1) << g.depth) - 1);
        if (g.pos < first) return _next(g, Phase.RevealD);
        g.slot = g.pos - first;
        // A padding slot: the honest leaf is zero.
        if (g.slot >= g.slots) return _settle(id, g, g.dNode == 0 ? g.defender : g.challenger, false);
        _next(g, Phase.Spec);
    }

    /// Anyone proves the disputed slot's program entry; an op slot's output tensors are then descended.
    function proveSpec(uint256 id, Spec calldata s, bytes32[] calldata proof) external {
        Game storage g = _anyone(id, Phase.Spec);
        bytes32 leaf = keccak256(abi.encode(SPEC_VERSION, s.kind, s.a, s.b, s.c, s.d, s.m, s.k, s.n, s.consts));
        if (!GameTrees.isAt(g.program, g.depth, leaf, g.slot, proof)) revert BadSpecProof(id, g.slot);
        g.spec = s;
        emit SpecProven(id, g.hi, g.slot, s.kind);
        if (s.kind == COPY || s.kind == INPUT) return _next(g, Phase.Resolve);
        uint256 count = uint256(s.m) * s.n * _batch(s);
        if (count == 0 || count > type(uint32).max) revert BadProgram(g.slot);
        g.count = uint32(count);
        g.tensorLevel = true;
        g.pos = 0;
        _next(g, count == 1 ? Phase.ElementD : Phase.RevealD);
    }

    /// The mover's output element at the reached leaf position (index 2·count − 2 − pos).
    function openElement(uint256 id, uint32 bits) external {
        Game storage g = _games[id];
        bool d = g.phase == Phase.ElementD;
        _turn(id, d ? Phase.ElementD : Phase.ElementC);
        uint32 e = 2 * g.count - 2 - g.pos;
        if (TensorCommitment.leaf(e, bits) != (d ? g.dNode : g.cNode)) revert BadElement(id, e);
        emit ElementOpened(id, msg.sender, e, bits);
        g.element = e;
        if (d) {
            g.dBits = bits;
            return _next(g, Phase.ElementC);
        }
        g.cBits = bits;
        _next(g, Phase.Resolve);
    }

    // ---- The last word ----

    /// A disputed COPY slot: `root` is leaf spec.a of the agreed trace of step lo (for lo = 0 the initial
    /// tree). A disputed INPUT slot: `root` is its leaf of the initial tree for step hi.
    function resolveCopy(uint256 id, bytes32 root, bytes32[] calldata proof) external {
        Game storage g = _anyone(id, Phase.Resolve);
        (uint8 kind, uint256 leaf) = (g.spec.kind, g.spec.a);
        if (kind == INPUT) {
            if (g.spec.consts.length != 2) revert BadProgram(g.slot);
            leaf = g.spec.consts[0] + uint256(g.hi - 1) * g.spec.consts[1];
        }
        bool initial = kind == INPUT || g.lo == 0;
        (bytes32 tree, uint8 depth) = initial ? (g.initial, g.initialDepth) : (g.agreed, g.depth);
        if ((kind != COPY && kind != INPUT) || !GameTrees.isAt(tree, depth, root, leaf, proof)) revert BadCopyProof(id);
        _settle(id, g, g.dNode == root ? g.defender : g.challenger, false);
    }

    /// A disputed op slot: the element's inputs (one Operand per input slot, in the op's order), checked
    /// against the agreed input tensors and laid out by GameOperands, recomputed by the Referee (or
    /// RefereeGrad, for its ids). The party whose element equals it wins; if neither does, the defender's
    /// result is wrong all the same and the challenger wins.
    function resolve(uint256 id, Operand[] calldata xs) external {
        Game storage g = _anyone(id, Phase.Resolve);
        Place memory p = Place(g.slot, g.element, g.hi, g.depth, g.dRoot, g.cRoot);
        (uint8 op, uint32[] memory a, uint32[] memory b) = operands.recomputeArgs(p, g.spec, xs);
        uint32 v;
        if (op == GATHERED) v = a[0];
        else if (op == 20 || (op >= 23 && op <= 31) || (op >= 37 && op <= 43)) v = grads.recompute(op, a, b);
        else v = referee.recompute(op, a, b);
        _settle(id, g, g.dBits == v ? g.defender : g.challenger, false);
    }

    /// Output elements per (m × n) of a slot: a batched matmul's or epilogue's batch, else 1.
    function _batch(Spec memory s) private pure returns (uint256) {
        if (s.kind == 7 && s.consts.length == 4) return _max(s.consts[0], s.consts[1]);
        if (s.kind == 26 && s.consts.length == 6) return _max(s.consts[2], s.consts[3]);
        return 1;
    }

    function _max(uint32 x, uint32 y) private pure returns (uint256) {
        return x > y ? x : y;
    }


    // ---- Deadlines and bonds ----

    /// Anyone may end a game whose mover let the deadline pass: the other party wins. In Spec and Resolve,
    /// which either party may move, the challenger carries the burden, so the defender wins.
    function timeout(uint256 id) external {
        Game storage g = _games[id];
        Phase p = g.phase;
        if (p == Phase.None || p == Phase.Done) revert WrongPhase(id, p);
        if (block.timestamp <= g.deadline) revert DeadlineNotPassed(id, g.deadline);
        bool defenderMoves =
            p == Phase.Join || p == Phase.Propose || p == Phase.RevealD || p == Phase.ElementD;
        _settle(id, g, defenderMoves ? g.challenger : g.defender, true);
    }

    function withdraw() external {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert PayoutFailed(msg.sender);
        emit Withdrawn(msg.sender, amount);
    }

    function _settle(uint256 id, Game storage g, address winner, bool byTimeout) private {
        Phase ended = g.phase;
        uint256 pot = ended == Phase.Join ? g.bond : 2 * uint256(g.bond);
        g.phase = Phase.Done;
        g.winner = winner;
        owed[winner] += pot;
        emit Settled(id, winner, pot, byTimeout, ended);
    }

    function _next(Game storage g, Phase p) private {
        g.phase = p;
        g.deadline = uint64(block.timestamp) + window;
    }

    function _live(uint256 id, Phase want) private view returns (Game storage g) {
        g = _games[id];
        if (g.phase != want) revert WrongPhase(id, g.phase);
        if (block.timestamp > g.deadline) revert DeadlinePassed(id, g.deadline);
    }

    function _turn(uint256 id, Phase want) private view returns (Game storage g) {
        g = _live(id, want);
        bool defenderMoves = want == Phase.Join || want == Phase.Propose || want == Phase.RevealD
            || want == Phase.ElementD;
        if (msg.sender != (defenderMoves ? g.defender : g.challenger)) revert NotYourTurn(id, msg.sender);
    }

    function _anyone(uint256 id, Phase want) private view returns (Game storage g) {
        g = _live(id, want);
        if (msg.sender != g.defender && msg.sender != g.challenger) revert NotYourTurn(id, msg.sender);
    }
}
