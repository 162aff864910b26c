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
import {Schedule} from "./Schedule.sol";

/// Batched pure entry points to the referee's arithmetic, for differential tests: thousands of cases per
/// eth_call (src/disputes/onchain.test.ts). Not part of any game; nothing here holds state.
contract OpsHarness {
    error LengthMismatch(uint256 a, uint256 b);

    function binary(uint8 op, uint32[] calldata a, uint32[] calldata b) external pure returns (uint32[] memory out) {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new uint32[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            if (op == 0) out[i] = F32.add(a[i], b[i]);
            else if (op == 1) out[i] = F32.sub(a[i], b[i]);
            else if (op == 2) out[i] = F32.mul(a[i], b[i]);
            else out[i] = F32.div(a[i], b[i]);
        }
    }

    /// One-operand ops by Referee's ids: 4 sqrt, 8 exp, 9 log, 10 tanh, 11 sigmoid, 12 geluTanh, 13 geluErf,
    /// 14 erf, 15 sin, 16 cos.
    function unary(uint8 op, uint32[] calldata a) external pure returns (uint32[] memory out) {
        out = new uint32[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            if (op == 4) out[i] = F32.sqrt(a[i]);
            else if (op == 8) out[i] = SoftFloat.exp(a[i]);
            else if (op == 9) out[i] = SoftFloat.log(a[i]);
            else if (op == 10) out[i] = SoftFloat.tanh(a[i]);
            else if (op == 11) out[i] = SoftFloat.sigmoid(a[i]);
            else if (op == 12) out[i] = Gelu.geluTanh(a[i]);
            else if (op == 13) out[i] = Gelu.geluErf(a[i]);
            else if (op == 14) out[i] = Special.erf(a[i]);
            else if (op == 15) out[i] = Special.sin(a[i]);
            else out[i] = Special.cos(a[i]);
        }
    }

    /// The learning rate of each case [peak, min, warmup, total, step] (Schedule.lr; a refused case reverts).
    function schedules(uint32[5][] calldata cases) external pure returns (uint32[] memory out) {
        out = new uint32[](cases.length);
        for (uint256 i = 0; i < cases.length; i++) {
            uint32[5] calldata c = cases[i];
            out[i] = Schedule.lr(c[0], c[1], c[2], c[3], c[4]);
        }
    }

    /// Each vector's reduce sum (mean when `mean`).
    function sums(uint32[][] calldata vectors, bool mean) external pure returns (uint32[] memory out) {
        out = new uint32[](vectors.length);
        for (uint256 i = 0; i < vectors.length; i++) {
            out[i] = mean ? FixedSum.mean(vectors[i]) : FixedSum.sum(vectors[i]);
        }
    }

    /// The matmul element of each (row, column) pair.
    function dots(uint32[][] calldata rows, uint32[][] calldata columns) external pure returns (uint32[] memory out) {
        if (rows.length != columns.length) revert LengthMismatch(rows.length, columns.length);
        out = new uint32[](rows.length);
        for (uint256 i = 0; i < rows.length; i++) out[i] = Bq15.dot(rows[i], columns[i]);
    }

    /// Every output of each row by Referee's ids: 17 layernorm (params [eps, gamma.., beta..]),
    /// 18 rmsnorm ([eps, gamma..]), 19 softmax ([]).
    function rows(uint8 op, uint32[][] calldata x, uint32[][] calldata params)
        external
        pure
        returns (uint32[][] memory out)
    {
        out = new uint32[][](x.length);
        for (uint256 r = 0; r < x.length; r++) out[r] = row(op, x[r], params[r]);
    }

    function row(uint8 op, uint32[] calldata x, uint32[] calldata p) private pure returns (uint32[] memory y) {
        uint256 n = x.length;
        if (op == 19) {
            uint32 s;
            (y, s) = RowOps.softmaxParts(x);
            for (uint256 k = 0; k < n; k++) y[k] = F32.div(y[k], s);
        } else if (op == 18) {
            uint32 root = RowOps.rmsRoot(x, p[0]);
            y = new uint32[](n);
            for (uint256 k = 0; k < n; k++) y[k] = F32.mul(F32.div(x[k], root), p[1 + k]);
        } else {
            (uint32[] memory d, uint32 sigma) = RowOps.layernormParts(x, p[0]);
            y = new uint32[](n);
            for (uint256 k = 0; k < n; k++) y[k] = F32.add(F32.mul(F32.div(d[k], sigma), p[1 + k]), p[1 + n + k]);
        }
    }

    /// AdamW over many elements of one config ([step, lr, beta1, beta2, eps, weightDecay, gradScale]).
    function adamw(uint32[] calldata config, uint32[] calldata p, uint32[] calldata g, uint32[] calldata m, uint32[] calldata v)
        external
        pure
        returns (uint32[] memory pNew, uint32[] memory mNew, uint32[] memory vNew)
    {
        Adam.Scalars memory s = Adam.scalars(config);
        (pNew, mNew, vNew) = (new uint32[](p.length), new uint32[](p.length), new uint32[](p.length));
        for (uint256 i = 0; i < p.length; i++) (pNew[i], mNew[i], vNew[i]) = Adam.update(s, p[i], g[i], m[i], v[i]);
    }
}
