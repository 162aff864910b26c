// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PeerKeys} from "./PeerKeys.sol";

/// @title Lockstep swarm registry
/// @notice Peer registration in the shape of Gensyn's SwarmCoordinator (`getPeerId(address[])`,
/// `getEoa(string[])`), plus each peer's result for a round: the model hash it ended the round with and
/// the root of the updates it aggregated (docs/chain.md, docs/swarm.md). Registering a peer id proves
/// holding its libp2p key: secp256k1 peer ids carry their public key, so the contract rebuilds the id
/// from the key it is given and checks the key's signature over (sender, chain, registry) with
/// ecrecover (contracts/PeerKeys.sol, shared with SwarmCoordinator).
contract SwarmRegistry is PeerKeys {
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
    error NotYourPeer(string peerId, address owner);
    error ResultAlreadySubmitted(uint256 round, address eoa);

    /// Binds a libp2p peer id to the sender; an address may run several peers, a peer has one address.
    /// `publicKey` is the peer's secp256k1 key uncompressed without its 0x04 prefix (x ‖ y, 64 bytes);
    /// (r, s) is that key's libp2p signature (ECDSA over sha256) of `registrationMessage(msg.sender)`.
    /// A squatter who knows a victim's peer id cannot register it: the signature names the sender.
    function registerPeer(string calldata peerId, bytes calldata publicKey, bytes32 r, bytes32 s) external {
        _provePeer(peerId, publicKey, r, s, registrationMessage(msg.sender));
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
