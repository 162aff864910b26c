// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The two kinds of tree the dispute game descends (docs/disputes.md, "The game").
///
/// A step's trace and the program are positional trees: leaf i at position i of a complete tree of
/// depth d (padding leaves are zero), node = keccak256(left ‖ right) in that order, so a proof binds the
/// leaf's position. That is what lets the descent stop at the leftmost differing slot and trust that
/// every slot before it is the same in both parties' traces. A trace leaf is the slot's tensor root
/// itself: the depth is fixed, so a leaf can never pass for a node.
///
/// An output tensor is an OpenZeppelin StandardMerkleTree in index order (TensorCommitment): its nodes
/// hash their children as an unordered pair, and leaf i sits at array position 2n − 2 − i. The descent
/// follows positions there too; each party must end on a leaf with the index the position implies.
library GameTrees {
    /// The positional parent of two children.
    function node(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(left, right));
    }

    /// OpenZeppelin's parent: the pair sorted before hashing.
    function pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /// The root of a positional tree of depth proof.length whose leaf `index` is `leaf`.
    function rootOf(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 h) {
        h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            h = (index >> i) & 1 == 0 ? node(h, proof[i]) : node(proof[i], h);
        }
    }

    /// Is `leaf` at `index` of the positional tree of depth `depth` with root `root`?
    function isAt(bytes32 root, uint8 depth, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        return proof.length == depth && index >> depth == 0 && rootOf(leaf, index, proof) == root;
    }

    /// The smallest depth whose tree holds n leaves.
    function depthFor(uint256 n) internal pure returns (uint8 d) {
        while ((uint256(1) << d) < n) d++;
    }
}
