// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

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
/// mover, and derives from them which input elements a disputed output element depends on.
contract DisputeGame {
    /// A slot's copy of slot `a` of the previous step's trace (for step 1: of the initial tree).
    uint8 public constant COPY = 255;
    /// Index maps: each output element is one input element, moved (no arithmetic, so no Referee call).
    /// PERMUTE consts [rank, dims of the input…, order…] (output dim i is input dim order[i]);
    /// SLICE consts [offset] (output e is input e + offset: one output of a split);
    /// CONCAT consts [length of each input] (inputs a…d in order, flat).
    uint8 public constant PERMUTE = 32;
    uint8 public constant SLICE = 33;
    uint8 public constant CONCAT = 34;
    /// The most dimensions a PERMUTE entry may name.
    uint256 private constant MAX_RANK = 8;

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

    /// One slot of the program (docs/disputes.md, "The game", for each op's inputs and constants).
    struct Spec {
        uint8 kind; // Referee op id, or COPY
        uint32 a; // input slots in the op's order (COPY: a is the slot of the previous trace)
        uint32 b;
        uint32 c;
        uint32 d;
        uint32 m; // output m×n; matmul A m×k, B k×n; a reduction's input m×k (rows) or k×n (columns)
        uint32 k;
        uint32 n;
        uint32[] consts; // the op's constants (eps, a reduction's axis, AdamW's config), never a mover's
    }

    /// One input of the recompute: the input slot's tensor root with its positional proof against
    /// either party's trace root of the disputed step (slots before the disputed one are the same in
    /// both), and the elements the output element depends on with an OpenZeppelin multiproof.
    struct Operand {
        bytes32 root;
        bool ofChallenger;
        bytes32[] slotProof;
        bytes32[] proof;
        bool[] flags;
        uint256[] indices;
        uint32[] bits;
    }

    struct Terms {
        bytes32 work; // what both committed to (a receipt hash): recorded, not interpreted here
        bytes32 program; // positional tree of Spec leaves, one per slot
        uint32 slots;
        uint32 steps;
        bytes32 initial; // positional tree: leaf a holds the tensor a step-1 COPY of a reads
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
        address defender;
        uint96 bond;
        address winner;
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
        Spec spec;
    }

    Referee public immutable referee;
    /// The backward ops' and the matmul epilogue's recompute (ids 20 and 23 to 31; Referee has the rest).
    RefereeGrad public immutable grads;
    /// Seconds each move may take.
    uint64 public immutable window;
    uint256 public games;
    mapping(uint256 => Game) private _games;
    /// Bonds won, waiting for withdraw (a push could be refused by a contract winner and stall the game).
    mapping(address => uint256) public owed;

    event Opened(uint256 indexed id, address indexed challenger, address indexed defender, bytes32 work, uint256 bond);
    event Joined(uint256 indexed id);
    event StepProposed(uint256 indexed id, uint32 step, bytes32 root);
    event StepAnswered(uint256 indexed id, bool agree, uint32 lo, uint32 hi);
    event Revealed(uint256 indexed id, address indexed by, bool tensorLevel, uint32 pos, bytes32 left, bytes32 right);
    event SpecProven(uint256 indexed id, uint32 step, uint32 slot, uint8 kind);
    event ElementOpened(uint256 indexed id, address indexed by, uint32 element, uint32 bits);
    event Settled(uint256 indexed id, address indexed winner, uint256 pot, bool byTimeout);
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
    error BadProgram(uint32 slot);
    error GameOpNotSupported(uint8 kind);
    error WrongOperandCount(uint256 given, uint256 want);
    error BadSlotProof(uint8 operand);
    error BadInputIndices(uint8 operand);
    error BadInputProof(uint8 operand);
    error BadCopyProof(uint256 id);
    error NothingOwed();
    error PayoutFailed(address to);

    constructor(Referee referee_, RefereeGrad grads_, uint64 window_) {
        referee = referee_;
        grads = grads_;
        window = window_;
    }

    function gameOf(uint256 id) external view returns (Game memory) {
        return _games[id];
    }

    // ---- Opening ----

    /// The challenger opens with its bond (msg.value) and both final trace roots; the defender must
    /// join within the window (or the challenger takes its bond back by timeout).
    function open(Terms calldata t) external payable returns (uint256 id) {
        if (msg.value == 0 || msg.value > type(uint96).max) revert NoBond();
        if (t.steps == 0 || t.slots < 2 || t.defender == address(0) || t.defender == msg.sender) revert BadTerms();
        if (t.challengerRoot == t.defenderRoot) revert SameRoot(t.defenderRoot);
        id = ++games;
        Game storage g = _games[id];
        g.challenger = msg.sender;
        g.defender = t.defender;
        g.bond = uint96(msg.value);
        g.work = t.work;
        g.program = t.program;
        g.slots = t.slots;
        g.depth = GameTrees.depthFor(t.slots);
        g.hi = t.steps;
        g.agreed = t.initial;
        g.dRoot = t.defenderRoot;
        g.cRoot = t.challengerRoot;
        _next(g, Phase.Join);
        emit Opened(id, msg.sender, t.defender, t.work, msg.value);
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
        if (s.kind == COPY) return _next(g, Phase.Resolve);
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

    /// A disputed COPY slot: `root` is leaf spec.a of the agreed trace of step lo.
    function resolveCopy(uint256 id, bytes32 root, bytes32[] calldata proof) external {
        Game storage g = _anyone(id, Phase.Resolve);
        if (g.spec.kind != COPY || !GameTrees.isAt(g.agreed, g.depth, root, g.spec.a, proof)) revert BadCopyProof(id);
        _settle(id, g, g.dNode == root ? g.defender : g.challenger, false);
    }

    /// A disputed op slot: the element's inputs (one Operand per input slot, in the op's order), checked
    /// against the agreed input tensors, recomputed by the Referee. The party whose element equals it
    /// wins; if neither does, the defender's result is wrong all the same and the challenger wins.
    function resolve(uint256 id, Operand[] calldata xs) external {
        Game storage g = _anyone(id, Phase.Resolve);
        Spec memory s = g.spec;
        (uint32[] memory a, uint32[] memory b) = _recomputeArgs(g, s, xs);
        uint32 v;
        if (s.kind >= PERMUTE && s.kind <= CONCAT) v = a[0];
        else if (s.kind == 20 || (s.kind >= 23 && s.kind <= 31)) v = grads.recompute(s.kind, a, b);
        else v = referee.recompute(s.kind, a, b);
        _settle(id, g, g.dBits == v ? g.defender : g.challenger, false);
    }

    /// Referee.recompute's (a, b) for the disputed element: which input elements it depends on is derived
    /// here from the element and the program entry (shapes, constants), never taken from a mover.
    function _recomputeArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint8 op = s.kind;
        uint32 e = g.element;
        if (op == 7) {
            (a, b) = _matmulArgs(g, s, xs);
        } else if (op == 26) {
            (a, b) = _epilogueArgs(g, s, xs);
        } else if (op == 25) {
            // scale: consts [s]
            _want(g, xs, 1, s, 1);
            a = _inputs(g, 0, s.a, xs[0], e, 1, 1);
            b = new uint32[](1);
            b[0] = s.consts[0];
        } else if (op == 23 || op == 24) {
            // geluTanhGrad, geluErfGrad: x, dy
            _want(g, xs, 2, s, 0);
            a = _inputs(g, 0, s.a, xs[0], e, 1, 1);
            b = _inputs(g, 1, s.b, xs[1], e, 1, 1);
        } else if (op >= PERMUTE && op <= CONCAT) {
            a = _movedArg(g, s, xs);
        } else if (op < 4) {
            _want(g, xs, 2, s, 0);
            a = _inputs(g, 0, s.a, xs[0], e, 1, 1);
            b = _inputs(g, 1, s.b, xs[1], e, 1, 1);
        } else if (op == 4 || (op >= 8 && op <= 16)) {
            _want(g, xs, 1, s, 0);
            a = _inputs(g, 0, s.a, xs[0], e, 1, 1);
        } else if (op == 5 || op == 6) {
            // sum, mean: consts [axis]; axis 1 reduces row e of an m×k input (output m×1), axis 0
            // column e of a k×n input (output 1×n)
            _want(g, xs, 1, s, 1);
            if (s.consts[0] == 1 && s.n == 1) a = _inputs(g, 0, s.a, xs[0], uint256(e) * s.k, 1, s.k);
            else if (s.consts[0] == 0 && s.m == 1) a = _inputs(g, 0, s.a, xs[0], e, s.n, s.k);
            else revert BadProgram(g.slot);
        } else if (op == 20 || (op >= 27 && op <= 31)) {
            (a, b) = _rowGradArgs(g, s, xs);
        } else if (op >= 17 && op <= 19) {
            (a, b) = _rowArgs(g, s, xs);
        } else if (op == 21) {
            (a, b) = _adamwArgs(g, s, xs);
        } else {
            revert GameOpNotSupported(op);
        }
    }

    /// matmul 7: output element e reads a row of A and a column of B, k long. consts [] is one m×k by
    /// k×n product; [aBatch, bBatch, transA, transB] a batched one (output batch × m × n, batch the larger
    /// of the two, an operand with batch 1 shared by all) with A stored k×m and B n×k where transposed.
    function _matmulArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        if (xs.length != 2) revert WrongOperandCount(xs.length, 2);
        return _dotArgs(g, s, xs, s.consts);
    }

    /// The disputed element's row of A and column of B, laid out as matmul consts `t` say.
    function _dotArgs(Game storage g, Spec memory s, Operand[] calldata xs, uint32[] memory t)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        a = _lane(g, s, xs, t, 0);
        b = _lane(g, s, xs, t, 1);
    }

    /// Operand `which` (0: A's row, 1: B's column) of the disputed element.
    function _lane(Game storage g, Spec memory s, Operand[] calldata xs, uint32[] memory t, uint8 which)
        private
        view
        returns (uint32[] memory)
    {
        uint256 base;
        uint256 stride;
        if (which == 0) (base, stride,,) = _lanes(g, s, t);
        else (,, base, stride) = _lanes(g, s, t);
        return _inputs(g, which, which == 0 ? s.a : s.b, xs[which], base, stride, s.k);
    }

    /// matmulEpilogue 26: A, B (a, b), then the bias 1×n (c) and the residual (d) where its flags say;
    /// consts [flags, scale, aBatch, bBatch, transA, transB]. Element e reads a row of A and a column of B
    /// as matmul does, bias element e mod n and residual element e; RefereeGrad takes them after the
    /// column as [flags, scale, bias, residual], an absent step's value 0.
    function _epilogueArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint32[] memory t = s.consts;
        if (t.length != 6 || t[0] > 7 || (t[0] & 1 == 0 && t[1] != 0)) revert BadProgram(g.slot);
        uint256 operands = 2 + ((t[0] >> 1) & 1) + ((t[0] >> 2) & 1);
        if (xs.length != operands) revert WrongOperandCount(xs.length, operands);
        uint32[] memory lanes = new uint32[](4);
        for (uint256 i = 0; i < 4; i++) lanes[i] = t[2 + i];
        uint32[] memory col;
        (a, col) = _dotArgs(g, s, xs, lanes);
        b = _epilogueTail(g, s, xs, col, t);
    }

    /// The column followed by [flags, scale, bias_j, residual_e].
    function _epilogueTail(Game storage g, Spec memory s, Operand[] calldata xs, uint32[] memory col, uint32[] memory t)
        private
        view
        returns (uint32[] memory b)
    {
        uint256 k = col.length;
        b = new uint32[](k + 4);
        for (uint256 i = 0; i < k; i++) b[i] = col[i];
        (b[k], b[k + 1]) = (t[0], t[1]);
        uint8 next = 2;
        if (t[0] & 2 != 0) b[k + 2] = _inputs(g, next++, s.c, xs[2], g.element % s.n, 1, 1)[0];
        if (t[0] & 4 != 0) b[k + 3] = _inputs(g, next, s.d, xs[next], g.element, 1, 1)[0];
    }

    /// Output elements per (m × n) of a slot: a batched matmul's or epilogue's batch, else 1.
    function _batch(Spec memory s) private pure returns (uint256) {
        if (s.kind == 7 && s.consts.length == 4) return _max(s.consts[0], s.consts[1]);
        if (s.kind == 26 && s.consts.length == 6) return _max(s.consts[2], s.consts[3]);
        return 1;
    }

    /// Where the disputed element's row of A and column of B start in their tensors, and their strides.
    function _lanes(Game storage g, Spec memory s, uint32[] memory t)
        private
        view
        returns (uint256 aBase, uint256 aStride, uint256 bBase, uint256 bStride)
    {
        uint256 e = g.element;
        (uint256 m, uint256 n, uint256 k) = (s.m, s.n, s.k);
        uint256 r = (e / n) % m;
        uint256 c = e % n;
        if (t.length == 0) return (r * k, 1, c, n);
        bool shapes = t.length == 4 && t[0] > 0 && t[1] > 0 && (t[0] == 1 || t[1] == 1 || t[0] == t[1]);
        if (!shapes || t[2] > 1 || t[3] > 1) revert BadProgram(g.slot);
        uint256 bz = e / (m * n);
        uint256 az = t[0] == 1 ? 0 : bz;
        if (t[1] == 1) bz = 0;
        (aBase, aStride) = t[2] == 0 ? ((az * m + r) * k, 1) : (az * k * m + r, m);
        (bBase, bStride) = t[3] == 0 ? (bz * k * n + c, n) : ((bz * n + c) * k, 1);
    }

    /// PERMUTE, SLICE, CONCAT: the one input element output element e is, as a one-element vector. The
    /// entry's constants must account for exactly the m × n outputs (else BadProgram); CONCAT takes one
    /// operand, for the input that holds e.
    function _movedArg(Game storage g, Spec memory s, Operand[] calldata xs) private view returns (uint32[] memory) {
        if (xs.length != 1) revert WrongOperandCount(xs.length, 1);
        uint256 e = g.element;
        uint256 count = uint256(s.m) * s.n;
        uint32[] memory t = s.consts;
        if (s.kind == SLICE) {
            if (t.length != 1) revert BadProgram(g.slot);
            return _inputs(g, 0, s.a, xs[0], e + t[0], 1, 1);
        }
        if (s.kind == CONCAT) {
            uint32[4] memory slots = [s.a, s.b, s.c, s.d];
            uint256 total;
            uint256 which = 4;
            uint256 start;
            if (t.length == 0 || t.length > 4) revert BadProgram(g.slot);
            for (uint256 i = 0; i < t.length; i++) {
                if (which == 4 && e < total + t[i]) (which, start) = (i, total);
                total += t[i];
            }
            if (total != count) revert BadProgram(g.slot);
            return _inputs(g, 0, slots[which], xs[0], e - start, 1, 1);
        }
        return _inputs(g, 0, s.a, xs[0], _permuted(g, t, e, count), 1, 1);
    }

    /// The input index of output element e of a permute with constants [rank, dims…, order…].
    function _permuted(Game storage g, uint32[] memory t, uint256 e, uint256 count) private view returns (uint256 src) {
        uint256 rank = t.length > 0 ? t[0] : 0;
        if (rank == 0 || rank > MAX_RANK || t.length != 1 + 2 * rank) revert BadProgram(g.slot);
        uint256 size = 1;
        bool[MAX_RANK] memory used;
        for (uint256 i = 0; i < rank; i++) {
            uint256 o = t[1 + rank + i];
            if (o >= rank || used[o]) revert BadProgram(g.slot);
            used[o] = true;
            size *= t[1 + i];
        }
        if (size != count) revert BadProgram(g.slot);
        // Walk the output's dimensions from the last: output dim i is input dim order[i], whose stride in
        // the input is the product of the input dims after it.
        uint256 rest = e;
        for (uint256 i = rank; i > 0; i--) {
            uint256 dim = t[1 + rank + i - 1];
            uint256 extent = t[1 + dim];
            uint256 stride = 1;
            for (uint256 j = dim + 1; j < rank; j++) stride *= t[1 + j];
            src += (rest % extent) * stride;
            rest /= extent;
        }
    }

    function _max(uint32 x, uint32 y) private pure returns (uint256) {
        return x > y ? x : y;
    }

    /// layernorm 17 (x, gamma, beta; consts [eps]), rmsnorm 18 (x, gamma; [eps]), softmax 19 (x; []):
    /// output element (r, k) of an m×n output reads row r of x and element k of the length-n gamma and
    /// beta; b = [k, eps, gamma_k, beta_k] as Referee takes it.
    function _rowArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint256 inputs = s.kind == 17 ? 3 : s.kind == 18 ? 2 : 1;
        _want(g, xs, inputs, s, inputs == 1 ? 0 : 1);
        uint32 k = g.element % s.n;
        a = _inputs(g, 0, s.a, xs[0], g.element - k, 1, s.n);
        b = new uint32[](inputs == 1 ? 1 : inputs + 1);
        b[0] = k;
        if (inputs > 1) (b[1], b[2]) = (s.consts[0], _inputs(g, 1, s.b, xs[1], k, 1, 1)[0]);
        if (inputs > 2) b[3] = _inputs(g, 2, s.c, xs[2], k, 1, 1)[0];
    }

    /// AdamW 21: one output per slot, consts [which (0 p, 1 m, 2 v), step of the game's step 1, lr,
    /// beta1, beta2, eps, weightDecay, gradScale]; element e reads element e of p, grad, m and v (slots
    /// a, b, c, d). The update's step is the program's plus the disputed step's offset: the game, not a
    /// mover, knows which step it reached.
    function _adamwArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(g, xs, 4, s, 8);
        uint32[4] memory slots = [s.a, s.b, s.c, s.d];
        a = new uint32[](4);
        for (uint8 i = 0; i < 4; i++) a[i] = _inputs(g, i, slots[i], xs[i], g.element, 1, 1)[0];
        b = s.consts;
        uint256 step = uint256(b[1]) + g.hi - 1;
        if (step > type(uint32).max) revert BadProgram(g.slot);
        b[1] = uint32(step);
    }

    /// The loss and the row ops' backward (RefereeRows' ids, layouts in RowGrads.sol), element e:
    /// crossEntropy 20: logits m×k (a), targets m×1 (b, uint32 ids); row e of the logits, target e.
    /// crossEntropyGrad 27: logits m×n (a), targets (b); row r = e / n, target r, and rows = m.
    /// softmaxGrad 28: y, dy m×n (a, b), consts [causal]; row r's visible prefix of each: all n, or,
    /// causal, (r mod n) + 1 (the row's query position in a [batch·heads·T, T] layout).
    /// layernormGrad 29: x, dy m×n, gamma 1×n, the forward's std m×1 (a, b, c, d); rows r of x and dy,
    /// gamma, std r. Dgamma 30: x, dy k×n, std k×1 (a, b, c), output 1×n; all of x, column e of dy, all
    /// of std. Dbeta 31: dy k×n (a), output 1×n; column e of dy.
    function _rowGradArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint8 op = s.kind;
        if (op == 20 || op == 27) return _crossEntropyArgs(g, s, xs);
        if (op == 28) return _softmaxGradArgs(g, s, xs);
        if (op == 29) return _layernormGradArgs(g, s, xs);
        if (op == 30) return _dgammaArgs(g, s, xs);
        _want(g, xs, 1, s, 0);
        a = _inputs(g, 0, s.a, xs[0], g.element, s.n, s.k);
        b = new uint32[](0);
    }

    function _crossEntropyArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(g, xs, 2, s, 0);
        uint256 e = g.element;
        if (s.kind == 20) {
            a = _inputs(g, 0, s.a, xs[0], e * s.k, 1, s.k);
            return (a, _inputs(g, 1, s.b, xs[1], e, 1, 1));
        }
        uint256 r = e / s.n;
        a = _inputs(g, 0, s.a, xs[0], r * s.n, 1, s.n);
        b = new uint32[](3);
        (b[0], b[1], b[2]) = (uint32(e % s.n), _inputs(g, 1, s.b, xs[1], r, 1, 1)[0], s.m);
    }

    function _softmaxGradArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(g, xs, 2, s, 1);
        if (s.consts[0] > 1) revert BadProgram(g.slot);
        uint256 base = (g.element / s.n) * s.n;
        uint256 len = s.consts[0] == 1 ? (g.element / s.n) % s.n + 1 : s.n;
        a = _cat(_inputs(g, 0, s.a, xs[0], base, 1, len), _inputs(g, 1, s.b, xs[1], base, 1, len));
        b = new uint32[](2);
        (b[0], b[1]) = (uint32(g.element % s.n), s.n);
    }

    function _layernormGradArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(g, xs, 4, s, 0);
        uint256 base = (g.element / s.n) * s.n;
        a = _cat(_inputs(g, 0, s.a, xs[0], base, 1, s.n), _inputs(g, 1, s.b, xs[1], base, 1, s.n));
        a = _cat(a, _inputs(g, 2, s.c, xs[2], 0, 1, s.n));
        b = new uint32[](2);
        (b[0], b[1]) = (uint32(g.element % s.n), _inputs(g, 3, s.d, xs[3], g.element / s.n, 1, 1)[0]);
    }

    function _dgammaArgs(Game storage g, Spec memory s, Operand[] calldata xs)
        private
        view
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(g, xs, 3, s, 0);
        a = _inputs(g, 0, s.a, xs[0], 0, 1, uint256(s.k) * s.n);
        b = new uint32[](1);
        b[0] = g.element;
        b = _cat(_cat(b, _inputs(g, 1, s.b, xs[1], g.element, s.n, s.k)), _inputs(g, 2, s.c, xs[2], 0, 1, s.k));
    }

    function _cat(uint32[] memory x, uint32[] memory y) private pure returns (uint32[] memory out) {
        out = new uint32[](x.length + y.length);
        for (uint256 i = 0; i < x.length; i++) out[i] = x[i];
        for (uint256 i = 0; i < y.length; i++) out[x.length + i] = y[i];
    }

    /// The op's operand count, and its program entry's constant count (a program fault: BadProgram).
    function _want(Game storage g, Operand[] calldata xs, uint256 operands, Spec memory s, uint256 consts)
        private
        view
    {
        if (xs.length != operands) revert WrongOperandCount(xs.length, operands);
        if (s.consts.length != consts) revert BadProgram(g.slot);
    }

    /// The elements base + t·stride (t < len) of input slot `slot`, in t order, after checking the slot's
    /// root against a trace of the disputed step and the elements against that root.
    function _inputs(Game storage g, uint8 which, uint32 slot, Operand calldata x, uint256 base, uint256 stride, uint256 len)
        private
        view
        returns (uint32[] memory out)
    {
        if (slot >= g.slot) revert BadProgram(g.slot);
        if (!GameTrees.isAt(x.ofChallenger ? g.cRoot : g.dRoot, g.depth, x.root, slot, x.slotProof)) {
            revert BadSlotProof(which);
        }
        if (x.indices.length != len || x.bits.length != len) revert BadInputIndices(which);
        out = new uint32[](len);
        bool[] memory seen = new bool[](len);
        for (uint256 i = 0; i < len; i++) {
            uint256 idx = x.indices[i];
            if (idx < base || (idx - base) % stride != 0) revert BadInputIndices(which);
            uint256 t = (idx - base) / stride;
            if (t >= len || seen[t]) revert BadInputIndices(which);
            seen[t] = true;
            out[t] = x.bits[i];
        }
        if (!TensorCommitment.verifyMany(x.root, x.proof, x.flags, x.indices, x.bits)) revert BadInputProof(which);
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
        uint256 pot = g.phase == Phase.Join ? g.bond : 2 * uint256(g.bond);
        g.phase = Phase.Done;
        g.winner = winner;
        owed[winner] += pot;
        emit Settled(id, winner, pot, byTimeout);
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
