// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GameTrees} from "./GameTrees.sol";
import {TensorCommitment} from "./TensorCommitment.sol";

/// What a market settlement's dispute game reads, derived on chain from the market's own terms: the K
/// windows of token ids TASK_RULE feeds the model (src/markets/model.ts marketInputs: row k is the last T
/// bytes of "\n" ‖ input ‖ "=" ‖ outcome k ‖ "\n", zero-padded on the right), their positions and next
/// bytes (nextTokens), the rows that score each outcome (taskLayout), and the tensor and positional roots
/// the game commits them in (TensorCommitment, GameTrees; TypeScript twins tensorTree and PositionalTree).
library SettlementTerms {
    error OutcomeLength(uint256 outcome, uint256 length);

    /// Row k's ids at [k·T, (k + 1)·T) and the layout [first row, count] per outcome.
    function windows(bytes calldata input, string[] memory outcomes, uint256 T)
        internal
        pure
        returns (uint32[] memory ids, uint32[] memory layout)
    {
        uint256 K = outcomes.length;
        uint256 p = input.length + 2; // the prompt "\n" ‖ input ‖ "="
        ids = new uint32[](K * T);
        layout = new uint32[](2 * K);
        for (uint256 k = 0; k < K; k++) {
            bytes memory o = bytes(outcomes[k]);
            uint256 n = outcomeRows(k, o, T);
            uint256 row = p + n < T ? p + n : T;
            for (uint256 j = 0; j < row; j++) ids[k * T + j] = byteAt(input, o, p + n - row + j);
            layout[2 * k] = uint32(k * T + row - n - 1); // the row before the outcome's first byte
            layout[2 * k + 1] = uint32(n);
        }
    }

    /// Refuses, as `windows` would, outcomes it cannot lay out: SettlementReferee.commit checks a market with
    /// this before taking any root, so no market is ruled by default for want of a game that could be bound.
    function checkOutcomes(string[] memory outcomes, uint256 T) internal pure {
        for (uint256 k = 0; k < outcomes.length; k++) outcomeRows(k, bytes(outcomes[k]), T);
    }

    /// The rows outcome k (bytes `o`) is scored on: its bytes and the answer's end "\n", at least 2 and at
    /// most T - 1 (one row before them holds the prompt's "="); OutcomeLength otherwise.
    function outcomeRows(uint256 k, bytes memory o, uint256 T) private pure returns (uint256 n) {
        n = o.length + 1;
        if (n < 2 || n > T - 1) revert OutcomeLength(k, o.length);
    }

    /// Byte i of "\n" ‖ input ‖ "=" ‖ outcome ‖ "\n".
    function byteAt(bytes calldata input, bytes memory o, uint256 i) private pure returns (uint32) {
        if (i == 0) return 0x0a;
        if (i <= input.length) return uint8(input[i - 1]);
        if (i == input.length + 1) return 0x3d; // "="
        i -= input.length + 2;
        return i < o.length ? uint8(o[i]) : 0x0a;
    }

    /// Each row's position in its window: r mod T.
    function positions(uint256 rows, uint256 T) internal pure returns (uint32[] memory out) {
        out = new uint32[](rows);
        for (uint256 r = 0; r < rows; r++) out[r] = uint32(r % T);
    }

    /// Each row's target, the next byte of its window (0 for a window's last row).
    function nextTokens(uint32[] memory ids, uint256 T) internal pure returns (uint32[] memory out) {
        out = new uint32[](ids.length);
        for (uint256 r = 0; r + 1 < ids.length; r++) if ((r + 1) % T != 0) out[r] = ids[r + 1];
    }

    /// The OpenZeppelin StandardMerkleTree root of a tensor in index order (leaf i at array position
    /// 2n − 2 − i), as tensorTree builds it.
    function tensorRoot(uint32[] memory bits) internal pure returns (bytes32) {
        uint256 n = bits.length;
        bytes32[] memory tree = new bytes32[](2 * n - 1);
        for (uint256 i = 0; i < n; i++) tree[2 * n - 2 - i] = TensorCommitment.leaf(i, bits[i]);
        for (uint256 i = n - 1; i > 0; i--) tree[i - 1] = GameTrees.pair(tree[2 * i - 1], tree[2 * i]);
        return tree[0];
    }

    /// The root of a positional tree of depth `depth` over `leaves` (zero past them), as PositionalTree.
    function positionalRoot(bytes32[] memory leaves, uint8 depth) internal pure returns (bytes32) {
        bytes32[] memory level = new bytes32[](uint256(1) << depth);
        for (uint256 i = 0; i < leaves.length; i++) level[i] = leaves[i];
        for (uint256 width = level.length; width > 1; width /= 2) {
            for (uint256 i = 0; i < width / 2; i++) level[i] = GameTrees.node(level[2 * i], level[2 * i + 1]);
        }
        return level[0];
    }

    /// The root of the positional tree whose leaf `index` is `leaf`, from its siblings (leaf up).
    function fold(bytes32 leaf, uint256 index, bytes32[] memory siblings) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i = 0; i < siblings.length; i++) {
            h = (index >> i) & 1 == 0 ? GameTrees.node(h, siblings[i]) : GameTrees.node(siblings[i], h);
        }
    }
}
