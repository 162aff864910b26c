// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {FixedSum} from "./FixedSum.sol";
import {RowOps} from "./RowOps.sol";
import {SoftFloat} from "./SoftFloat.sol";

/// The row ops of a training step's loss and backward pass, one output element each, transcribed line for
/// line from their CPU references: crossEntropyRef's per-row loss and crossEntropyBackwardRef
/// (src/kernels/cross_entropy.ts), softmaxBackwardRef (softmax.ts, causal or not) and layernormBackwardRef's
/// dx, dgamma, dbeta and its intermediate dyXhat (layernorm.ts). Every step is a correctly rounded F32 op or an exact FixedSum, in the
/// references' order, never fused.
///
/// `recompute(op, a, b)` takes one element's inputs; the operand layouts, by op id (src/disputes/onchain.ts):
///
/// - 20 crossEntropy, loss of row r: a = row r of the logits (vocab >= 1), b = [target_r] (a uint32 id).
///   The mean loss is reduce mean (op 6) over the losses.
/// - 27 crossEntropyGrad, element (r, k) of d(mean loss)/d(logits): a = row r of the logits,
///   b = [k, target_r, rows] (rows: the batch's row count, the mean's divisor, an integer >= 1).
/// - 28 softmaxGrad, element (r, k) of dx = y · (dy − Σ y·dy): a = [y visible, dy visible] (the row's visible
///   prefix of y, then the same prefix of dy: 2·len values), b = [k, n] (n the row's full length). Not causal:
///   len = n. Causal: len = (r mod n) + 1, and an element past the prefix (k >= len) is exactly +0.
/// - 29 layernormGrad, element (r, k) of dx: a = [x row r, dy row r, gamma] (3·n values), b = [k, std_r]
///   (std_r: the forward's saved std of row r, which the reference takes rather than recomputes).
/// - 30 layernormDgamma, element k: Σ_r dy[r,k] · xhat[r,k] exactly. xhat[r,k] needs row r's exact mean, so
///   a = the whole x (rows·n values, row-major), b = [k, dy[0..rows) of column k, std[0..rows)] (2·rows + 1
///   values). Its operands grow as rows·n: fine for small shapes, past a block's calldata at a real step's,
///   which is why a game program built from a trace (gameOfStep.ts) uses 43 and a column sum instead.
/// - 31 layernormDbeta, element k: Σ_r dy[r,k] exactly: a = column k of dy (rows >= 1 values), b = [].
/// - 43 layernormDyXhat, element (r, k) of the reference's intermediate dyXhat = dy · xhat (`dgammaTerm`):
///   a = row r of x (n >= 1 values), b = [k, dy[r,k], std_r]. dgamma is reduce sum along axis 0 (op 5, the
///   same exact sum rounded once as columnSums) of a slot of these: n + 3 values an element, not rows·n.
///
/// Wrong lengths revert BadOperands(op, a.length, b.length); a k or target past the row BadIndex(op, index, n).
library RowGrads {
    using F32 for uint32;

    uint8 internal constant CROSS_ENTROPY = 20;
    uint8 internal constant CROSS_ENTROPY_GRAD = 27;
    uint8 internal constant SOFTMAX_GRAD = 28;
    uint8 internal constant LAYERNORM_GRAD = 29;
    uint8 internal constant LAYERNORM_DGAMMA = 30;
    uint8 internal constant LAYERNORM_DBETA = 31;
    uint8 internal constant LAYERNORM_DYXHAT = 43;
    uint32 private constant ONE = 0x3f800000;

    error BadOperands(uint8 op, uint256 aLength, uint256 bLength);
    error BadIndex(uint8 op, uint256 index, uint256 n);

    /// Is op one of this library's (20, 27..31, 43)?
    function covers(uint8 op) internal pure returns (bool) {
        return op == CROSS_ENTROPY || (op >= CROSS_ENTROPY_GRAD && op <= LAYERNORM_DBETA) || op == LAYERNORM_DYXHAT;
    }

    /// One output element of op from its inputs, in the layout above.
    function recompute(uint8 op, uint32[] memory a, uint32[] memory b) internal pure returns (uint32) {
        if (op == CROSS_ENTROPY || op == CROSS_ENTROPY_GRAD) return crossEntropyElement(op, a, b);
        if (op == SOFTMAX_GRAD) return softmaxGradElement(a, b);
        if (op == LAYERNORM_GRAD) return layernormGradElement(a, b);
        if (op == LAYERNORM_DGAMMA) return dgammaElement(a, b);
        if (op == LAYERNORM_DYXHAT) return dyXhatElement(a, b);
        if (op != LAYERNORM_DBETA || a.length == 0 || b.length != 0) revert BadOperands(op, a.length, b.length);
        return FixedSum.sum(a); // columnSums: the column's exact sum, rounded once
    }

    // ---- cross-entropy ----

    /// rowStats: the row's max m (NaN if any is NaN), e = exp(x − m) and their exact sum s at EXP_SCALE.
    function crossEntropyStats(uint32[] memory x) internal pure returns (uint32 m, uint32[] memory e, uint32 s) {
        m = F32.INF | F32.SIGN;
        for (uint256 i = 0; i < x.length; i++) m = m.max(x[i]); // Math.max's rules: NaN wins, +0 above -0
        e = new uint32[](x.length);
        for (uint256 i = 0; i < x.length; i++) e[i] = RowOps.expSub(x[i], m);
        s = FixedSum.toF32(FixedSum.accumulateAt(e, RowOps.EXP_SCALE));
    }

    /// losses[r] = log(s) − (x[target] − m), given logS = log(s).
    function crossEntropyLoss(uint32 xTarget, uint32 m, uint32 logS) internal pure returns (uint32) {
        return logS.sub(xTarget.sub(m));
    }

    /// ((e_k / s) − (k == target ? 1 : 0)) / rows, rowsF = fround(rows).
    function crossEntropyGrad(uint32 ek, uint32 s, bool isTarget, uint32 rowsF) internal pure returns (uint32) {
        return ek.div(s).sub(isTarget ? ONE : 0).div(rowsF);
    }

    function crossEntropyElement(uint8 op, uint32[] memory a, uint32[] memory b) private pure returns (uint32) {
        bool loss = op == CROSS_ENTROPY;
        if (a.length == 0 || b.length != (loss ? 1 : 3) || (!loss && b[2] == 0)) {
            revert BadOperands(op, a.length, b.length);
        }
        uint256 target = loss ? b[0] : b[1];
        if (target >= a.length) revert BadIndex(op, target, a.length);
        (uint32 m, uint32[] memory e, uint32 s) = crossEntropyStats(a);
        if (loss) return crossEntropyLoss(a[target], m, SoftFloat.log(s));
        uint256 k = b[0];
        if (k >= a.length) revert BadIndex(op, k, a.length);
        return crossEntropyGrad(e[k], s, k == target, F32.fromI32(int256(uint256(b[2]))));
    }

    // ---- softmax backward ----

    /// Σ y_i · dy_i over the visible prefix, each product rounded, the sum exact and rounded once.
    function softmaxGradSum(uint32[] memory y, uint32[] memory dy) internal pure returns (uint32) {
        uint32[] memory p = new uint32[](y.length);
        for (uint256 i = 0; i < y.length; i++) p[i] = y[i].mul(dy[i]);
        return FixedSum.sum(p);
    }

    /// dx_k = y_k · (dy_k − s).
    function softmaxGrad(uint32 yk, uint32 dyk, uint32 s) internal pure returns (uint32) {
        return yk.mul(dyk.sub(s));
    }

    function softmaxGradElement(uint32[] memory a, uint32[] memory b) private pure returns (uint32) {
        uint256 len = a.length / 2;
        if (a.length == 0 || a.length % 2 != 0 || b.length != 2 || b[1] < len) {
            revert BadOperands(SOFTMAX_GRAD, a.length, b.length);
        }
        uint256 k = b[0];
        if (k >= b[1]) revert BadIndex(SOFTMAX_GRAD, k, b[1]);
        if (k >= len) return 0; // masked by the causal mask: the reference leaves it +0
        (uint32[] memory y, uint32[] memory dy) = (slice(a, 0, len), slice(a, len, len));
        return softmaxGrad(y[k], dy[k], softmaxGradSum(y, dy));
    }

    // ---- layernorm backward ----

    /// What one row of layernorm's backward shares: the exact mean as hi + lo, the shift s (rowMean), and
    /// sigma = std · 2^-s from the saved std.
    struct LnRow {
        uint32 hi;
        uint32 lo;
        int256 s;
        uint32 sigma;
    }

    function layernormRow(uint32[] memory x, uint32 std) internal pure returns (LnRow memory r) {
        FixedSum.Acc memory acc = FixedSum.accumulate(x);
        r.hi = FixedSum.divToF32(acc, x.length);
        acc.total -= int256(x.length) * FixedSum.term(r.hi, acc.eMax);
        r.lo = FixedSum.divToF32(acc, x.length);
        r.s = RowOps.normShift(x);
        r.sigma = std.ldexp(-r.s);
    }

    /// xhat = (((v · 2^-s) − hi · 2^-s) − lo · 2^-s) / sigma (deviation, then the divide).
    function xhat(uint32 v, LnRow memory r) internal pure returns (uint32) {
        return v.ldexp(-r.s).sub(r.hi.ldexp(-r.s)).sub(r.lo.ldexp(-r.s)).div(r.sigma);
    }

    /// Row r's dx, every element (r: layernormRow(x, std)): g = dy · gamma, a = mean(g), b = mean(g · xhat), dx = ((g − a) − xhat · b) / std.
    function layernormGradRow(
        uint32[] memory x,
        uint32[] memory dy,
        uint32[] memory gamma,
        uint32 std,
        LnRow memory r
    ) internal pure returns (uint32[] memory dx) {
        uint256 n = x.length;
        uint32[] memory xh = new uint32[](n);
        uint32[] memory g = new uint32[](n);
        uint32[] memory gx = new uint32[](n);
        for (uint256 k = 0; k < n; k++) {
            xh[k] = xhat(x[k], r);
            g[k] = dy[k].mul(gamma[k]);
            gx[k] = g[k].mul(xh[k]);
        }
        uint32 ma = FixedSum.mean(g);
        uint32 mb = FixedSum.mean(gx);
        dx = new uint32[](n);
        for (uint256 k = 0; k < n; k++) dx[k] = g[k].sub(ma).sub(xh[k].mul(mb)).div(std);
    }

    /// dyXhat[r, k] = dy[r, k] · xhat[r, k]: the term of dgamma's column sum.
    function dgammaTerm(uint32 dyk, uint32 xk, LnRow memory r) internal pure returns (uint32) {
        return dyk.mul(xhat(xk, r));
    }

    function layernormGradElement(uint32[] memory a, uint32[] memory b) private pure returns (uint32) {
        uint256 n = a.length / 3;
        if (a.length == 0 || a.length % 3 != 0 || b.length != 2) revert BadOperands(LAYERNORM_GRAD, a.length, b.length);
        if (b[0] >= n) revert BadIndex(LAYERNORM_GRAD, b[0], n);
        uint32[] memory x = slice(a, 0, n);
        return layernormGradRow(x, slice(a, n, n), slice(a, 2 * n, n), b[1], layernormRow(x, b[1]))[b[0]];
    }

    function dyXhatElement(uint32[] memory a, uint32[] memory b) private pure returns (uint32) {
        if (a.length == 0 || b.length != 3) revert BadOperands(LAYERNORM_DYXHAT, a.length, b.length);
        if (b[0] >= a.length) revert BadIndex(LAYERNORM_DYXHAT, b[0], a.length);
        return dgammaTerm(b[1], a[b[0]], layernormRow(a, b[2]));
    }

    function dgammaElement(uint32[] memory a, uint32[] memory b) private pure returns (uint32) {
        uint256 rows = (b.length - (b.length == 0 ? 0 : 1)) / 2;
        if (rows == 0 || b.length != 2 * rows + 1 || a.length % rows != 0 || a.length == 0) {
            revert BadOperands(LAYERNORM_DGAMMA, a.length, b.length);
        }
        uint256 n = a.length / rows;
        uint256 k = b[0];
        if (k >= n) revert BadIndex(LAYERNORM_DGAMMA, k, n);
        uint32[] memory terms = new uint32[](rows);
        for (uint256 r = 0; r < rows; r++) {
            uint32[] memory x = slice(a, r * n, n);
            terms[r] = dgammaTerm(b[1 + r], x[k], layernormRow(x, b[1 + rows + r]));
        }
        return FixedSum.sum(terms);
    }

    function slice(uint32[] memory a, uint256 from, uint256 len) private pure returns (uint32[] memory out) {
        out = new uint32[](len);
        for (uint256 i = 0; i < len; i++) out[i] = a[from + i];
    }
}
