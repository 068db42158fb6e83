// SPDX-License-Identifier: Apache-2.0
// The Causeway gateway on an EVM chain (PROTOCOL.md sections 1-6): sends messages with per-lane
// sequences, and executes, skips and acknowledges them on EIP-712 votes of an attester set.
pragma solidity 0.8.30;

import {
    Message,
    ICausewayGateway,
    ICausewayReceiver,
    ICausewayAckReceiver,
    STATUS_OK,
    STATUS_RECEIVER_FAILED,
    STATUS_TIMED_OUT,
    STATUS_SKIPPED,
    FLAG_ORDERED
} from "./ICauseway.sol";

/// Rules that hold for every vote-taking call (deliver, execute, acknowledge[All], skip, rotate,
/// configure):
/// - it runs only while `block.chainid` equals the chain id seen at deployment (fork replay);
/// - a signature is 65 bytes r||s||v, v in {27, 28}, low s, recovering to a non-zero member of the
///   current epoch; signers are strictly increasing within one call (so none counts twice);
/// - votes accumulate across calls per (digest, epoch); a signer already recorded is ignored;
///   a rotation starts a new epoch, so votes of the old one stop counting;
/// - forged or malformed input reverts (the whole batch); stale input (already executed,
///   acknowledged, applied or rotated) is a no-op so racing relays never fail each other.
contract Gateway is ICausewayGateway {
    // ---- errors (named, so relays and tests can tell reasons apart) ----
    error WrongChainId(uint256 expected, uint256 actual);
    error GatewayPaused();
    error NotGuardian(address caller);
    error Reentrancy();
    error ZeroChainIdentity();
    error ZeroGuardian();
    error ZeroAttester();
    error AttestersNotSorted(address attester);
    error TooManyAttesters(uint256 count);
    error InvalidThreshold(uint16 threshold, uint256 members);
    error BadEpoch(uint64 expected, uint64 got);
    error EmptyBatch();
    error LengthMismatch();
    error UnsupportedVersion(uint8 version);
    error UnknownFlags(uint8 flags);
    error WrongDestinationChain(bytes32 dstChain);
    error WrongDestinationGateway(bytes32 dstGateway);
    error UntrustedSource(bytes32 srcChain, bytes32 srcGateway);
    error ZeroDestination();
    error ZeroPeer();
    error PayloadTooLarge(uint256 size, uint256 max);
    error GasLimitTooHigh(uint64 gasLimit, uint64 max);
    error BadSignatureLength(uint256 length);
    error BadSignatureV(uint8 v);
    error HighS(bytes32 s);
    error ZeroSigner();
    error SignersNotSorted(address previous, address signer);
    error NotMember(address signer);
    error BelowThreshold(bytes32 digest, uint256 votes, uint256 threshold);
    error NotNext(uint64 expected, uint64 sequence);
    error InsufficientGas(uint256 needed, uint256 available);
    error UnknownMessage(bytes32 id);
    error BadStatus(uint8 status);

    // ---- events beyond ICausewayGateway (diagnostics and governance) ----
    /// The receiver reverted or ran out of gas; `reason` is at most MAX_RETURN_COPY bytes.
    event ReceiverFailed(bytes32 indexed id, bytes reason);
    /// The sender's onCausewayAck failed; the status is stored anyway and the hook is not retried.
    event AckHookFailed(bytes32 indexed id, bytes reason);
    /// Votes were stored below threshold (or for an ordered message that is not next yet).
    event VotesRecorded(bytes32 indexed digest, uint64 indexed epoch, uint16 votes);
    event AttestersRotated(uint64 indexed epoch, address[] attesters, uint16 threshold);
    event PeerConfigured(
        bytes32 indexed srcChain, bytes32 indexed srcGateway, bool trusted, uint32 maxPayload, uint64 maxGas
    );
    event Paused(address guardian);
    event Unpaused(address guardian);

    // ---- constants ----
    uint8 public constant VERSION = 1;
    /// Bounds on send; each inbound lane has its own (tighter or equal) bounds set by Configure.
    uint256 public constant MAX_PAYLOAD = 32 * 1024;
    uint64 public constant MAX_GAS_LIMIT = 8_000_000;
    /// Gas the sender's onCausewayAck gets: enough for a token refund, too little to do harm.
    uint64 public constant ACK_GAS_LIMIT = 150_000;
    /// Gas kept back beyond gasLimit*64/63 for the call itself and the bookkeeping after it.
    uint256 public constant GAS_RESERVE = 20_000;
    /// At most this much of a failed callee's return data is copied (no return bomb).
    uint256 public constant MAX_RETURN_COPY = 256;
    uint256 public constant MAX_ATTESTERS = 255;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)");
    bytes32 private constant DELIVER_TYPEHASH = keccak256("Deliver(bytes32 id,bytes32 claim,uint64 epoch)");
    bytes32 private constant ACK_TYPEHASH = keccak256("Ack(bytes32 id,uint8 status,bytes32 claim,uint64 epoch)");
    bytes32 private constant SKIP_TYPEHASH = keccak256("Skip(bytes32 id,uint64 epoch)");
    bytes32 private constant ROTATE_TYPEHASH = keccak256("Rotate(address[] attesters,uint16 threshold,uint64 newEpoch)");
    bytes32 private constant CONFIGURE_TYPEHASH = keccak256(
        "Configure(bytes32 srcChain,bytes32 srcGateway,bool trusted,uint32 maxPayload,uint64 maxGas,uint64 epoch)"
    );
    /// secp256k1 order / 2: a larger s is the malleable twin of a valid signature.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    // ---- immutable identity ----
    bytes32 public immutable chainIdentity;
    uint256 public immutable evmChainId;
    address public immutable guardian;
    bytes32 public immutable domainSeparator;

    // ---- state ----
    // One storage slot: every vote-taking call reads these together.
    uint64 private _epoch;
    uint16 private _threshold;
    bool private _paused;
    bool private _entered;

    address[] private _attesters;
    /// The epoch in which an address was last made a member; membership means "== current epoch".
    mapping(address => uint64) private _memberEpoch;

    struct Tally {
        uint16 votes;
        mapping(address => bool) voted;
    }

    mapping(bytes32 digest => mapping(uint64 epoch => Tally)) private _tallies;

    struct Peer {
        bool trusted;
        uint32 maxPayload;
        uint64 maxGas;
    }

    mapping(bytes32 srcChain => mapping(bytes32 srcGateway => Peer)) private _peers;
    /// Configure digests already applied: without this anyone could replay an old configuration.
    mapping(bytes32 digest => bool) private _applied;

    /// Outbound lane key => last sequence sent.
    mapping(bytes32 lane => uint64) private _sentSequence;
    /// Inbound ordered lane key => last sequence executed (any status).
    mapping(bytes32 lane => uint64) private _doneSequence;
    /// Message id => execution status (0 = not executed).
    mapping(bytes32 id => uint8) private _executed;

    struct Outbound {
        address sender;
        uint8 ackStatus;
    }

    mapping(bytes32 id => Outbound) private _sent;

    modifier onHomeChain() {
        if (block.chainid != evmChainId) revert WrongChainId(evmChainId, block.chainid);
        _;
    }

    modifier whenNotPaused() {
        if (_paused) revert GatewayPaused();
        _;
    }

    // Receivers may call send() (an echo, a reply) but never re-enter execution or voting.
    modifier nonReentrant() {
        if (_entered) revert Reentrancy();
        _entered = true;
        _;
        _entered = false;
    }

    /// `attesters_` strictly increasing, 1 <= threshold_ <= members; epoch starts at 1.
    constructor(bytes32 chainIdentity_, address[] memory attesters_, uint16 threshold_, address guardian_) {
        if (chainIdentity_ == bytes32(0)) revert ZeroChainIdentity();
        if (guardian_ == address(0)) revert ZeroGuardian();
        chainIdentity = chainIdentity_;
        evmChainId = block.chainid;
        guardian = guardian_;
        domainSeparator = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("Causeway"), keccak256("1"), block.chainid, address(this), chainIdentity_
            )
        );
        _setAttesters(attesters_, threshold_, 1);
    }

    // =====================================================================================
    // Source side
    // =====================================================================================

    /// @inheritdoc ICausewayGateway
    function send(
        bytes32 dstChain,
        bytes32 dstGateway,
        bytes32 receiver,
        uint64 timeout,
        uint64 gasLimit,
        bool ordered,
        bytes calldata payload
    ) external whenNotPaused returns (bytes32 id) {
        if (dstChain == bytes32(0) || dstGateway == bytes32(0) || receiver == bytes32(0)) revert ZeroDestination();
        if (payload.length > MAX_PAYLOAD) revert PayloadTooLarge(payload.length, MAX_PAYLOAD);
        if (gasLimit > MAX_GAS_LIMIT) revert GasLimitTooHigh(gasLimit, MAX_GAS_LIMIT);
        uint64 sequence = ++_sentSequence[_outboundLane(dstChain, dstGateway, ordered)];
        Message memory m = Message({
            version: VERSION,
            srcChain: chainIdentity,
            srcGateway: _pad(address(this)),
            dstChain: dstChain,
            dstGateway: dstGateway,
            receiver: receiver,
            sequence: sequence,
            sender: _pad(msg.sender),
            timeout: timeout,
            gasLimit: gasLimit,
            flags: ordered ? FLAG_ORDERED : 0,
            payload: payload
        });
        id = _messageIdMemory(m);
        _sent[id].sender = msg.sender; // acknowledgements are accepted only for ids sent here
        emit MessageSent(id, dstChain, sequence, abi.encode(m));
    }

    /// One-shot per id; authorized by this gateway's attesters over Ack(id, status, claim, epoch).
    /// Stores the status first (applications can always pull it), then calls the sender's hook
    /// with ACK_GAS_LIMIT; a failing hook is recorded by AckHookFailed and not retried.
    function acknowledge(bytes32 id, uint8 status, bytes32 claim, bytes[] calldata signatures)
        external
        onHomeChain
        whenNotPaused
        nonReentrant
    {
        _acknowledge(id, status, claim, signatures);
    }

    /// `acknowledge` of several ids in one transaction, entry by entry with the same rules: one
    /// already acknowledged is a no-op, votes below threshold are stored; a forged or malformed
    /// entry (unknown id, bad status, bad vote) reverts the whole batch, as in `deliver`.
    function acknowledgeAll(
        bytes32[] calldata ids,
        uint8[] calldata statuses,
        bytes32[] calldata claims,
        bytes[][] calldata signatures
    ) external onHomeChain whenNotPaused nonReentrant {
        uint256 n = ids.length;
        if (n == 0) revert EmptyBatch();
        if (statuses.length != n || claims.length != n || signatures.length != n) revert LengthMismatch();
        for (uint256 i; i < n; ++i) {
            _acknowledge(ids[i], statuses[i], claims[i], signatures[i]);
        }
    }

    // =====================================================================================
    // Destination side
    // =====================================================================================

    /// Anyone may submit. Per entry: stale → no-op; enough votes (and next, if ordered) → execute;
    /// otherwise the votes are stored for a later call or `execute`. Forged entries revert all.
    function deliver(Message[] calldata msgs, bytes32[] calldata claims, bytes[][] calldata signatures)
        external
        onHomeChain
        whenNotPaused
        nonReentrant
    {
        uint256 n = msgs.length;
        if (n == 0) revert EmptyBatch();
        if (claims.length != n || signatures.length != n) revert LengthMismatch();
        uint64 current = _epoch;
        uint256 threshold_ = _threshold;
        for (uint256 i; i < n; ++i) {
            Message calldata m = msgs[i];
            bytes32 id = _checkDestination(m);
            if (_executed[id] != 0) continue; // replay, or another relay was faster
            _checkSource(m);
            bytes32 digest = deliverDigest(id, claims[i], current);
            (uint256 total, address[] memory fresh) = _count(digest, current, signatures[i]);
            // Votes are stored only when they are still needed later: executing now makes them moot.
            if (total >= threshold_ && _isNext(m)) _execute(m, id, claims[i], 0);
            else _record(digest, current, fresh, total);
        }
    }

    /// Executes a message whose Deliver votes (current epoch) already reached the threshold.
    function execute(Message calldata m, bytes32 claim) external onHomeChain whenNotPaused nonReentrant {
        bytes32 id = _checkDestination(m);
        if (_executed[id] != 0) return;
        _checkSource(m);
        uint64 current = _epoch;
        bytes32 digest = deliverDigest(id, claim, current);
        uint256 votes_ = _tallies[digest][current].votes;
        if (votes_ < _threshold) revert BelowThreshold(digest, votes_, _threshold);
        if (!_isNext(m)) revert NotNext(nextInbound(m.srcChain, m.srcGateway), m.sequence);
        _execute(m, id, claim, 0);
    }

    /// Marks a stuck or undeliverable message executed with status 4 (claim 0) on Skip votes,
    /// advancing its ordered lane. Source trust and bounds are not required: skipping is how a
    /// message that can never be delivered is released (and refunded by the ack).
    function skip(Message calldata m, bytes[] calldata signatures) external onHomeChain whenNotPaused nonReentrant {
        bytes32 id = _checkDestination(m);
        if (_executed[id] != 0) return;
        uint64 current = _epoch;
        bytes32 digest = skipDigest(id, current);
        (uint256 total, address[] memory fresh) = _count(digest, current, signatures);
        if (total >= _threshold && _isNext(m)) _execute(m, id, bytes32(0), STATUS_SKIPPED);
        else _record(digest, current, fresh, total);
    }

    // =====================================================================================
    // Governance: attester rotation, source registry, pause
    // =====================================================================================

    /// Replaces the attester set on Rotate votes of the current set; newEpoch must be epoch + 1.
    function rotate(address[] calldata attesters_, uint16 threshold_, uint64 newEpoch, bytes[] calldata signatures)
        external
        onHomeChain
        nonReentrant
    {
        uint64 current = _epoch;
        if (newEpoch <= current) return; // already rotated
        if (newEpoch != current + 1) revert BadEpoch(current + 1, newEpoch);
        _checkSet(attesters_, threshold_);
        bytes32 digest = rotateDigest(attesters_, threshold_, newEpoch);
        (uint256 total, address[] memory fresh) = _count(digest, current, signatures);
        if (total < _threshold) return _record(digest, current, fresh, total);
        _setAttesters(attesters_, threshold_, newEpoch);
    }

    /// Trusts (or distrusts) a source gateway and bounds its lanes, on Configure votes. Each
    /// distinct configuration applies once per epoch.
    function configure(
        bytes32 srcChain,
        bytes32 srcGateway,
        bool trusted,
        uint32 maxPayload,
        uint64 maxGas,
        bytes[] calldata signatures
    ) external onHomeChain nonReentrant {
        if (srcChain == bytes32(0) || srcGateway == bytes32(0)) revert ZeroPeer();
        uint64 current = _epoch;
        bytes32 digest = configureDigest(srcChain, srcGateway, trusted, maxPayload, maxGas, current);
        if (_applied[digest]) return;
        (uint256 total, address[] memory fresh) = _count(digest, current, signatures);
        if (total < _threshold) return _record(digest, current, fresh, total);
        _applied[digest] = true;
        _peers[srcChain][srcGateway] = Peer(trusted, maxPayload, maxGas);
        emit PeerConfigured(srcChain, srcGateway, trusted, maxPayload, maxGas);
    }

    /// The guardian can stop send, deliver, execute, skip and acknowledge; nothing else. Rotation
    /// and configuration stay open so the attesters can repair what made the pause necessary.
    function pause() external {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        _paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        _paused = false;
        emit Unpaused(msg.sender);
    }

    // =====================================================================================
    // Views
    // =====================================================================================

    function epoch() external view returns (uint64) {
        return _epoch;
    }

    function threshold() external view returns (uint16) {
        return _threshold;
    }

    function attesters() external view returns (address[] memory) {
        return _attesters;
    }

    function isMember(address account) external view returns (bool) {
        return _memberEpoch[account] == _epoch;
    }

    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc ICausewayGateway
    function ackStatus(bytes32 id) external view returns (uint8) {
        return _sent[id].ackStatus;
    }

    /// The application that sent `id` from here (zero if this gateway never sent it).
    function senderOf(bytes32 id) external view returns (address) {
        return _sent[id].sender;
    }

    function executed(bytes32 id) external view returns (bool) {
        return _executed[id] != 0;
    }

    /// 0 = not executed, else the status of MessageExecuted.
    function executionStatus(bytes32 id) external view returns (uint8) {
        return _executed[id];
    }

    /// The sequence the next send() on this outbound lane gets.
    function nextSequence(bytes32 dstChain, bytes32 dstGateway, bool ordered) external view returns (uint64) {
        return _sentSequence[_outboundLane(dstChain, dstGateway, ordered)] + 1;
    }

    /// The sequence the ordered lane from (srcChain, srcGateway) executes next.
    function nextInbound(bytes32 srcChain, bytes32 srcGateway) public view returns (uint64) {
        return _doneSequence[_inboundLane(srcChain, srcGateway)] + 1;
    }

    function peer(bytes32 srcChain, bytes32 srcGateway)
        external
        view
        returns (bool trusted, uint32 maxPayload, uint64 maxGas)
    {
        Peer memory p = _peers[srcChain][srcGateway];
        return (p.trusted, p.maxPayload, p.maxGas);
    }

    /// Distinct votes stored for `digest` in `epoch_` (votes that executed at once are not stored).
    function votes(bytes32 digest, uint64 epoch_) external view returns (uint16) {
        return _tallies[digest][epoch_].votes;
    }

    function hasVoted(bytes32 digest, uint64 epoch_, address attester) external view returns (bool) {
        return _tallies[digest][epoch_].voted[attester];
    }

    /// PROTOCOL.md section 2: keccak256 of the fields in order, the payload as its keccak256.
    function messageId(Message calldata m) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                m.version,
                m.srcChain,
                m.srcGateway,
                m.dstChain,
                m.dstGateway,
                m.receiver,
                m.sequence,
                m.sender,
                m.timeout,
                m.gasLimit,
                m.flags,
                keccak256(m.payload)
            )
        );
    }

    function deliverDigest(bytes32 id, bytes32 claim, uint64 epoch_) public view returns (bytes32) {
        return _typed(keccak256(abi.encode(DELIVER_TYPEHASH, id, claim, epoch_)));
    }

    function ackDigest(bytes32 id, uint8 status, bytes32 claim, uint64 epoch_) public view returns (bytes32) {
        return _typed(keccak256(abi.encode(ACK_TYPEHASH, id, status, claim, epoch_)));
    }

    function skipDigest(bytes32 id, uint64 epoch_) public view returns (bytes32) {
        return _typed(keccak256(abi.encode(SKIP_TYPEHASH, id, epoch_)));
    }

    function rotateDigest(address[] calldata attesters_, uint16 threshold_, uint64 newEpoch)
        public
        view
        returns (bytes32)
    {
        // EIP-712 encodes an array as keccak256 of its elements, each padded to 32 bytes.
        return _typed(keccak256(abi.encode(ROTATE_TYPEHASH, keccak256(abi.encodePacked(attesters_)), threshold_, newEpoch)));
    }

    function configureDigest(
        bytes32 srcChain,
        bytes32 srcGateway,
        bool trusted,
        uint32 maxPayload,
        uint64 maxGas,
        uint64 epoch_
    ) public view returns (bytes32) {
        return _typed(
            keccak256(abi.encode(CONFIGURE_TYPEHASH, srcChain, srcGateway, trusted, maxPayload, maxGas, epoch_))
        );
    }

    // =====================================================================================
    // Internals
    // =====================================================================================

    /// Checks what makes a message addressed to this gateway and returns its recomputed id.
    function _checkDestination(Message calldata m) private view returns (bytes32) {
        if (m.version != VERSION) revert UnsupportedVersion(m.version);
        if (m.flags & ~FLAG_ORDERED != 0) revert UnknownFlags(m.flags);
        if (m.dstChain != chainIdentity) revert WrongDestinationChain(m.dstChain);
        if (m.dstGateway != _pad(address(this))) revert WrongDestinationGateway(m.dstGateway);
        return messageId(m);
    }

    function _checkSource(Message calldata m) private view {
        Peer memory p = _peers[m.srcChain][m.srcGateway];
        if (!p.trusted) revert UntrustedSource(m.srcChain, m.srcGateway);
        if (m.payload.length > p.maxPayload) revert PayloadTooLarge(m.payload.length, p.maxPayload);
        if (m.gasLimit > p.maxGas) revert GasLimitTooHigh(m.gasLimit, p.maxGas);
    }

    function _isNext(Message calldata m) private view returns (bool) {
        return m.flags & FLAG_ORDERED == 0 || m.sequence == nextInbound(m.srcChain, m.srcGateway);
    }

    /// Marks `m` executed (state first), runs the receiver unless `forced` gives the status, emits.
    function _execute(Message calldata m, bytes32 id, bytes32 claim, uint8 forced) private {
        if (m.flags & FLAG_ORDERED != 0) _doneSequence[_inboundLane(m.srcChain, m.srcGateway)] = m.sequence;
        uint8 status = forced != 0 ? forced : _run(m, id);
        _executed[id] = status;
        emit MessageExecuted(id, m.srcChain, m.sequence, status, claim);
    }

    function _run(Message calldata m, bytes32 id) private returns (uint8) {
        if (m.timeout != 0 && block.timestamp > m.timeout) return STATUS_TIMED_OUT;
        // Never call ourselves (THREATS 19), a non-address, or an account without code.
        if (uint256(m.receiver) >> 160 != 0) return STATUS_RECEIVER_FAILED;
        address receiver = address(uint160(uint256(m.receiver)));
        if (receiver == address(this) || receiver.code.length == 0) return STATUS_RECEIVER_FAILED;
        // State before the call: a re-entering receiver finds the message already executed.
        _executed[id] = STATUS_OK;
        (bool ok, bytes memory reason) = _guardedCall(
            receiver, m.gasLimit, abi.encodeCall(ICausewayReceiver.onCausewayMessage, (m.srcChain, m.sender, m.payload))
        );
        if (ok) return STATUS_OK;
        emit ReceiverFailed(id, reason);
        return STATUS_RECEIVER_FAILED;
    }

    /// Calls `target` with exactly `gasLimit` gas, or reverts the whole transaction if that much
    /// cannot be guaranteed: under EIP-150 a callee gets at most 63/64 of what is left, so an
    /// under-gassed submission could otherwise turn a valid message into a failure (THREATS 28).
    /// Copies at most MAX_RETURN_COPY bytes of a failure's return data.
    function _guardedCall(address target, uint256 gasLimit, bytes memory data)
        private
        returns (bool ok, bytes memory reason)
    {
        uint256 needed = gasLimit * 64 / 63 + GAS_RESERVE;
        if (gasleft() < needed) revert InsufficientGas(needed, gasleft());
        uint256 maxCopy = MAX_RETURN_COPY;
        assembly ("memory-safe") {
            ok := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
            reason := mload(0x40)
            let size := 0
            if iszero(ok) {
                size := returndatasize()
                if gt(size, maxCopy) { size := maxCopy }
            }
            mstore(reason, size)
            returndatacopy(add(reason, 0x20), 0, size)
            mstore(0x40, add(add(reason, 0x20), and(add(size, 31), not(31))))
        }
    }

    /// Verifies `signatures` over `digest` and returns the distinct member votes for
    /// (digest, epoch_) including earlier calls, and the signers not recorded before.
    function _count(bytes32 digest, uint64 epoch_, bytes[] calldata signatures)
        private
        view
        returns (uint256 total, address[] memory fresh)
    {
        Tally storage tally = _tallies[digest][epoch_];
        fresh = new address[](signatures.length);
        uint256 n;
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            address signer = _recover(digest, signatures[i]);
            // Strictly increasing: a signer can appear only once (THREATS 3).
            if (signer <= previous) revert SignersNotSorted(previous, signer);
            previous = signer;
            if (_memberEpoch[signer] != epoch_) revert NotMember(signer);
            if (!tally.voted[signer]) fresh[n++] = signer;
        }
        assembly ("memory-safe") {
            mstore(fresh, n)
        }
        total = tally.votes + n;
    }

    function _acknowledge(bytes32 id, uint8 status, bytes32 claim, bytes[] calldata signatures) private {
        Outbound storage out = _sent[id];
        address sender = out.sender;
        if (sender == address(0)) revert UnknownMessage(id);
        if (status == 0 || status > STATUS_SKIPPED) revert BadStatus(status);
        if (out.ackStatus != 0) return; // already acknowledged
        uint64 current = _epoch;
        bytes32 digest = ackDigest(id, status, claim, current);
        (uint256 total, address[] memory fresh) = _count(digest, current, signatures);
        if (total < _threshold) return _record(digest, current, fresh, total);

        out.ackStatus = status;
        emit Acknowledged(id, status, claim);
        if (sender.code.length == 0) return;
        (bool ok, bytes memory reason) =
            _guardedCall(sender, ACK_GAS_LIMIT, abi.encodeCall(ICausewayAckReceiver.onCausewayAck, (id, status)));
        if (!ok) emit AckHookFailed(id, reason);
    }

    function _record(bytes32 digest, uint64 epoch_, address[] memory fresh, uint256 total) private {
        if (fresh.length == 0) return;
        Tally storage tally = _tallies[digest][epoch_];
        for (uint256 i; i < fresh.length; ++i) {
            tally.voted[fresh[i]] = true;
        }
        tally.votes = uint16(total); // total <= members <= MAX_ATTESTERS
        emit VotesRecorded(digest, epoch_, uint16(total));
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        if (signature.length != 65) revert BadSignatureLength(signature.length);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) revert BadSignatureV(v);
        if (uint256(s) > HALF_ORDER) revert HighS(s);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert ZeroSigner();
    }

    function _checkSet(address[] memory set, uint16 threshold_) private pure {
        if (set.length > MAX_ATTESTERS) revert TooManyAttesters(set.length);
        if (threshold_ == 0 || threshold_ > set.length) revert InvalidThreshold(threshold_, set.length);
        address previous;
        for (uint256 i; i < set.length; ++i) {
            if (set[i] == address(0)) revert ZeroAttester();
            if (set[i] <= previous) revert AttestersNotSorted(set[i]); // also rejects duplicates
            previous = set[i];
        }
    }

    function _setAttesters(address[] memory set, uint16 threshold_, uint64 newEpoch) private {
        _checkSet(set, threshold_);
        _attesters = set;
        for (uint256 i; i < set.length; ++i) {
            _memberEpoch[set[i]] = newEpoch;
        }
        _epoch = newEpoch;
        _threshold = threshold_;
        emit AttestersRotated(newEpoch, set, threshold_);
    }

    function _typed(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
    }

    // The same formula as messageId for a message built in memory (send): Solidity cannot overload
    // on data location, and taking `memory` in messageId would copy every delivered payload.
    function _messageIdMemory(Message memory m) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                m.version,
                m.srcChain,
                m.srcGateway,
                m.dstChain,
                m.dstGateway,
                m.receiver,
                m.sequence,
                m.sender,
                m.timeout,
                m.gasLimit,
                m.flags,
                keccak256(m.payload)
            )
        );
    }

    function _outboundLane(bytes32 dstChain, bytes32 dstGateway, bool ordered) private pure returns (bytes32) {
        return keccak256(abi.encode(dstChain, dstGateway, ordered));
    }

    /// Only ordered inbound lanes keep a sequence; unordered ones rely on the id alone.
    function _inboundLane(bytes32 srcChain, bytes32 srcGateway) private pure returns (bytes32) {
        return keccak256(abi.encode(srcChain, srcGateway));
    }

    function _pad(address account) private pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }
}
