// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// A party's commitment to one operator's output tensor: an OpenZeppelin StandardMerkleTree root over
/// its elements, leaf = keccak256(keccak256(abi.encode(uint256 index, uint32 f32Bits))) with index the
/// element's flat (row-major) position. The double hash keeps a leaf from passing for an inner node.
/// The TypeScript twin is tensorTree (src/disputes/onchain.ts).
library TensorCommitment {
    function leaf(uint256 index, uint32 bits) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, bits))));
    }

    function verify(bytes32 root, bytes32[] calldata proof, uint256 index, uint32 bits) internal pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf(index, bits));
    }

    /// Many elements at once (a row, a column) against one root: OpenZeppelin's multiproof, whose
    /// leaves must come in the order the tree's getMultiProof lists them.
    function verifyMany(
        bytes32 root,
        bytes32[] calldata proof,
        bool[] calldata flags,
        uint256[] calldata indices,
        uint32[] calldata bits
    ) internal pure returns (bool) {
        // No leaves would let proof[0] == root pass for nothing (see OpenZeppelin's caution).
        if (indices.length == 0 || indices.length != bits.length) return false;
        bytes32[] memory leaves = new bytes32[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) leaves[i] = leaf(indices[i], bits[i]);
        return MerkleProof.multiProofVerifyCalldata(proof, flags, root, leaves);
    }
}
