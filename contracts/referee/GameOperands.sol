// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Schedule} from "./Schedule.sol";
import {GameTrees} from "./GameTrees.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// One slot of the program (docs/disputes.md, "The game", for each op's inputs and constants).
struct Spec {
    uint8 kind; // Referee op id, an index map, or DisputeGame's COPY or INPUT
    uint32 a; // input slots in the op's order (COPY: a is the slot of the previous trace)
    uint32 b;
    uint32 c;
    uint32 d;
    uint32 m; // output m×n; matmul A m×k, B k×n; a reduction's input m×k (rows) or k×n (columns)
    uint32 k;
    uint32 n;
    uint32[] consts; // the op's constants (eps, a reduction's axis, AdamW's config), never a mover's
}

/// One input of the recompute: the input slot's tensor root with its positional proof against either
/// party's trace root of the disputed step (slots before the disputed one are the same in both), and the
/// elements the output element depends on with an OpenZeppelin multiproof.
struct Operand {
    bytes32 root;
    bool ofChallenger;
    bytes32[] slotProof;
    bytes32[] proof;
    bool[] flags;
    uint256[] indices;
    uint32[] bits;
}

/// Where the game stands at its resolve: the disputed slot, output element and step, the depth of the
/// step's trace trees and both parties' trace roots of that step (the input slots' roots are proven
/// against them).
struct Place {
    uint32 slot;
    uint32 element;
    uint32 step;
    uint8 depth;
    bytes32 dRoot;
    bytes32 cRoot;
}

/// The refusals of GameOperands.recomputeArgs. DisputeGame inherits them too, so that its ABI names what
/// its resolve reverts with when the derivation here refuses.
abstract contract OperandErrors {
    error BadProgram(uint32 slot);
    error GameOpNotSupported(uint8 kind);
    error WrongOperandCount(uint256 given, uint256 want);
    error BadSlotProof(uint8 operand);
    error BadInputIndices(uint8 operand);
    error BadInputProof(uint8 operand);
    error TokenOutOfRange(uint32 id, uint32 vocab);
    /// Schedule.lr's refusal of a learning-rate schedule lrSchedule would refuse (a peak or min not finite).
    error BadSchedule();
}

/// The dispute game's operand derivation (docs/disputes.md, "The game"), moved out of DisputeGame so that
/// both fit EIP-170's 24,576 bytes: for the disputed output element of a program slot, which input
/// elements it depends on, checked against the agreed input tensors, laid out as the recompute takes them.
/// Stateless: DisputeGame hands it the game's place, the slot's program entry and the mover's operands.
contract GameOperands is OperandErrors {
    /// Index maps: each output element is one input element, moved (no arithmetic, so no Referee call).
    /// PERMUTE consts [rank, dims of the input…, order…] (output dim i is input dim order[i]);
    /// SLICE consts [offset] (output e is input e + offset: one output of a split);
    /// CONCAT consts [length of each input] (inputs a…d in order, flat).
    uint8 public constant PERMUTE = 32;
    uint8 public constant SLICE = 33;
    uint8 public constant CONCAT = 34;
    /// The token embedding's gather (an index map through the ids) and its gradient's scatter-sum.
    uint8 public constant EMBEDDING = 35;
    uint8 public constant EMBEDDING_GRAD = 36;
    /// The global gradient norm as slots (RefereeNorm's ids, layouts at _normArgs).
    uint8 private constant NORM_EXPONENT = 39;
    uint8 private constant NORM_CLIP = 41;
    /// A market settlement's decide slot (RefereeNorm's id).
    uint8 private constant TASK_DECIDE = 42;
    /// normClip's combine takes any valid scale word (the words' sum needs none): f32 1.0's.
    uint32 private constant ONE = 0x3f800000;
    /// recomputeArgs' answer for an index map: a[0] is the output element itself.
    uint8 public constant GATHERED = 255;
    /// Referee's reduce sum, which an embeddingGrad element is.
    uint8 private constant SUM = 5;
    /// Referee's softmax: consts [] or [causal] (0 or 1).
    uint8 private constant SOFTMAX = 19;
    /// RefereeNorm's (through RefereeGrad) layernorm statistics of a row: its saved mean and std.
    uint8 private constant LAYERNORM_MEAN = 37;
    uint8 private constant LAYERNORM_STD = 38;
    /// RefereeRows' (through RefereeGrad) dy · xhat of one element: the terms of dgamma's column sum.
    uint8 private constant LAYERNORM_DYXHAT = 43;
    /// The most dimensions a PERMUTE entry may name.
    uint256 private constant MAX_RANK = 8;

    /// What `resolve` recomputes for the disputed element: the id to recompute (Referee's or RefereeGrad's;
    /// GATHERED: no recompute, a[0] is the element itself) and its (a, b). Which input elements the element
    /// depends on is derived here from the element and the program entry (shapes, constants), never taken
    /// from a mover; each is checked against the input slot's root, and the root against a trace.
    function recomputeArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        external
        pure
        returns (uint8 recompute, uint32[] memory a, uint32[] memory b)
    {
        recompute = s.kind;
        if ((s.kind >= PERMUTE && s.kind <= CONCAT) || s.kind == EMBEDDING) recompute = GATHERED;
        if (s.kind == EMBEDDING_GRAD) recompute = SUM;
        // A causal softmax's masked element: the engine writes exactly +0 there (softmax.wgsl, softmaxRef),
        // a constant of this contract's (_rowArgs' a[0]), compared with no recompute.
        if (s.kind == SOFTMAX && p.element % s.n >= _visible(p, s)) recompute = GATHERED;
        (a, b) = _args(p, s, xs);
    }

    function _args(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint8 op = s.kind;
        uint32 e = p.element;
        if (op == 7) {
            (a, b) = _matmulArgs(p, s, xs);
        } else if (op == 26) {
            (a, b) = _epilogueArgs(p, s, xs);
        } else if (op == 25) {
            // scale: consts [s]
            _want(p, xs, 1, s, 1);
            a = _inputs(p, 0, s.a, xs[0], e, 1, 1);
            b = new uint32[](1);
            b[0] = s.consts[0];
        } else if (op == 23 || op == 24) {
            // geluTanhGrad, geluErfGrad: x, dy
            _want(p, xs, 2, s, 0);
            a = _inputs(p, 0, s.a, xs[0], e, 1, 1);
            b = _inputs(p, 1, s.b, xs[1], e, 1, 1);
        } else if (op >= PERMUTE && op <= CONCAT) {
            a = _movedArg(p, s, xs);
        } else if (op == EMBEDDING) {
            a = _embeddingArg(p, s, xs);
        } else if (op == EMBEDDING_GRAD) {
            a = _embeddingGradArgs(p, s, xs);
        } else if (op >= NORM_EXPONENT && op <= NORM_CLIP) {
            (a, b) = _normArgs(p, s, xs);
        } else if (op == 2 && s.consts.length == 1) {
            // mul by a scalar: consts [i], element e is a[e] × b[i] (the clipped gradient: grad × clipScale)
            if (xs.length != 2) revert WrongOperandCount(xs.length, 2);
            a = _inputs(p, 0, s.a, xs[0], e, 1, 1);
            b = _inputs(p, 1, s.b, xs[1], s.consts[0], 1, 1);
        } else if (op < 4) {
            _want(p, xs, 2, s, 0);
            a = _inputs(p, 0, s.a, xs[0], e, 1, 1);
            b = _inputs(p, 1, s.b, xs[1], e, 1, 1);
        } else if (op == 4 || (op >= 8 && op <= 16)) {
            _want(p, xs, 1, s, 0);
            a = _inputs(p, 0, s.a, xs[0], e, 1, 1);
        } else if (op == 5 || op == 6) {
            // sum, mean: consts [axis]; axis 1 reduces row e of an m×k input (output m×1), axis 0
            // column e of a k×n input (output 1×n)
            _want(p, xs, 1, s, 1);
            if (s.consts[0] == 1 && s.n == 1) a = _inputs(p, 0, s.a, xs[0], uint256(e) * s.k, 1, s.k);
            else if (s.consts[0] == 0 && s.m == 1) a = _inputs(p, 0, s.a, xs[0], e, s.n, s.k);
            else revert BadProgram(p.slot);
        } else if (op == 20 || (op >= 27 && op <= 31) || op == LAYERNORM_DYXHAT) {
            (a, b) = _rowGradArgs(p, s, xs);
        } else if (op >= 17 && op <= 19) {
            (a, b) = _rowArgs(p, s, xs);
        } else if (op == LAYERNORM_MEAN || op == LAYERNORM_STD) {
            (a, b) = _statArgs(p, s, xs);
        } else if (op == 21) {
            (a, b) = _adamwArgs(p, s, xs);
        } else if (op == TASK_DECIDE) {
            // A market's outcome (gameOfSettlement.ts): every row's loss (slot a, k of them), consts
            // [first row, count] per outcome, which RefereeNorm's Score.taskDecide checks; output 1×1.
            if (xs.length != 1) revert WrongOperandCount(xs.length, 1);
            if (s.m != 1 || s.n != 1 || s.consts.length % 2 != 0) revert BadProgram(p.slot);
            a = _inputs(p, 0, s.a, xs[0], 0, 1, s.k);
            b = s.consts;
        } else {
            revert GameOpNotSupported(op);
        }
    }

    /// matmul 7: output element e reads a row of A and a column of B, k long. consts [] is one m×k by
    /// k×n product; [aBatch, bBatch, transA, transB] a batched one (output batch × m × n, batch the larger
    /// of the two, an operand with batch 1 shared by all) with A stored k×m and B n×k where transposed.
    function _matmulArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        if (xs.length != 2) revert WrongOperandCount(xs.length, 2);
        return _dotArgs(p, s, xs, s.consts);
    }

    /// The disputed element's row of A and column of B, laid out as matmul consts `t` say.
    function _dotArgs(Place calldata p, Spec memory s, Operand[] calldata xs, uint32[] memory t)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        a = _lane(p, s, xs, t, 0);
        b = _lane(p, s, xs, t, 1);
    }

    /// Operand `which` (0: A's row, 1: B's column) of the disputed element.
    function _lane(Place calldata p, Spec memory s, Operand[] calldata xs, uint32[] memory t, uint8 which)
        private
        pure
        returns (uint32[] memory)
    {
        uint256 base;
        uint256 stride;
        if (which == 0) (base, stride,,) = _lanes(p, s, t);
        else (,, base, stride) = _lanes(p, s, t);
        return _inputs(p, which, which == 0 ? s.a : s.b, xs[which], base, stride, s.k);
    }

    /// matmulEpilogue 26: A, B (a, b), then the bias 1×n (c) and the residual (d) where its flags say;
    /// consts [flags, scale, aBatch, bBatch, transA, transB]. Element e reads a row of A and a column of B
    /// as matmul does, bias element e mod n and residual element e; RefereeGrad takes them after the
    /// column as [flags, scale, bias, residual], an absent step's value 0.
    function _epilogueArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint32[] memory t = s.consts;
        if (t.length != 6 || t[0] > 7 || (t[0] & 1 == 0 && t[1] != 0)) revert BadProgram(p.slot);
        uint256 operands = 2 + ((t[0] >> 1) & 1) + ((t[0] >> 2) & 1);
        if (xs.length != operands) revert WrongOperandCount(xs.length, operands);
        uint32[] memory lanes = new uint32[](4);
        for (uint256 i = 0; i < 4; i++) lanes[i] = t[2 + i];
        uint32[] memory col;
        (a, col) = _dotArgs(p, s, xs, lanes);
        b = _epilogueTail(p, s, xs, col, t);
    }

    /// The column followed by [flags, scale, bias_j, residual_e].
    function _epilogueTail(Place calldata p, Spec memory s, Operand[] calldata xs, uint32[] memory col, uint32[] memory t)
        private
        pure
        returns (uint32[] memory b)
    {
        uint256 k = col.length;
        b = new uint32[](k + 4);
        for (uint256 i = 0; i < k; i++) b[i] = col[i];
        (b[k], b[k + 1]) = (t[0], t[1]);
        uint8 next = 2;
        if (t[0] & 2 != 0) b[k + 2] = _inputs(p, next++, s.c, xs[2], p.element % s.n, 1, 1)[0];
        if (t[0] & 4 != 0) b[k + 3] = _inputs(p, next, s.d, xs[next], p.element, 1, 1)[0];
    }

    /// Where the disputed element's row of A and column of B start in their tensors, and their strides.
    function _lanes(Place calldata p, Spec memory s, uint32[] memory t)
        private
        pure
        returns (uint256 aBase, uint256 aStride, uint256 bBase, uint256 bStride)
    {
        uint256 e = p.element;
        (uint256 m, uint256 n, uint256 k) = (s.m, s.n, s.k);
        uint256 r = (e / n) % m;
        uint256 c = e % n;
        if (t.length == 0) return (r * k, 1, c, n);
        bool shapes = t.length == 4 && t[0] > 0 && t[1] > 0 && (t[0] == 1 || t[1] == 1 || t[0] == t[1]);
        if (!shapes || t[2] > 1 || t[3] > 1) revert BadProgram(p.slot);
        uint256 bz = e / (m * n);
        uint256 az = t[0] == 1 ? 0 : bz;
        if (t[1] == 1) bz = 0;
        (aBase, aStride) = t[2] == 0 ? ((az * m + r) * k, 1) : (az * k * m + r, m);
        (bBase, bStride) = t[3] == 0 ? (bz * k * n + c, n) : ((bz * n + c) * k, 1);
    }

    /// PERMUTE, SLICE, CONCAT: the one input element output element e is, as a one-element vector. The
    /// entry's constants must account for exactly the m × n outputs (else BadProgram); CONCAT takes one
    /// operand, for the input that holds e.
    function _movedArg(Place calldata p, Spec memory s, Operand[] calldata xs) private pure returns (uint32[] memory) {
        if (xs.length != 1) revert WrongOperandCount(xs.length, 1);
        uint256 e = p.element;
        uint256 count = uint256(s.m) * s.n;
        uint32[] memory t = s.consts;
        if (s.kind == SLICE) {
            if (t.length != 1) revert BadProgram(p.slot);
            return _inputs(p, 0, s.a, xs[0], e + t[0], 1, 1);
        }
        if (s.kind == CONCAT) {
            uint32[4] memory slots = [s.a, s.b, s.c, s.d];
            uint256 total;
            uint256 which = 4;
            uint256 start;
            if (t.length == 0 || t.length > 4) revert BadProgram(p.slot);
            for (uint256 i = 0; i < t.length; i++) {
                if (which == 4 && e < total + t[i]) (which, start) = (i, total);
                total += t[i];
            }
            if (total != count) revert BadProgram(p.slot);
            return _inputs(p, 0, slots[which], xs[0], e - start, 1, 1);
        }
        return _inputs(p, 0, s.a, xs[0], _permuted(p, t, e, count), 1, 1);
    }

    /// embedding 35: ids (a: T uint32 token ids), table (b: V×D); m = T, k = V, n = D. Output element
    /// (t, j) is table element ids[t]·D + j: the id is read (and proven) first, and the table element's
    /// index derived from it. An id past the vocabulary is refused: the trainer's embedding refuses it too.
    function _embeddingArg(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory)
    {
        _want(p, xs, 2, s, 0);
        uint32 id = _inputs(p, 0, s.a, xs[0], p.element / s.n, 1, 1)[0];
        if (id >= s.k) revert TokenOutOfRange(id, s.k);
        return _inputs(p, 1, s.b, xs[1], uint256(id) * s.n + p.element % s.n, 1, 1);
    }

    /// embeddingGrad 36: ids (a: T), dy (b: T×D); m = V, k = T, n = D. Output element (v, j) is the exact
    /// fixed-point sum, rounded once, of dy[t·D + j] over the t with ids[t] = v (+0 when none), which is
    /// Referee's sum 5 of those terms (embeddingBackwardRef: fixedToF32Bits of fixedAccumulate; the sum is
    /// exact, so the terms' order cannot matter). It reads all T ids and column j of dy.
    function _embeddingGradArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory terms)
    {
        _want(p, xs, 2, s, 0);
        uint256 v = p.element / s.n;
        uint32[] memory ids = _inputs(p, 0, s.a, xs[0], 0, 1, s.k);
        uint32[] memory dy = _inputs(p, 1, s.b, xs[1], p.element % s.n, s.n, s.k);
        terms = new uint32[](s.k);
        uint256 count;
        for (uint256 t = 0; t < ids.length; t++) {
            if (ids[t] >= s.m) revert TokenOutOfRange(ids[t], s.m);
            if (ids[t] == v) terms[count++] = dy[t];
        }
        assembly {
            mstore(terms, count) // shorten to the terms found (memory past them is left unused)
        }
    }

    /// The input index of output element e of a permute with constants [rank, dims…, order…].
    function _permuted(Place calldata p, uint32[] memory t, uint256 e, uint256 count) private pure returns (uint256 src) {
        uint256 rank = t.length > 0 ? t[0] : 0;
        if (rank == 0 || rank > MAX_RANK || t.length != 1 + 2 * rank) revert BadProgram(p.slot);
        uint256 size = 1;
        bool[MAX_RANK] memory used;
        for (uint256 i = 0; i < rank; i++) {
            uint256 o = t[1 + rank + i];
            if (o >= rank || used[o]) revert BadProgram(p.slot);
            used[o] = true;
            size *= t[1 + i];
        }
        if (size != count) revert BadProgram(p.slot);
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

    /// The global gradient norm and clip scale as trees of slots (NormOps' ids; docs/disputes.md, "The
    /// gradient norm in the game"). A chunk is consts [offset, length] of gradient slot a, whose length k
    /// the chunk must lie within; a tree node consts [count], reading slots a.. (count 1 to 4).
    /// normExponent 39, 1×1: a chunk's scale word, or (a node) the max of its inputs' element 0.
    /// normSquares 40, 1×5 (a chunk): word e of the chunk's squares at the scale in slot b's element 0.
    /// normClip 41, 1×5 (a node): word e of its inputs' words (5 each) combined; 1×2 consts [maxNorm]:
    /// a the combined words, b the scale; element 0 the global norm, 1 clipScale(norm, maxNorm).
    function _normArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint8 op = s.kind;
        uint32[] memory t = s.consts;
        uint256 out = uint256(s.m) * s.n;
        uint256 w = op == NORM_EXPONENT ? 1 : 5;
        if (op != NORM_CLIP && t.length == 2) {
            if (out != w || t[1] == 0 || uint256(t[0]) + t[1] > s.k) revert BadProgram(p.slot);
            if (xs.length != op - 38) revert WrongOperandCount(xs.length, op - 38);
            a = _inputs(p, 0, s.a, xs[0], t[0], 1, t[1]);
            b = new uint32[](op == NORM_EXPONENT ? 0 : 2);
            if (op != NORM_EXPONENT) (b[0], b[1]) = (_inputs(p, 1, s.b, xs[1], 0, 1, 1)[0], p.element);
            return (a, b);
        }
        if (op == NORM_CLIP && out == 2 && t.length == 1) {
            if (xs.length != 2) revert WrongOperandCount(xs.length, 2);
            a = _inputs(p, 0, s.a, xs[0], 0, 1, 5);
            b = new uint32[](3);
            (b[0], b[1], b[2]) = (p.element, _inputs(p, 1, s.b, xs[1], 0, 1, 1)[0], t[0]);
            return (a, b);
        }
        if (op == 40 || t.length != 1 || t[0] == 0 || t[0] > 4 || out != w) revert BadProgram(p.slot);
        if (xs.length != t[0]) revert WrongOperandCount(xs.length, t[0]);
        uint32[4] memory slots = [s.a, s.b, s.c, s.d];
        a = new uint32[](t[0] * w);
        for (uint8 i = 0; i < t[0]; i++) {
            uint32[] memory x = _inputs(p, i, slots[i], xs[i], 0, 1, w);
            for (uint256 j = 0; j < w; j++) a[i * w + j] = x[j];
        }
        b = new uint32[](op == NORM_CLIP ? 3 : 0);
        if (op == NORM_CLIP) (b[0], b[1]) = (p.element + 2, ONE);
    }

    /// layernorm 17 (x, gamma, beta; consts [eps]), rmsnorm 18 (x, gamma; [eps]), softmax 19 (x; [] or
    /// [causal]): output element (r, k) of an m×n output reads row r of x and element k of the length-n
    /// gamma and beta; b = [k, eps, gamma_k, beta_k] as Referee takes it. A causal softmax row reads its
    /// visible prefix (_visible); a masked element reads nothing and is +0, which recomputeArgs answers
    /// as GATHERED: a = [+0], this contract's constant, never a mover's.
    function _rowArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint256 inputs = s.kind == 17 ? 3 : s.kind == 18 ? 2 : 1;
        uint32 k = p.element % s.n;
        uint256 len = inputs == 1 ? _visible(p, s) : s.n;
        if (k >= len) {
            if (xs.length != 0) revert WrongOperandCount(xs.length, 0);
            return (new uint32[](1), b); // +0: the masked element's bits
        }
        _want(p, xs, inputs, s, inputs == 1 ? s.consts.length : 1);
        a = _inputs(p, 0, s.a, xs[0], p.element - k, 1, len);
        b = new uint32[](inputs == 1 ? 1 : inputs + 1);
        b[0] = k;
        if (inputs > 1) (b[1], b[2]) = (s.consts[0], _inputs(p, 1, s.b, xs[1], k, 1, 1)[0]);
        if (inputs > 2) b[3] = _inputs(p, 2, s.c, xs[2], k, 1, 1)[0];
    }

    /// softmax 19's visible prefix of the disputed element's row: consts [] or [0], all n; [1] (causal),
    /// (r mod n) + 1, the row's query position in a [batch·heads·T, T] layout (as softmaxGrad 28's).
    function _visible(Place calldata p, Spec memory s) private pure returns (uint256) {
        uint32[] memory t = s.consts;
        if (t.length > 1 || (t.length == 1 && t[0] > 1)) revert BadProgram(p.slot);
        bool causal = t.length == 1 && t[0] == 1;
        // As the engine refuses: a causal softmax works on [T, T] blocks, so its rows come in multiples of T.
        if (causal && s.m % s.n != 0) revert BadProgram(p.slot);
        return causal ? (p.element / s.n) % s.n + 1 : s.n;
    }

    /// layernormMean 37, layernormStd 38: x m×k (a), consts [eps], output m×1; element r reads row r of x,
    /// b = [eps] as RefereeNorm takes it.
    function _statArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 1, s, 1);
        if (s.n != 1 || s.k == 0) revert BadProgram(p.slot);
        a = _inputs(p, 0, s.a, xs[0], uint256(p.element) * s.k, 1, s.k);
        b = s.consts;
    }

    /// AdamW 21: one output per slot, consts [which (0 p, 1 m, 2 v), step of the game's step 1, lr,
    /// beta1, beta2, eps, weightDecay, gradScale], or the same with lr the schedule's peak followed by
    /// [warmup, total, minLr]: the rate of the disputed step is then Schedule.lr's for its 0-based index
    /// (the update's step − 1), as the trainer's lrSchedule. Element e reads element e of p, grad, m and v
    /// (slots a, b, c, d). The update's step is the program's plus the disputed step's offset: the game,
    /// not a mover, knows which step it reached, and so which rate it ran at.
    function _adamwArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        bool scheduled = s.consts.length == 11;
        _want(p, xs, 4, s, scheduled ? 11 : 8);
        uint32[4] memory slots = [s.a, s.b, s.c, s.d];
        a = new uint32[](4);
        for (uint8 i = 0; i < 4; i++) a[i] = _inputs(p, i, slots[i], xs[i], p.element, 1, 1)[0];
        uint256 step = uint256(s.consts[1]) + p.step - 1;
        if (step < 1 || step > 2 ** 31 - 1) revert BadProgram(p.slot);
        b = new uint32[](8);
        for (uint256 i = 0; i < 8; i++) b[i] = s.consts[i];
        b[1] = uint32(step);
        if (scheduled) {
            (uint32 warmup, uint32 total) = (s.consts[8], s.consts[9]);
            if (total < warmup || total > 2 ** 31 - 2) revert BadProgram(p.slot);
            b[2] = Schedule.lr(s.consts[2], s.consts[10], warmup, total, step - 1);
        }
    }

    /// The loss and the row ops' backward (RefereeRows' ids, layouts in RowGrads.sol), element e:
    /// crossEntropy 20: logits m×k (a), targets m×1 (b, uint32 ids); row e of the logits, target e.
    /// crossEntropyGrad 27: logits m×n (a), targets (b); row r = e / n, target r, and rows = m.
    /// softmaxGrad 28: y, dy m×n (a, b), consts [causal]; row r's visible prefix of each: all n, or,
    /// causal, (r mod n) + 1 (the row's query position in a [batch·heads·T, T] layout).
    /// layernormGrad 29: x, dy m×n, gamma 1×n, the forward's std m×1 (a, b, c, d); rows r of x and dy,
    /// gamma, std r. Dgamma 30: x, dy k×n, std k×1 (a, b, c), output 1×n; all of x, column e of dy, all
    /// of std. Dbeta 31: dy k×n (a), output 1×n; column e of dy. DyXhat 43: x, dy m×n, std m×1 (a, b, c),
    /// output m×n; row r = e / n of x, element e of dy, std r (dgamma is then sum 5 by columns of it).
    function _rowGradArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        uint8 op = s.kind;
        if (op == 20 || op == 27) return _crossEntropyArgs(p, s, xs);
        if (op == 28) return _softmaxGradArgs(p, s, xs);
        if (op == 29) return _layernormGradArgs(p, s, xs);
        if (op == 30) return _dgammaArgs(p, s, xs);
        if (op == LAYERNORM_DYXHAT) return _dyXhatArgs(p, s, xs);
        _want(p, xs, 1, s, 0);
        a = _inputs(p, 0, s.a, xs[0], p.element, s.n, s.k);
        b = new uint32[](0);
    }

    function _crossEntropyArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 2, s, 0);
        uint256 e = p.element;
        if (s.kind == 20) {
            a = _inputs(p, 0, s.a, xs[0], e * s.k, 1, s.k);
            return (a, _inputs(p, 1, s.b, xs[1], e, 1, 1));
        }
        uint256 r = e / s.n;
        a = _inputs(p, 0, s.a, xs[0], r * s.n, 1, s.n);
        b = new uint32[](3);
        (b[0], b[1], b[2]) = (uint32(e % s.n), _inputs(p, 1, s.b, xs[1], r, 1, 1)[0], s.m);
    }

    function _softmaxGradArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 2, s, 1);
        if (s.consts[0] > 1 || (s.consts[0] == 1 && s.m % s.n != 0)) revert BadProgram(p.slot);
        uint256 base = (p.element / s.n) * s.n;
        uint256 len = s.consts[0] == 1 ? (p.element / s.n) % s.n + 1 : s.n;
        a = _cat(_inputs(p, 0, s.a, xs[0], base, 1, len), _inputs(p, 1, s.b, xs[1], base, 1, len));
        b = new uint32[](2);
        (b[0], b[1]) = (uint32(p.element % s.n), s.n);
    }

    function _layernormGradArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 4, s, 0);
        uint256 base = (p.element / s.n) * s.n;
        a = _cat(_inputs(p, 0, s.a, xs[0], base, 1, s.n), _inputs(p, 1, s.b, xs[1], base, 1, s.n));
        a = _cat(a, _inputs(p, 2, s.c, xs[2], 0, 1, s.n));
        b = new uint32[](2);
        (b[0], b[1]) = (uint32(p.element % s.n), _inputs(p, 3, s.d, xs[3], p.element / s.n, 1, 1)[0]);
    }

    function _dgammaArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 3, s, 0);
        a = _inputs(p, 0, s.a, xs[0], 0, 1, uint256(s.k) * s.n);
        b = new uint32[](1);
        b[0] = p.element;
        b = _cat(_cat(b, _inputs(p, 1, s.b, xs[1], p.element, s.n, s.k)), _inputs(p, 2, s.c, xs[2], 0, 1, s.k));
    }

    function _dyXhatArgs(Place calldata p, Spec memory s, Operand[] calldata xs)
        private
        pure
        returns (uint32[] memory a, uint32[] memory b)
    {
        _want(p, xs, 3, s, 0);
        uint256 r = p.element / s.n;
        a = _inputs(p, 0, s.a, xs[0], r * s.n, 1, s.n);
        b = new uint32[](3);
        b[0] = p.element % s.n;
        b[1] = _inputs(p, 1, s.b, xs[1], p.element, 1, 1)[0];
        b[2] = _inputs(p, 2, s.c, xs[2], r, 1, 1)[0];
    }

    function _cat(uint32[] memory x, uint32[] memory y) private pure returns (uint32[] memory out) {
        out = new uint32[](x.length + y.length);
        for (uint256 i = 0; i < x.length; i++) out[i] = x[i];
        for (uint256 i = 0; i < y.length; i++) out[x.length + i] = y[i];
    }

    /// The op's operand count, and its program entry's constant count (a program fault: BadProgram).
    function _want(Place calldata p, Operand[] calldata xs, uint256 operands, Spec memory s, uint256 consts)
        private
        pure
    {
        if (xs.length != operands) revert WrongOperandCount(xs.length, operands);
        if (s.consts.length != consts) revert BadProgram(p.slot);
    }

    /// The elements base + t·stride (t < len) of input slot `slot`, in t order, after checking the slot's
    /// root against a trace of the disputed step and the elements against that root.
    function _inputs(Place calldata p, uint8 which, uint32 slot, Operand calldata x, uint256 base, uint256 stride, uint256 len)
        private
        pure
        returns (uint32[] memory out)
    {
        if (slot >= p.slot) revert BadProgram(p.slot);
        if (!GameTrees.isAt(x.ofChallenger ? p.cRoot : p.dRoot, p.depth, x.root, slot, x.slotProof)) {
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
}
