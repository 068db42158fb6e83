// SPDX-License-Identifier: Apache-2.0
// The half of a lock-and-mint bridge that LockBox (chain A) and MintBridge (chain B) share: one
// registered peer, sending value as a message, releasing value on the peer's messages, and
// refunding a send exactly once when the destination reports it failed (ack status 2, 3 or 4).
pragma solidity 0.8.30;

import {
    ICausewayGateway,
    ICausewayReceiver,
    ICausewayAckReceiver,
    STATUS_RECEIVER_FAILED,
    STATUS_TIMED_OUT,
    STATUS_SKIPPED
} from "./ICauseway.sol";

abstract contract TokenBridge is ICausewayReceiver, ICausewayAckReceiver {
    event PeerRegistered(bytes32 peerChain, bytes32 peerGateway, bytes32 peerBridge);
    event ValueSent(bytes32 indexed id, address indexed owner, bytes32 recipient, uint256 amount);
    event ValueReleased(address indexed recipient, uint256 amount);
    event Refunded(bytes32 indexed id, address indexed owner, uint256 amount);

    error NotGateway(address caller);
    error NotDeployer(address caller);
    error AlreadyRegistered();
    error NotRegistered();
    error NotPeer(bytes32 srcChain, bytes32 sender);
    error BadRecipient(bytes32 recipient);
    error ZeroAmount();
    error NotRefundable(bytes32 id, uint8 status);
    error NothingToRefund(bytes32 id);
    error TransferFailed();

    /// Gas the peer's onCausewayMessage gets: a mint or a transfer, with room to spare.
    uint64 public constant MESSAGE_GAS = 200_000;

    ICausewayGateway public immutable gateway;
    address private immutable _deployer;

    // The peer bridge, behind its gateway on its chain. Set once: a peer that one key could
    // change later would let that key drain the bridge.
    bytes32 public peerChain;
    bytes32 public peerGateway;
    bytes32 public peerBridge;

    struct Pending {
        address owner;
        uint256 amount;
    }

    /// Sends whose outcome is not yet acknowledged; deleted when settled or refunded.
    mapping(bytes32 id => Pending) public pending;

    modifier onlyGateway() {
        if (msg.sender != address(gateway)) revert NotGateway(msg.sender);
        _;
    }

    constructor(address gateway_) {
        gateway = ICausewayGateway(gateway_);
        _deployer = msg.sender;
    }

    /// Wires this bridge to its peer (chain identity, gateway and bridge, addresses left-padded).
    function register(bytes32 peerChain_, bytes32 peerGateway_, bytes32 peerBridge_) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (peerBridge != bytes32(0)) revert AlreadyRegistered();
        if (peerChain_ == bytes32(0) || peerGateway_ == bytes32(0) || peerBridge_ == bytes32(0)) revert NotRegistered();
        (peerChain, peerGateway, peerBridge) = (peerChain_, peerGateway_, peerBridge_);
        emit PeerRegistered(peerChain_, peerGateway_, peerBridge_);
    }

    /// Releases value only on a message from the registered peer on the registered chain. (The
    /// gateway itself accepts messages only from source gateways its attesters configured.)
    /// A revert here makes the gateway record status 2, and the peer refunds the sender.
    function onCausewayMessage(bytes32 srcChain, bytes32 sender, bytes calldata payload) external onlyGateway {
        if (srcChain != peerChain || sender != peerBridge || sender == bytes32(0)) revert NotPeer(srcChain, sender);
        (bytes32 recipient, uint256 amount) = abi.decode(payload, (bytes32, uint256));
        if (recipient == bytes32(0) || uint256(recipient) >> 160 != 0) revert BadRecipient(recipient);
        address to = address(uint160(uint256(recipient)));
        _release(to, amount);
        emit ValueReleased(to, amount);
    }

    /// The push path of a refund. If it fails (the gateway does not retry), claimRefund remains.
    function onCausewayAck(bytes32 id, uint8 status) external onlyGateway {
        if (pending[id].owner == address(0)) return;
        if (_failed(status)) _refund(id);
        else delete pending[id]; // delivered: nothing left to refund
    }

    /// The pull path: anyone may trigger the refund of a failed send, reading the status the
    /// gateway stored, so a refund can never be lost to a failed hook.
    function claimRefund(bytes32 id) external {
        uint8 status = gateway.ackStatus(id);
        if (!_failed(status)) revert NotRefundable(id, status);
        _refund(id);
    }

    function _send(address owner, bytes32 recipient, uint256 amount, uint64 timeout) internal returns (bytes32 id) {
        if (peerBridge == bytes32(0)) revert NotRegistered();
        if (amount == 0) revert ZeroAmount();
        id = gateway.send(peerChain, peerGateway, peerBridge, timeout, MESSAGE_GAS, false, abi.encode(recipient, amount));
        pending[id] = Pending(owner, amount);
        emit ValueSent(id, owner, recipient, amount);
    }

    function _refund(bytes32 id) private {
        Pending memory p = pending[id];
        if (p.owner == address(0)) revert NothingToRefund(id);
        delete pending[id]; // before paying: exactly once, even if the token calls back
        _payBack(p.owner, p.amount);
        emit Refunded(id, p.owner, p.amount);
    }

    function _failed(uint8 status) private pure returns (bool) {
        return status == STATUS_RECEIVER_FAILED || status == STATUS_TIMED_OUT || status == STATUS_SKIPPED;
    }

    /// Pays out value that arrived from the peer.
    function _release(address to, uint256 amount) internal virtual;

    /// Gives back value whose send failed.
    function _payBack(address to, uint256 amount) internal virtual;
}
