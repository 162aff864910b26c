// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {FixedSum} from "./FixedSum.sol";
import {Bq15} from "./Bq15.sol";
import {SoftFloat} from "./SoftFloat.sol";
import {Gelu} from "./Gelu.sol";
import {RowOps} from "./RowOps.sol";
import {Adam} from "./Adam.sol";
import {Special} from "./Special.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// The referee's last word on one disputed output element: it recomputes the element from the inputs it
/// depends on, exactly as src/kernels defines it. Which ops it can recompute is fixed here; every other
/// op id (src/disputes/onchain.ts lists them) is refused with OpNotSupported, never guessed at.
/// DisputeGame.sol narrows a dispute to one element, checks the inputs against the agreed roots and
/// calls recompute (docs/disputes.md, "The game").
contract Referee {
    /// Element-wise: a[0] op b[0] (sqrt: a[0]; b empty).
    uint8 public constant ADD = 0;
    uint8 public constant SUB = 1;
    uint8 public constant MUL = 2;
    uint8 public constant DIV = 3;
    uint8 public constant SQRT = 4;
    /// Reductions over the vector a (b empty).
    uint8 public constant SUM = 5;
    uint8 public constant MEAN = 6;
    /// The bq15 matmul: a is the row of A, b the column of B.
    uint8 public constant MATMUL = 7;
    /// The softfloat transcendentals, GELUs, erf, sin and cos of a[0] (b empty).
    uint8 public constant EXP = 8;
    uint8 public constant LOG = 9;
    uint8 public constant TANH = 10;
    uint8 public constant SIGMOID = 11;
    uint8 public constant GELU_TANH = 12;
    uint8 public constant GELU_ERF = 13;
    uint8 public constant ERF = 14;
    uint8 public constant SIN = 15;
    uint8 public constant COS = 16;
    /// Row ops: a is the row; b = [k, eps, gamma_k, beta_k] (layernorm), [k, eps, gamma_k] (rmsnorm),
    /// [k] (softmax; a causal row is passed as its visible prefix). k is the element's column.
    uint8 public constant LAYERNORM = 17;
    uint8 public constant RMSNORM = 18;
    uint8 public constant SOFTMAX = 19;
    /// AdamW: a = [p, grad, m, v] of the element, b = [which output (0 p, 1 m, 2 v), step, lr, beta1,
    /// beta2, eps, weightDecay, gradScale]; the bias corrections are derived here from beta and step.
    uint8 public constant ADAMW = 21;
    /// Bit i set: op i is recomputed here (0..19 and 21).
    uint256 private constant SUPPORTED = 0xfffff | (1 << 21);

    error OpNotSupported(uint8 op);
    error BadOperands(uint8 op, uint256 aLength, uint256 bLength);

    function supported(uint8 op) public pure returns (bool) {
        return (SUPPORTED >> op) & 1 == 1;
    }

    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external pure returns (uint32) {
        if (!supported(op)) revert OpNotSupported(op);
        if (op < SQRT) {
            if (a.length != 1 || b.length != 1) revert BadOperands(op, a.length, b.length);
            if (op == ADD) return F32.add(a[0], b[0]);
            if (op == SUB) return F32.sub(a[0], b[0]);
            if (op == MUL) return F32.mul(a[0], b[0]);
            return F32.div(a[0], b[0]);
        }
        if (op == SQRT || (op >= EXP && op <= COS)) {
            if (a.length != 1 || b.length != 0) revert BadOperands(op, a.length, b.length);
            if (op == SQRT) return F32.sqrt(a[0]);
            if (op == EXP) return SoftFloat.exp(a[0]);
            if (op == LOG) return SoftFloat.log(a[0]);
            if (op == TANH) return SoftFloat.tanh(a[0]);
            if (op == SIGMOID) return SoftFloat.sigmoid(a[0]);
            if (op == GELU_TANH) return Gelu.geluTanh(a[0]);
            if (op == GELU_ERF) return Gelu.geluErf(a[0]);
            if (op == ERF) return Special.erf(a[0]);
            return op == SIN ? Special.sin(a[0]) : Special.cos(a[0]);
        }
        if (op == MATMUL) return Bq15.dot(a, b);
        if (op == ADAMW) return adamw(a, b);
        if (op >= LAYERNORM) return rowOp(op, a, b);
        if (b.length != 0) revert BadOperands(op, a.length, b.length);
        return op == SUM ? FixedSum.sum(a) : FixedSum.mean(a);
    }

    function rowOp(uint8 op, uint32[] calldata a, uint32[] calldata b) private pure returns (uint32) {
        uint256 want = op == LAYERNORM ? 4 : op == RMSNORM ? 3 : 1;
        if (b.length != want || b[0] >= a.length) revert BadOperands(op, a.length, b.length);
        uint256 k = b[0];
        if (op == SOFTMAX) {
            (uint32[] memory e, uint32 s) = RowOps.softmaxParts(a);
            return F32.div(e[k], s);
        }
        if (op == RMSNORM) return F32.mul(F32.div(a[k], RowOps.rmsRoot(a, b[1])), b[2]);
        (uint32[] memory d, uint32 sigma) = RowOps.layernormParts(a, b[1]);
        return F32.add(F32.mul(F32.div(d[k], sigma), b[2]), b[3]);
    }

    function adamw(uint32[] calldata a, uint32[] calldata b) private pure returns (uint32) {
        if (a.length != 4 || b.length != 8 || b[0] > 2) revert BadOperands(ADAMW, a.length, b.length);
        (uint32 p, uint32 m, uint32 v) = Adam.update(Adam.scalars(b[1:]), a[0], a[1], a[2], a[3]);
        return b[0] == 0 ? p : b[0] == 1 ? m : v;
    }

    /// Is `bits` the element at flat `index` of the tensor committed to by `root` (TensorCommitment)?
    function verifyElement(bytes32 root, bytes32[] calldata proof, uint256 index, uint32 bits)
        external
        pure
        returns (bool)
    {
        return TensorCommitment.verify(root, proof, index, bits);
    }

    /// The same for many elements (the row or column an element depends on) with one multiproof.
    function verifyElements(
        bytes32 root,
        bytes32[] calldata proof,
        bool[] calldata flags,
        uint256[] calldata indices,
        uint32[] calldata bits
    ) external pure returns (bool) {
        return TensorCommitment.verifyMany(root, proof, flags, indices, bits);
    }
}
