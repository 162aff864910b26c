// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Lockstep swarm registry
/// @notice Peer registration in the shape of Gensyn's SwarmCoordinator (`getPeerId(address[])`,
/// `getEoa(string[])`), plus each peer's result for a round: the model hash it ended the round with and
/// the root of the updates it aggregated (docs/chain.md, docs/swarm.md). Registering a peer id proves
/// holding its libp2p key: secp256k1 peer ids carry their public key, so the contract rebuilds the id
/// from the key it is given and checks the key's signature over (sender, chain, registry) with
/// ecrecover. Ed25519, libp2p's default, has no precompile; verifying it in Solidity costs ~1M gas.
contract SwarmRegistry {
    struct RoundResult {
        bytes32 modelHash;
        bytes32 updatesRoot;
        uint64 timestamp;
    }

    mapping(string peerId => address) private eoaOf;
    mapping(address eoa => string[]) private peerIdsOf;
    mapping(uint256 round => mapping(address eoa => RoundResult)) private results;

    event PeerRegistered(address indexed eoa, string peerId);
    event RoundResultSubmitted(
        uint256 indexed round,
        address indexed eoa,
        bytes32 indexed modelHash,
        bytes32 updatesRoot,
        string peerId
    );

    error PeerIdTaken(string peerId, address owner);
    error EmptyPeerId();
    error BadPublicKey();
    error PeerIdMismatch(string peerId, string derived);
    error BadPeerSignature(string peerId);
    error NotYourPeer(string peerId, address owner);
    error ResultAlreadySubmitted(uint256 round, address eoa);

    /// Binds a libp2p peer id to the sender; an address may run several peers, a peer has one address.
    /// `publicKey` is the peer's secp256k1 key uncompressed without its 0x04 prefix (x ‖ y, 64 bytes);
    /// (r, s) is that key's libp2p signature (ECDSA over sha256) of `registrationMessage(msg.sender)`.
    /// A squatter who knows a victim's peer id cannot register it: the signature names the sender.
    function registerPeer(string calldata peerId, bytes calldata publicKey, bytes32 r, bytes32 s) external {
        if (bytes(peerId).length == 0) revert EmptyPeerId();
        if (publicKey.length != 64) revert BadPublicKey();
        string memory derived = secp256k1PeerId(publicKey);
        if (keccak256(bytes(derived)) != keccak256(bytes(peerId))) revert PeerIdMismatch(peerId, derived);
        bytes32 digest = sha256(registrationMessage(msg.sender));
        address key = address(uint160(uint256(keccak256(publicKey))));
        // A DER signature carries no recovery bit: one of the two candidates is the signer's key.
        if (ecrecover(digest, 27, r, s) != key && ecrecover(digest, 28, r, s) != key) revert BadPeerSignature(peerId);
        address owner = eoaOf[peerId];
        if (owner == msg.sender) return;
        if (owner != address(0)) revert PeerIdTaken(peerId, owner);
        eoaOf[peerId] = msg.sender;
        peerIdsOf[msg.sender].push(peerId);
        emit PeerRegistered(msg.sender, peerId);
    }

    /// What a peer's libp2p key signs to register for `eoa`: bound to this chain and this registry, so
    /// the signature cannot be replayed for another address, chain or deployment.
    function registrationMessage(address eoa) public view returns (bytes memory) {
        return abi.encodePacked("lockstep/register-peer/1", block.chainid, address(this), eoa);
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

    /// The peer ids each address registered (the first one, or "" for none, as SwarmCoordinator does).
    function getPeerId(address[] calldata eoas) external view returns (string[] memory ids) {
        ids = new string[](eoas.length);
        for (uint256 i = 0; i < eoas.length; i++) {
            string[] storage mine = peerIdsOf[eoas[i]];
            ids[i] = mine.length == 0 ? "" : mine[0];
        }
    }

    function getPeerIds(address eoa) external view returns (string[] memory) {
        return peerIdsOf[eoa];
    }

    /// The address behind each peer id (zero for an unregistered one).
    function getEoa(string[] calldata peerIds) external view returns (address[] memory eoas) {
        eoas = new address[](peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) eoas[i] = eoaOf[peerIds[i]];
    }

    function submitRoundResult(
        uint256 round,
        bytes32 modelHash,
        bytes32 updatesRoot,
        string calldata peerId
    ) external {
        if (eoaOf[peerId] != msg.sender) revert NotYourPeer(peerId, eoaOf[peerId]);
        if (results[round][msg.sender].timestamp != 0) revert ResultAlreadySubmitted(round, msg.sender);
        results[round][msg.sender] = RoundResult(modelHash, updatesRoot, uint64(block.timestamp));
        emit RoundResultSubmitted(round, msg.sender, modelHash, updatesRoot, peerId);
    }

    function roundResult(uint256 round, address eoa) external view returns (RoundResult memory) {
        return results[round][eoa];
    }
}
