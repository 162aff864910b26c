// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {F32} from "./F32.sol";
import {RowGrads} from "./RowGrads.sol";
import {SoftFloat} from "./SoftFloat.sol";

/// Pure entry points to RowGrads for its differential tests (src/disputes/onchainRowGrads.test.ts): one
/// element as a referee would recompute it (`recompute`, the layouts in RowGrads' NatSpec), and whole rows
/// or tensors at once, each row's shared part computed once and every element from it, so thousands of
/// outputs fit one eth_call. Not part of any game; nothing here holds state.
contract RowGradsHarness {
    error LengthMismatch(uint256 a, uint256 b);

    /// One element of op (20, 27..31, 43) from its operands, exactly as RowGrads.recompute takes them.
    function recompute(uint8 op, uint32[] calldata a, uint32[] calldata b) external pure returns (uint32) {
        if (!RowGrads.covers(op)) revert RowGrads.BadOperands(op, a.length, b.length);
        return RowGrads.recompute(op, a, b);
    }

    /// Many elements of op, each through RowGrads.recompute (the referee's path, operand checks included).
    function recomputeMany(uint8 op, uint32[][] calldata a, uint32[][] calldata b)
        external
        pure
        returns (uint32[] memory out)
    {
        if (a.length != b.length) revert LengthMismatch(a.length, b.length);
        out = new uint32[](a.length);
        for (uint256 i = 0; i < a.length; i++) out[i] = RowGrads.recompute(op, a[i], b[i]);
    }

    /// For each logits row: its loss for every target (losses[r][t], each row's exps computed once), and its
    /// every gradient element for its own target and the row count of its batch (rows[r]).
    function crossEntropyRows(uint32[][] calldata logits, uint32[] calldata targets, uint32[] calldata rows)
        external
        pure
        returns (uint32[][] memory losses, uint32[][] memory grads)
    {
        if (logits.length != targets.length) revert LengthMismatch(logits.length, targets.length);
        (losses, grads) = (new uint32[][](logits.length), new uint32[][](logits.length));
        for (uint256 r = 0; r < logits.length; r++) (losses[r], grads[r]) = crossEntropyRow(logits[r], targets[r], rows[r]);
    }

    function crossEntropyRow(uint32[] calldata x, uint32 target, uint32 rows)
        private
        pure
        returns (uint32[] memory losses, uint32[] memory grads)
    {
        (uint32 m, uint32[] memory e, uint32 s) = RowGrads.crossEntropyStats(x);
        (uint32 logS, uint32 rowsF) = (SoftFloat.log(s), F32.fromI32(int256(uint256(rows))));
        (losses, grads) = (new uint32[](x.length), new uint32[](x.length));
        for (uint256 k = 0; k < x.length; k++) {
            losses[k] = RowGrads.crossEntropyLoss(x[k], m, logS);
            grads[k] = RowGrads.crossEntropyGrad(e[k], s, k == target, rowsF);
        }
    }

    /// Every element of each softmax-backward row: y and dy its visible prefix, n its full length.
    function softmaxGradRows(uint32[][] calldata y, uint32[][] calldata dy, uint32[] calldata n)
        external
        pure
        returns (uint32[][] memory dx)
    {
        dx = new uint32[][](y.length);
        for (uint256 r = 0; r < y.length; r++) {
            if (y[r].length != dy[r].length) revert LengthMismatch(y[r].length, dy[r].length);
            uint32 s = RowGrads.softmaxGradSum(y[r], dy[r]);
            dx[r] = new uint32[](n[r]); // past the prefix: +0
            for (uint256 k = 0; k < y[r].length; k++) dx[r][k] = RowGrads.softmaxGrad(y[r][k], dy[r][k], s);
        }
    }

    /// layernorm's backward of each [rows, n] tensor (x, dy row-major; gamma n; std rows): dx, dgamma, dbeta.
    function layernormGrads(
        uint32[][] calldata x,
        uint32[][] calldata dy,
        uint32[][] calldata gamma,
        uint32[][] calldata std
    ) external pure returns (uint32[][] memory dx, uint32[][] memory dgamma, uint32[][] memory dbeta) {
        (dx, dgamma, dbeta) = (new uint32[][](x.length), new uint32[][](x.length), new uint32[][](x.length));
        for (uint256 i = 0; i < x.length; i++) (dx[i], dgamma[i], dbeta[i]) = tensorGrads(x[i], dy[i], gamma[i], std[i]);
    }

    function tensorGrads(uint32[] calldata x, uint32[] calldata dy, uint32[] calldata gamma, uint32[] calldata std)
        private
        pure
        returns (uint32[] memory, uint32[] memory, uint32[] memory)
    {
        (uint256 rows, uint256 n) = (std.length, gamma.length);
        if (x.length != rows * n || dy.length != rows * n) revert LengthMismatch(x.length, rows * n);
        Tensor memory t = Tensor(x, dy, gamma, new uint32[](rows * n), new uint32[](rows * n));
        for (uint256 r = 0; r < rows; r++) gradRow(t, r, std[r]);
        return (t.dx, columnSums(t.terms, rows, n), columnSums(t.dy, rows, n));
    }

    struct Tensor {
        uint32[] x;
        uint32[] dy;
        uint32[] gamma;
        uint32[] dx;
        uint32[] terms; // dyXhat
    }

    function gradRow(Tensor memory t, uint256 r, uint32 std) private pure {
        uint256 n = t.gamma.length;
        (uint32[] memory row, uint32[] memory dyRow) = (new uint32[](n), new uint32[](n));
        for (uint256 k = 0; k < n; k++) (row[k], dyRow[k]) = (t.x[r * n + k], t.dy[r * n + k]);
        RowGrads.LnRow memory stats = RowGrads.layernormRow(row, std);
        uint32[] memory d = RowGrads.layernormGradRow(row, dyRow, t.gamma, std, stats);
        for (uint256 k = 0; k < n; k++) {
            t.dx[r * n + k] = d[k];
            t.terms[r * n + k] = RowGrads.dgammaTerm(dyRow[k], row[k], stats);
        }
    }

    /// Each column's exact sum through op 31 (dgamma is that sum of the dyXhat terms, dbeta of dy).
    function columnSums(uint32[] memory v, uint256 rows, uint256 n) private pure returns (uint32[] memory out) {
        out = new uint32[](n);
        uint32[] memory column = new uint32[](rows);
        for (uint256 k = 0; k < n; k++) {
            for (uint256 r = 0; r < rows; r++) column[r] = v[r * n + k];
            out[k] = RowGrads.recompute(RowGrads.LAYERNORM_DBETA, column, new uint32[](0));
        }
    }
}
