// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Leaderboards} from "./Leaderboards.sol";
import {PeerKeys} from "./PeerKeys.sol";

/// @title Lockstep swarm coordinator
/// @notice The capabilities of Gensyn's SwarmCoordinator (v0.4.2): peers, rounds and stages, rewards,
/// winner votes, bootnodes and roles, for many swarms in one deployment. A swarm is named; its id is
/// keccak256(name), and whoever creates it holds its three roles (owner, stage manager, bootnode
/// manager) until the owner grants them on. Each swarm has its own stage count, quorum, rounds, peers,
/// bootnodes and leaderboards (docs/chain.md#swarm-coordinator).
///
/// What the chain can judge: that a peer id belongs to whoever holds its libp2p key (PeerKeys), that a
/// reward is claimed once per (round, stage, peer) by that peer's address in the swarm's current round
/// and stage and names the root of the receipts behind it, and that each attestation comes from another
/// registered address, once. What it cannot: re-execute anything. A claim counts as verified once
/// `quorum` other addresses say they re-executed its receipts and got the same reward, and none says
/// otherwise; a refutation is a signed claim with the hash of an evidence file that anyone can
/// re-check off-chain, settled by a referee outside this contract. `quorum` colluding addresses can
/// confirm a lie, one address can refute an honest claim (it then shows as refuted until settled), and
/// nothing here pays for re-execution or punishes a false attestation: those are the incentive gaps
/// docs/security.md lists.
///
/// Not behind an upgradeable proxy: immutability is the trust property. Rules that an admin key could
/// swap under a running swarm would make every total here only as good as that key; a new version is a
/// new address, and a swarm moves to it in the open.
contract SwarmCoordinator is PeerKeys, Leaderboards {
    bytes32 public constant OWNER_ROLE = keccak256("OWNER_ROLE");
    bytes32 public constant STAGE_MANAGER_ROLE = keccak256("STAGE_MANAGER_ROLE");
    bytes32 public constant BOOTNODE_MANAGER_ROLE = keccak256("BOOTNODE_MANAGER_ROLE");

    // Bounds on every input, so a hostile call ends early with a named error.
    uint256 public constant MAX_NAME_BYTES = 64;
    uint256 public constant MAX_PEER_ID_BYTES = 64; // a secp256k1 peer id is 53 characters
    uint256 public constant MAX_STAGES = 16;
    uint256 public constant MAX_QUORUM = 16;
    uint256 public constant MAX_WINNERS = 16;
    uint256 public constant MAX_BOOTNODES = 32;
    uint256 public constant MAX_MULTIADDR_BYTES = 256;
    uint256 public constant MAX_PEERS_PER_EOA = 16;
    uint256 public constant MAX_BATCH = 256;
    uint256 public constant MAX_REWARD = type(uint128).max;

    enum Status {
        None,
        Pending,
        Verified,
        Refuted
    }

    enum Board {
        VerifiedRewards,
        Wins,
        Votes
    }

    struct Swarm {
        string name;
        address creator;
        uint64 round;
        uint8 stage;
        uint8 stageCount; // zero: no such swarm
        uint8 quorum;
        uint32 owners;
        uint64 peers;
        uint64 voters;
    }

    struct Peer {
        address eoa;
        uint64 index; // registration order in the swarm, from 1: breaks leaderboard ties
        string peerId;
        uint256 claimed;
        uint256 verified;
        uint256 refuted;
        uint256 wins;
        uint256 votes;
    }

    struct Claim {
        bytes32 swarm;
        bytes32 peer; // keccak256 of the claimant's peer id
        uint64 round;
        uint8 stage;
        Status status;
        uint32 confirmations;
        uint32 refutations;
        uint128 reward;
        bytes32 receiptsRoot;
    }

    struct SwarmInfo {
        string name;
        address creator;
        uint256 round;
        uint256 stage;
        uint256 stageCount;
        uint256 quorum;
        uint256 peers;
        uint256 voters;
        uint256 bootnodes;
    }

    struct PeerRow {
        string peerId;
        address eoa;
        uint256 claimed;
        uint256 verified;
        uint256 refuted;
        uint256 wins;
        uint256 votes;
    }

    mapping(bytes32 swarm => Swarm) private swarms;
    mapping(bytes32 swarm => mapping(bytes32 role => mapping(address => bool))) private roles;
    mapping(bytes32 swarm => mapping(bytes32 peer => Peer)) private peers;
    mapping(bytes32 swarm => mapping(address eoa => bytes32[])) private peersOf;
    mapping(bytes32 claim => Claim) private claims;
    mapping(bytes32 claim => mapping(address attester => bool)) private attested;
    mapping(bytes32 swarm => mapping(uint256 round => mapping(bytes32 voter => bool))) private voted;
    mapping(bytes32 swarm => string[]) private bootnodes;
    mapping(bytes32 swarm => mapping(uint64 index => bytes32 peer)) private peerAt;
    mapping(bytes32 swarm => mapping(Board => uint256[] entries)) private boards; // see Leaderboards

    event SwarmCreated(bytes32 indexed swarm, address indexed creator, string name, uint256 stageCount, uint256 quorum);
    event RoleGranted(bytes32 indexed swarm, bytes32 indexed role, address indexed account, address sender);
    event RoleRevoked(bytes32 indexed swarm, bytes32 indexed role, address indexed account, address sender);
    event PeerRegistered(bytes32 indexed swarm, address indexed eoa, string peerId);
    event StageAdvanced(bytes32 indexed swarm, uint256 round, uint256 stage);
    event RoundAdvanced(bytes32 indexed swarm, uint256 round);
    event RewardSubmitted(
        bytes32 indexed swarm,
        bytes32 indexed claim,
        address indexed eoa,
        uint256 round,
        uint256 stage,
        uint256 reward,
        bytes32 receiptsRoot,
        string peerId
    );
    event Attested(
        bytes32 indexed swarm,
        bytes32 indexed claim,
        address indexed attester,
        bool confirmed,
        bytes32 evidenceHash,
        string attesterPeerId
    );
    event RewardVerified(bytes32 indexed swarm, bytes32 indexed claim, uint256 reward, string peerId);
    event RewardRefuted(bytes32 indexed swarm, bytes32 indexed claim, uint256 reward, bool wasVerified, string peerId);
    event WinnersSubmitted(bytes32 indexed swarm, uint256 indexed round, string voterPeerId, string[] winners);
    event BootnodesAdded(bytes32 indexed swarm, string[] multiaddrs);
    event BootnodeRemoved(bytes32 indexed swarm, uint256 index, string multiaddr);
    event BootnodesCleared(bytes32 indexed swarm);

    error NoSuchSwarm(bytes32 swarm);
    error SwarmExists(bytes32 swarm);
    error EmptyName();
    error NameTooLong(uint256 length, uint256 max);
    error BadStageCount(uint256 stageCount, uint256 max);
    error BadQuorum(uint256 quorum, uint256 max);
    error MissingRole(bytes32 swarm, bytes32 role, address account);
    error UnknownRole(bytes32 role);
    error LastOwner(bytes32 swarm, address account);
    error PeerIdTooLong(uint256 length, uint256 max);
    error PeerIdTaken(string peerId, address owner);
    error TooManyPeers(address eoa, uint256 max);
    error PeerNotRegistered(string peerId);
    error NotYourPeer(string peerId, address owner);
    error WrongRoundOrStage(uint256 round, uint256 stage, uint256 currentRound, uint256 currentStage);
    error RewardTooLarge(uint256 reward, uint256 max);
    error EmptyReceiptsRoot();
    error RewardAlreadySubmitted(uint256 round, uint256 stage, string peerId);
    error NoSuchClaim(bytes32 claim);
    error SelfAttestation(bytes32 claim, address attester);
    error AlreadyAttested(bytes32 claim, address attester);
    error EmptyEvidence();
    error RoundNotReached(uint256 round, uint256 currentRound);
    error AlreadyVoted(uint256 round, string peerId);
    error NoWinners();
    error TooManyWinners(uint256 count, uint256 max);
    error DuplicateWinner(string peerId);
    error TooManyBootnodes(uint256 count, uint256 max);
    error EmptyMultiaddr();
    error MultiaddrTooLong(uint256 length, uint256 max);
    error NoSuchBootnode(uint256 index, uint256 count);
    error TooManyItems(uint256 count, uint256 max);

    // ---- swarms and roles ----

    function swarmId(string calldata name) public pure returns (bytes32) {
        return keccak256(bytes(name));
    }

    /// Creates the swarm `name` with `stages` stages per round and `quorum` confirmations per
    /// verified reward (both fixed for its life); the sender gets all three roles. Names are first come:
    /// an app should check a swarm's creator, not only its name.
    function createSwarm(string calldata name, uint256 stages, uint256 quorum) external returns (bytes32 swarm) {
        if (bytes(name).length == 0) revert EmptyName();
        if (bytes(name).length > MAX_NAME_BYTES) revert NameTooLong(bytes(name).length, MAX_NAME_BYTES);
        if (stages == 0 || stages > MAX_STAGES) revert BadStageCount(stages, MAX_STAGES);
        if (quorum == 0 || quorum > MAX_QUORUM) revert BadQuorum(quorum, MAX_QUORUM);
        swarm = keccak256(bytes(name));
        Swarm storage sw = swarms[swarm];
        if (sw.stageCount != 0) revert SwarmExists(swarm);
        sw.name = name;
        sw.creator = msg.sender;
        sw.stageCount = uint8(stages);
        sw.quorum = uint8(quorum);
        emit SwarmCreated(swarm, msg.sender, name, stages, quorum);
        _grant(swarm, OWNER_ROLE, msg.sender);
        _grant(swarm, STAGE_MANAGER_ROLE, msg.sender);
        _grant(swarm, BOOTNODE_MANAGER_ROLE, msg.sender);
    }

    function grantRole(bytes32 swarm, bytes32 role, address account) external {
        _only(swarm, OWNER_ROLE);
        _knownRole(role);
        _grant(swarm, role, account);
    }

    /// An owner may revoke any role, its own included, but a swarm always keeps one owner.
    function revokeRole(bytes32 swarm, bytes32 role, address account) external {
        _only(swarm, OWNER_ROLE);
        _knownRole(role);
        if (!roles[swarm][role][account]) return;
        if (role == OWNER_ROLE) {
            if (swarms[swarm].owners == 1) revert LastOwner(swarm, account);
            swarms[swarm].owners--;
        }
        roles[swarm][role][account] = false;
        emit RoleRevoked(swarm, role, account, msg.sender);
    }

    function hasRole(bytes32 swarm, bytes32 role, address account) external view returns (bool) {
        return roles[swarm][role][account];
    }

    // ---- rounds and stages ----

    /// Moves to the next stage, and after the last stage to stage 0 of the next round.
    function updateStageAndRound(bytes32 swarm) external returns (uint256 round, uint256 stage) {
        Swarm storage sw = _only(swarm, STAGE_MANAGER_ROLE);
        if (sw.stage + 1 >= sw.stageCount) {
            sw.stage = 0;
            sw.round++;
            emit RoundAdvanced(swarm, sw.round);
        } else {
            sw.stage++;
        }
        emit StageAdvanced(swarm, sw.round, sw.stage);
        return (sw.round, sw.stage);
    }

    function currentRound(bytes32 swarm) external view returns (uint256) {
        return _swarm(swarm).round;
    }

    function currentStage(bytes32 swarm) external view returns (uint256) {
        return _swarm(swarm).stage;
    }

    function stageCount(bytes32 swarm) external view returns (uint256) {
        return _swarm(swarm).stageCount;
    }

    function swarmInfo(bytes32 swarm) external view returns (SwarmInfo memory) {
        Swarm storage sw = _swarm(swarm);
        return
            SwarmInfo(
                sw.name,
                sw.creator,
                sw.round,
                sw.stage,
                sw.stageCount,
                sw.quorum,
                sw.peers,
                sw.voters,
                bootnodes[swarm].length
            );
    }

    // ---- peers ----

    /// Binds a libp2p peer id to the sender in `swarm`, as SwarmRegistry.registerPeer does, with the
    /// signature over `registrationMessage(swarm, sender)`: a proof for one swarm is no good in another.
    /// Registering again from the same address is a no-op; a peer id has one address per swarm.
    function registerPeer(
        bytes32 swarm,
        string calldata peerId,
        bytes calldata publicKey,
        bytes32 r,
        bytes32 s
    ) external {
        _swarm(swarm);
        _peerKey(peerId); // bounds the id before it is hashed and compared
        _provePeer(peerId, publicKey, r, s, registrationMessage(swarm, msg.sender));
        _join(swarm, peerId);
    }

    function _join(bytes32 swarm, string calldata peerId) private {
        bytes32 key = keccak256(bytes(peerId));
        Peer storage p = peers[swarm][key];
        if (p.eoa == msg.sender) return;
        if (p.eoa != address(0)) revert PeerIdTaken(peerId, p.eoa);
        bytes32[] storage mine = peersOf[swarm][msg.sender];
        if (mine.length >= MAX_PEERS_PER_EOA) revert TooManyPeers(msg.sender, MAX_PEERS_PER_EOA);
        p.eoa = msg.sender;
        p.index = ++swarms[swarm].peers;
        p.peerId = peerId;
        peerAt[swarm][p.index] = key;
        mine.push(key);
        emit PeerRegistered(swarm, msg.sender, peerId);
    }

    /// What a peer's key signs to join `swarm` as `eoa`: bound to this chain, this contract and the swarm.
    function registrationMessage(bytes32 swarm, address eoa) public view returns (bytes memory) {
        return abi.encodePacked("lockstep/coordinator-register-peer/1", block.chainid, address(this), swarm, eoa);
    }

    /// Each address's first peer id in the swarm ("" for none).
    function getPeerId(bytes32 swarm, address[] calldata eoas) external view returns (string[] memory ids) {
        _batch(eoas.length);
        ids = new string[](eoas.length);
        for (uint256 i = 0; i < eoas.length; i++) {
            bytes32[] storage mine = peersOf[swarm][eoas[i]];
            ids[i] = mine.length == 0 ? "" : peers[swarm][mine[0]].peerId;
        }
    }

    function getPeerIds(bytes32 swarm, address eoa) external view returns (string[] memory ids) {
        bytes32[] storage mine = peersOf[swarm][eoa];
        ids = new string[](mine.length);
        for (uint256 i = 0; i < mine.length; i++) ids[i] = peers[swarm][mine[i]].peerId;
    }

    /// The address behind each peer id in the swarm (zero for an unregistered one).
    function getEoa(bytes32 swarm, string[] calldata peerIds) external view returns (address[] memory eoas) {
        _batch(peerIds.length);
        eoas = new address[](peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) eoas[i] = peers[swarm][_peerKey(peerIds[i])].eoa;
    }

    /// Claimed, verified and refuted rewards, wins and votes of each peer (zeros for an unknown one).
    function getPeers(bytes32 swarm, string[] calldata peerIds) external view returns (PeerRow[] memory rows) {
        _batch(peerIds.length);
        rows = new PeerRow[](peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) rows[i] = _row(swarm, _peerKey(peerIds[i]));
    }

    // ---- rewards ----

    function claimId(bytes32 swarm, uint256 round, uint256 stage, string calldata peerId) public pure returns (bytes32) {
        return keccak256(abi.encode(swarm, round, stage, _peerKey(peerId)));
    }

    /// Claims `reward` for `peerId` in the swarm's current round and stage, once, from the peer's own
    /// address; `receiptsRoot` is the root of the receipts that re-execute to it. The claim counts in
    /// the claimed totals at once and in the verified totals only once attested (see attest).
    function submitReward(
        bytes32 swarm,
        uint256 round,
        uint256 stage,
        uint256 reward,
        string calldata peerId,
        bytes32 receiptsRoot
    ) external {
        Swarm storage sw = _swarm(swarm);
        bytes32 peer = _ownPeer(swarm, peerId);
        if (round != sw.round || stage != sw.stage) revert WrongRoundOrStage(round, stage, sw.round, sw.stage);
        if (reward > MAX_REWARD) revert RewardTooLarge(reward, MAX_REWARD);
        if (receiptsRoot == bytes32(0)) revert EmptyReceiptsRoot();
        bytes32 id = keccak256(abi.encode(swarm, round, stage, peer));
        Claim storage c = claims[id];
        if (c.status != Status.None) revert RewardAlreadySubmitted(round, stage, peerId);
        c.swarm = swarm;
        c.peer = peer;
        c.round = uint64(round);
        c.stage = uint8(stage);
        c.status = Status.Pending;
        c.reward = uint128(reward);
        c.receiptsRoot = receiptsRoot;
        peers[swarm][peer].claimed += reward;
        emit RewardSubmitted(swarm, id, msg.sender, round, stage, reward, receiptsRoot, peerId);
    }

    function getClaim(bytes32 claim) external view returns (Claim memory) {
        return claims[claim];
    }

    function hasSubmittedRoundStageReward(
        bytes32 swarm,
        uint256 round,
        uint256 stage,
        string calldata peerId
    ) external view returns (bool) {
        return claims[claimId(swarm, round, stage, peerId)].status != Status.None;
    }

    /// Each peer's claimed reward for one round and stage (zero where it claimed none).
    function getRoundStageReward(
        bytes32 swarm,
        uint256 round,
        uint256 stage,
        string[] calldata peerIds
    ) external view returns (uint256[] memory rewards) {
        _batch(peerIds.length);
        rewards = new uint256[](peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) rewards[i] = claims[claimId(swarm, round, stage, peerIds[i])].reward;
    }

    /// Each peer's total claimed reward; getPeers has the verified and refuted totals beside it.
    function getTotalRewards(bytes32 swarm, string[] calldata peerIds) external view returns (uint256[] memory totals) {
        _batch(peerIds.length);
        totals = new uint256[](peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) totals[i] = peers[swarm][_peerKey(peerIds[i])].claimed;
    }

    // ---- verified rewards ----

    /// A registered peer whose address is not the claimant's says it re-executed `claim`'s receipts and
    /// the reward `confirmed` (or not), naming the keccak256 of its evidence file. One attestation per
    /// address and claim, at any time. The claim is verified at `quorum` confirmations with no
    /// refutation; one refutation marks it refuted (and takes it out of the verified total if it was in),
    /// which only a referee off-chain can settle.
    function attest(bytes32 claim, string calldata attesterPeerId, bool confirmed, bytes32 evidenceHash) external {
        Claim storage c = claims[claim];
        if (c.status == Status.None) revert NoSuchClaim(claim);
        bytes32 swarm = c.swarm;
        _ownPeer(swarm, attesterPeerId);
        Peer storage claimant = peers[swarm][c.peer];
        if (claimant.eoa == msg.sender) revert SelfAttestation(claim, msg.sender);
        if (evidenceHash == bytes32(0)) revert EmptyEvidence();
        if (attested[claim][msg.sender]) revert AlreadyAttested(claim, msg.sender);
        attested[claim][msg.sender] = true;
        emit Attested(swarm, claim, msg.sender, confirmed, evidenceHash, attesterPeerId);
        if (confirmed) {
            c.confirmations++;
            if (c.status == Status.Pending && c.confirmations >= swarms[swarm].quorum) {
                c.status = Status.Verified;
                claimant.verified += c.reward;
                _place(swarm, Board.VerifiedRewards, c.peer, claimant.verified - c.reward);
                emit RewardVerified(swarm, claim, c.reward, claimant.peerId);
            }
        } else {
            c.refutations++;
            if (c.status == Status.Refuted) return;
            bool wasVerified = c.status == Status.Verified;
            c.status = Status.Refuted;
            claimant.refuted += c.reward;
            if (wasVerified) {
                claimant.verified -= c.reward;
                _place(swarm, Board.VerifiedRewards, c.peer, claimant.verified + c.reward);
            }
            emit RewardRefuted(swarm, claim, c.reward, wasVerified, claimant.peerId);
        }
    }

    function hasAttested(bytes32 claim, address attester) external view returns (bool) {
        return attested[claim][attester];
    }

    // ---- winner votes ----

    /// `peerId` (the sender's) names up to MAX_WINNERS distinct registered peers as a round's winners,
    /// once per round, for the current round or an earlier one. Each named peer gets one win: wins are
    /// opinions counted, not results checked.
    function submitWinners(bytes32 swarm, uint256 round, string[] calldata winners, string calldata peerId) external {
        Swarm storage sw = _swarm(swarm);
        bytes32 voter = _ownPeer(swarm, peerId);
        if (round > sw.round) revert RoundNotReached(round, sw.round);
        if (winners.length == 0) revert NoWinners();
        if (winners.length > MAX_WINNERS) revert TooManyWinners(winners.length, MAX_WINNERS);
        if (voted[swarm][round][voter]) revert AlreadyVoted(round, peerId);
        voted[swarm][round][voter] = true;
        bytes32[] memory keys = new bytes32[](winners.length);
        for (uint256 i = 0; i < winners.length; i++) {
            keys[i] = _peerKey(winners[i]);
            for (uint256 j = 0; j < i; j++) if (keys[j] == keys[i]) revert DuplicateWinner(winners[i]);
            Peer storage w = peers[swarm][keys[i]];
            if (w.eoa == address(0)) revert PeerNotRegistered(winners[i]);
            w.wins++;
            _place(swarm, Board.Wins, keys[i], w.wins - 1);
        }
        uint256 cast = peers[swarm][voter].votes++;
        if (cast == 0) sw.voters++;
        _place(swarm, Board.Votes, voter, cast);
        emit WinnersSubmitted(swarm, round, peerId, winners);
    }

    function getTotalWins(bytes32 swarm, string calldata peerId) external view returns (uint256) {
        return peers[swarm][_peerKey(peerId)].wins;
    }

    function hasVoted(bytes32 swarm, uint256 round, string calldata peerId) external view returns (bool) {
        return voted[swarm][round][_peerKey(peerId)];
    }

    /// How many distinct peers have ever voted in the swarm.
    function uniqueVoters(bytes32 swarm) external view returns (uint256) {
        return _swarm(swarm).voters;
    }

    // ---- leaderboards ----

    /// Ranks [start, end) of the verified-reward leaderboard, with each peer's claimed and refuted totals.
    function rewardLeaderboard(bytes32 swarm, uint256 start, uint256 end) external view returns (PeerRow[] memory rows) {
        bytes32[] memory keys = _slice(swarm, Board.VerifiedRewards, start, end);
        rows = new PeerRow[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) rows[i] = _row(swarm, keys[i]);
    }

    function winnerLeaderboard(
        bytes32 swarm,
        uint256 start,
        uint256 end
    ) external view returns (string[] memory peerIds, uint256[] memory wins) {
        bytes32[] memory keys = _slice(swarm, Board.Wins, start, end);
        peerIds = new string[](keys.length);
        wins = new uint256[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            peerIds[i] = peers[swarm][keys[i]].peerId;
            wins[i] = peers[swarm][keys[i]].wins;
        }
    }

    function voterLeaderboard(
        bytes32 swarm,
        uint256 start,
        uint256 end
    ) external view returns (string[] memory peerIds, uint256[] memory votes) {
        bytes32[] memory keys = _slice(swarm, Board.Votes, start, end);
        peerIds = new string[](keys.length);
        votes = new uint256[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            peerIds[i] = peers[swarm][keys[i]].peerId;
            votes[i] = peers[swarm][keys[i]].votes;
        }
    }

    /// Places registered peers on the boards their totals earn. Anyone may call it: after a refutation
    /// lowers a peer on a full board, a peer outside it that now ranks higher takes its place at its next
    /// win or verified reward, or at once through this.
    function reconsider(bytes32 swarm, string[] calldata peerIds) external {
        _swarm(swarm);
        _batch(peerIds.length);
        for (uint256 i = 0; i < peerIds.length; i++) {
            bytes32 key = _peerKey(peerIds[i]);
            if (peers[swarm][key].eoa == address(0)) revert PeerNotRegistered(peerIds[i]);
            for (uint8 b = 0; b <= uint8(Board.Votes); b++) _place(swarm, Board(b), key, _value(swarm, Board(b), key));
        }
    }

    // ---- bootnodes ----

    /// Appends relay/bootnode multiaddrs; a client tries them in this order.
    function addBootnodes(bytes32 swarm, string[] calldata multiaddrs) external {
        _only(swarm, BOOTNODE_MANAGER_ROLE);
        string[] storage list = bootnodes[swarm];
        uint256 total = list.length + multiaddrs.length;
        if (total > MAX_BOOTNODES) revert TooManyBootnodes(total, MAX_BOOTNODES);
        for (uint256 i = 0; i < multiaddrs.length; i++) {
            uint256 length = bytes(multiaddrs[i]).length;
            if (length == 0) revert EmptyMultiaddr();
            if (length > MAX_MULTIADDR_BYTES) revert MultiaddrTooLong(length, MAX_MULTIADDR_BYTES);
            list.push(multiaddrs[i]);
        }
        emit BootnodesAdded(swarm, multiaddrs);
    }

    /// Removes one multiaddr, keeping the others in order.
    function removeBootnode(bytes32 swarm, uint256 index) external {
        _only(swarm, BOOTNODE_MANAGER_ROLE);
        string[] storage list = bootnodes[swarm];
        if (index >= list.length) revert NoSuchBootnode(index, list.length);
        string memory removed = list[index];
        for (uint256 i = index; i + 1 < list.length; i++) list[i] = list[i + 1];
        list.pop();
        emit BootnodeRemoved(swarm, index, removed);
    }

    function clearBootnodes(bytes32 swarm) external {
        _only(swarm, BOOTNODE_MANAGER_ROLE);
        delete bootnodes[swarm];
        emit BootnodesCleared(swarm);
    }

    function getBootnodes(bytes32 swarm) external view returns (string[] memory) {
        return bootnodes[swarm];
    }

    function getBootnodesCount(bytes32 swarm) external view returns (uint256) {
        return bootnodes[swarm].length;
    }

    // ---- internals ----

    function _swarm(bytes32 swarm) private view returns (Swarm storage sw) {
        sw = swarms[swarm];
        if (sw.stageCount == 0) revert NoSuchSwarm(swarm);
    }

    function _only(bytes32 swarm, bytes32 role) private view returns (Swarm storage sw) {
        sw = _swarm(swarm);
        if (!roles[swarm][role][msg.sender]) revert MissingRole(swarm, role, msg.sender);
    }

    function _knownRole(bytes32 role) private pure {
        if (role != OWNER_ROLE && role != STAGE_MANAGER_ROLE && role != BOOTNODE_MANAGER_ROLE) revert UnknownRole(role);
    }

    function _grant(bytes32 swarm, bytes32 role, address account) private {
        if (roles[swarm][role][account]) return;
        roles[swarm][role][account] = true;
        if (role == OWNER_ROLE) swarms[swarm].owners++;
        emit RoleGranted(swarm, role, account, msg.sender);
    }

    function _batch(uint256 count) private pure {
        if (count > MAX_BATCH) revert TooManyItems(count, MAX_BATCH);
    }

    function _peerKey(string calldata peerId) private pure returns (bytes32) {
        if (bytes(peerId).length > MAX_PEER_ID_BYTES) revert PeerIdTooLong(bytes(peerId).length, MAX_PEER_ID_BYTES);
        return keccak256(bytes(peerId));
    }

    /// The key of `peerId` when the sender registered it in `swarm`.
    function _ownPeer(bytes32 swarm, string calldata peerId) private view returns (bytes32 key) {
        key = _peerKey(peerId);
        address eoa = peers[swarm][key].eoa;
        if (eoa == address(0)) revert PeerNotRegistered(peerId);
        if (eoa != msg.sender) revert NotYourPeer(peerId, eoa);
    }

    function _row(bytes32 swarm, bytes32 key) private view returns (PeerRow memory) {
        Peer storage p = peers[swarm][key];
        return PeerRow(p.peerId, p.eoa, p.claimed, p.verified, p.refuted, p.wins, p.votes);
    }

    function _value(bytes32 swarm, Board board, bytes32 key) private view returns (uint256) {
        Peer storage p = peers[swarm][key];
        if (board == Board.VerifiedRewards) return p.verified;
        if (board == Board.Wins) return p.wins;
        return p.votes;
    }

    /// Re-ranks `key` on `board` after its value there was `oldValue` (Leaderboards._rank).
    function _place(bytes32 swarm, Board board, bytes32 key, uint256 oldValue) private {
        _rank(boards[swarm][board], peers[swarm][key].index, oldValue, _value(swarm, board, key));
    }

    /// The peers at ranks [start, end) of a board.
    function _slice(bytes32 swarm, Board board, uint256 start, uint256 end) private view returns (bytes32[] memory keys) {
        uint256[] storage list = boards[swarm][board];
        if (end > list.length) end = list.length;
        if (start >= end) return new bytes32[](0);
        keys = new bytes32[](end - start);
        for (uint256 i = 0; i < keys.length; i++)
            keys[i] = peerAt[swarm][_entryIndex(list[start + i])];
    }
}
