// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Proof that a sender holds a libp2p secp256k1 key
/// @notice Shared by SwarmRegistry and SwarmCoordinator. secp256k1 peer ids carry their public key, so
/// the contract rebuilds the id from the key it is given and checks the key's signature over a message
/// the caller names (bound to chain, contract and sender, and in the coordinator to the swarm) with
/// ecrecover. Ed25519, libp2p's default, has no precompile; verifying it in Solidity costs ~1M gas.
abstract contract PeerKeys {
    error EmptyPeerId();
    error BadPublicKey();
    error PeerIdMismatch(string peerId, string derived);
    error BadPeerSignature(string peerId);

    /// Reverts unless `publicKey` (x ‖ y, 64 bytes) is `peerId`'s key and (r, s) is its libp2p signature
    /// (ECDSA over sha256) of `message`.
    function _provePeer(
        string calldata peerId,
        bytes calldata publicKey,
        bytes32 r,
        bytes32 s,
        bytes memory message
    ) internal pure {
        if (bytes(peerId).length == 0) revert EmptyPeerId();
        if (publicKey.length != 64) revert BadPublicKey();
        string memory derived = secp256k1PeerId(publicKey);
        if (keccak256(bytes(derived)) != keccak256(bytes(peerId))) revert PeerIdMismatch(peerId, derived);
        bytes32 digest = sha256(message);
        address key = address(uint160(uint256(keccak256(publicKey))));
        // A DER signature carries no recovery bit: one of the two candidates is the signer's key.
        if (ecrecover(digest, 27, r, s) != key && ecrecover(digest, 28, r, s) != key) revert BadPeerSignature(peerId);
    }

    /// The libp2p peer id of a secp256k1 key (x ‖ y): base58btc of the identity multihash of the
    /// protobuf PublicKey { Type = Secp256k1 (2), Data = the 33-byte compressed key }, 39 bytes:
    /// 00 25 | 08 02 12 21 | 02 or 03 (y's parity) | x.
    function secp256k1PeerId(bytes calldata publicKey) public pure returns (string memory) {
        if (publicKey.length != 64) revert BadPublicKey();
        uint256 x = uint256(bytes32(publicKey[0:32]));
        uint256 parity = uint256(bytes32(publicKey[32:64])) & 1;
        // The 312-bit number in three limbs that leave room to carry a remainder < 58 into the next:
        // the top 7 bytes (the constant prefix and parity), then x's high and low 16 bytes.
        uint256[3] memory limbs = [uint256(0x00250802122102 | parity), x >> 128, x & type(uint128).max];
        bytes memory alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        bytes memory digits = new bytes(64);
        uint256 n = digits.length;
        while (limbs[0] | limbs[1] | limbs[2] != 0) {
            uint256 rem = 0;
            for (uint256 i = 0; i < 3; i++) {
                uint256 v = (rem << 128) | limbs[i];
                limbs[i] = v / 58;
                rem = v % 58;
            }
            digits[--n] = alphabet[rem];
        }
        digits[--n] = "1"; // the multihash's leading zero byte (base58btc writes each as "1")
        bytes memory out = new bytes(digits.length - n);
        for (uint256 i = 0; i < out.length; i++) out[i] = digits[n + i];
        return string(out);
    }
}
