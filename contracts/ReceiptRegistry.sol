// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Lockstep receipt registry
/// @notice Public, timestamped commitments to receipts (docs/chain.md). An anchor is keyed by its sender
/// and the receipt hash, so only the receipt's signer can make the anchor a verifier accepts: an anchor
/// of the same hash from anyone else is a different entry. It is also the EIP-712 `verifyingContract`
/// that receipts are signed for.
contract ReceiptRegistry {
    struct Anchor {
        /// The Merkle root the receipt commits to (a training receipt's stepsRoot, a round's root),
        /// or zero when there is none (an inference receipt).
        bytes32 root;
        uint64 timestamp;
        uint64 blockNumber;
    }

    mapping(address sender => mapping(bytes32 receiptHash => Anchor)) private anchors;

    event Anchored(
        address indexed sender,
        bytes32 indexed receiptHash,
        bytes32 indexed root,
        string uri
    );

    /// Anchoring is once per (sender, receipt): a retried transaction cannot anchor twice.
    error AlreadyAnchored(address sender, bytes32 receiptHash);
    error EmptyReceiptHash();

    function anchor(bytes32 receiptHash, bytes32 root, string calldata uri) external {
        if (receiptHash == bytes32(0)) revert EmptyReceiptHash();
        if (anchors[msg.sender][receiptHash].timestamp != 0) {
            revert AlreadyAnchored(msg.sender, receiptHash);
        }
        anchors[msg.sender][receiptHash] = Anchor(root, uint64(block.timestamp), uint64(block.number));
        emit Anchored(msg.sender, receiptHash, root, uri);
    }

    /// The anchor `sender` made for `receiptHash`; a zero timestamp means there is none.
    function anchorOf(address sender, bytes32 receiptHash) external view returns (Anchor memory) {
        return anchors[sender][receiptHash];
    }

    /// Whether `sender` anchored `receiptHash` and its root holds (step, stateHash), as a leaf of an
    /// OpenZeppelin StandardMerkleTree of (uint256, bytes32): keccak256(keccak256(abi.encode(...))).
    function verifyStep(
        address sender,
        bytes32 receiptHash,
        bytes32[] calldata proof,
        uint256 step,
        bytes32 stateHash
    ) external view returns (bool) {
        Anchor storage a = anchors[sender][receiptHash];
        if (a.timestamp == 0) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(step, stateHash))));
        return MerkleProof.verifyCalldata(proof, a.root, leaf);
    }
}
