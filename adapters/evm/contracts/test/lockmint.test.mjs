// The example applications end to end across two real anvil chains: lock-and-mint (LockBox,
// MintBridge, TestToken) and PingEcho, with this file playing the relay (THREATS 17, 23).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as h from "./harness.mjs";

const { ethers } = h;
const CAP = 1000n;
const PERIOD = 3600n;
let A, B; // chains
let gwA, gwB; // gateway fixtures
let token, lockBox, mintBridge, wrapped;
let user; // funded account 1, the same address on both chains

before(async () => {
  [A, B] = await Promise.all([h.startChain({ chainId: 31337 }), h.startChain({ chainId: 31338 })]);
  gwA = await h.deployGateway(A, { keys: h.attesterKeys(3, "a"), threshold: 2 });
  gwB = await h.deployGateway(B, { keys: h.attesterKeys(3, "b"), threshold: 2 });
  await gwA.trust(B.identity, h.pad(gwB.address));
  await gwB.trust(A.identity, h.pad(gwA.address));

  token = await h.deploy(A, "TestToken", ["Test", "TST"]);
  lockBox = await h.deploy(A, "LockBox", [gwA.address, token.target]);
  mintBridge = await h.deploy(B, "MintBridge", [gwB.address, "Wrapped Test", "wTST", CAP, PERIOD]);
  wrapped = await h.at(B, "TestToken", await mintBridge.token());
  await h.send(lockBox.register(B.identity, h.pad(gwB.address), h.pad(mintBridge.target)));
  await h.send(mintBridge.register(A.identity, h.pad(gwA.address), h.pad(lockBox.target)));

  user = await (await A.signer(1)).getAddress();
  await h.send(token.mint(user, 1_000_000n));
  await h.send(token.connect(await A.signer(1)).approve(lockBox.target, ethers.MaxUint256));
  await h.send(wrapped.connect(await B.signer(1)).approve(mintBridge.target, ethers.MaxUint256));
});
after(async () => Promise.all([A?.stop(), B?.stop()]));

async function lock(amount, { timeout = 0n, box = lockBox } = {}) {
  const r = await h.send(box.connect(await A.signer(1)).lock(amount, h.pad(user), timeout));
  return { r, id: h.sentIn(r, gwA.contract)[0].id };
}

/// Relays the message of `r` from A to B and its outcome back; returns { status, delivered, acked }.
async function roundTrip(r) {
  const [delivered] = await h.relayMessages(r, gwA, gwB);
  const [acked] = await h.relayAcks(delivered, gwB, gwA);
  return { status: h.executedIn(delivered, gwB.contract)[0].status, delivered, acked };
}

/// Starts a fresh cap period on B so tests do not depend on each other's minting.
async function freshPeriod() {
  await h.setNextTimestamp(B, (await h.latestTimestamp(B)) + PERIOD + 1n);
  await B.rpc("evm_mine", []);
}

test("lock → mint → burn → unlock round trip conserves value", async () => {
  await freshPeriod();
  const before = await token.balanceOf(user);
  const { r } = await lock(100n);
  assert.equal(await token.balanceOf(lockBox.target), 100n);
  const { status } = await roundTrip(r);
  assert.equal(status, 1);
  assert.equal(await wrapped.balanceOf(user), 100n);
  assert.equal(await mintBridge.mintedInPeriod(), 100n);

  const burn = await h.send(mintBridge.connect(await B.signer(1)).burn(40n, h.pad(user), 0n));
  assert.equal(await wrapped.totalSupply(), 60n);
  const [unlocked] = await h.relayMessages(burn, gwB, gwA);
  assert.equal(h.executedIn(unlocked, gwA.contract)[0].status, 1);
  await h.relayAcks(unlocked, gwA, gwB);
  assert.equal(await token.balanceOf(user), before - 60n);
  assert.equal(await token.balanceOf(lockBox.target), await wrapped.totalSupply(), "locked on A == minted on B");
});

test("forged mint: only the registered LockBox, through the gateway, can mint", async () => {
  await h.expectRevert(
    async () => mintBridge.onCausewayMessage(A.identity, h.pad(lockBox.target), ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [h.pad(user), 5n])),
    "NotGateway",
  );
  // A genuine message from another application on A, carrying a mint payload: delivered, and
  // refused by MintBridge (status 2); nothing is minted.
  const impostor = await h.deploy(A, "MockSender", [gwA.address]);
  const payload = ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [h.pad(user), 500n]);
  const sent = await h.send(impostor.sendVia(B.identity, h.pad(gwB.address), h.pad(mintBridge.target), 0, 200_000, false, payload));
  const supply = await wrapped.totalSupply();
  const [delivered] = await h.relayMessages(sent, gwA, gwB);
  assert.equal(h.executedIn(delivered, gwB.contract)[0].status, 2);
  const reason = h.eventsOf(delivered, gwB.contract, "ReceiverFailed")[0].args.reason;
  assert.equal(mintBridge.interface.parseError(reason).name, "NotPeer");
  assert.equal(await wrapped.totalSupply(), supply);
  // And a LockBox unlock message forged the same way on B is refused on A.
  const impostorB = await h.deploy(B, "MockSender", [gwB.address]);
  const sentB = await h.send(impostorB.sendVia(A.identity, h.pad(gwA.address), h.pad(lockBox.target), 0, 200_000, false, payload));
  const [deliveredA] = await h.relayMessages(sentB, gwB, gwA);
  assert.equal(h.executedIn(deliveredA, gwA.contract)[0].status, 2);
});

test("per-period cap: a mint over the cap fails, the lock is refunded; the next period mints", async () => {
  await freshPeriod();
  const start = await token.balanceOf(user);
  assert.equal((await roundTrip((await lock(600n)).r)).status, 1);
  const { r, id } = await lock(600n);
  const { status, delivered } = await roundTrip(r);
  assert.equal(status, 2);
  const reason = h.eventsOf(delivered, gwB.contract, "ReceiverFailed")[0].args.reason;
  assert.equal(mintBridge.interface.parseError(reason).name, "CapExceeded");
  assert.equal(await gwA.contract.ackStatus(id), 2n);
  assert.equal(await token.balanceOf(user), start - 600n, "the second lock came back");
  await freshPeriod();
  assert.equal((await roundTrip((await lock(600n)).r)).status, 1);
  assert.equal(await token.balanceOf(user), start - 1200n);
});

test("a timed-out lock is refunded exactly once: by the hook, and claimRefund then refuses", async () => {
  const start = await token.balanceOf(user);
  const deadline = (await h.latestTimestamp(B)) + 10n;
  const { r, id } = await lock(70n, { timeout: deadline });
  await h.setNextTimestamp(B, deadline + 1n);
  const { status, delivered } = await roundTrip(r);
  assert.equal(status, 3);
  assert.equal(await token.balanceOf(user), start);
  await h.expectRevert(() => lockBox.claimRefund(id), "NothingToRefund");
  const [again] = await h.relayAcks(delivered, gwB, gwA); // a second ack: one-shot no-op
  assert.deepEqual(h.eventsOf(again, gwA.contract, "Acknowledged"), []);
  assert.equal(await token.balanceOf(user), start);
});

test("when the refund hook fails, claimRefund pays once from the stored ack status", async () => {
  const moody = await h.deploy(A, "MoodyToken", []);
  const box = await h.deploy(A, "LockBox", [gwA.address, moody.target]);
  // Its peer on B is not MintBridge's registered LockBox, so every mint is refused (status 2).
  await h.send(box.register(B.identity, h.pad(gwB.address), h.pad(mintBridge.target)));
  await h.send(moody.mint(user, 50n));
  await h.send(moody.connect(await A.signer(1)).approve(box.target, 50n));
  const { r, id } = await lock(50n, { box });
  await h.expectRevert(() => box.claimRefund(id), "NotRefundable");
  await h.send(moody.setMoody(true));
  const { status, acked } = await roundTrip(r);
  assert.equal(status, 2);
  assert.equal(h.eventsOf(acked, gwA.contract, "AckHookFailed").length, 1);
  assert.equal(await moody.balanceOf(user), 0n);
  await h.send(moody.setMoody(false));
  await h.send(box.claimRefund(id)); // anyone may pull it; the owner gets it
  assert.equal(await moody.balanceOf(user), 50n);
  await h.expectRevert(() => box.claimRefund(id), "NothingToRefund");
});

test("PingEcho: a ping is counted and echoed, and its acknowledgement recorded", async () => {
  const pa = await h.deploy(A, "PingEcho", [gwA.address]);
  const pb = await h.deploy(B, "PingEcho", [gwB.address]);
  await h.send(pa.setRemoteGateway(B.identity, h.pad(gwB.address)));
  await h.send(pb.setRemoteGateway(A.identity, h.pad(gwA.address)));
  const sent = await h.send(pa.ping(B.identity, h.pad(pb.target), false, "0x68656c6c6f"));
  const [pingId] = h.sentIn(sent, gwA.contract).map((s) => s.id);
  const [delivered] = await h.relayMessages(sent, gwA, gwB);
  assert.equal(h.executedIn(delivered, gwB.contract)[0].status, 1);
  assert.equal(await pb.pings(), 1n);
  const [echoed] = await h.relayMessages(delivered, gwB, gwA); // the echo was sent during delivery
  assert.equal(await pa.echoes(), 1n);
  assert.equal(await pa.lastData(), "0x68656c6c6f");
  await h.relayAcks(delivered, gwB, gwA);
  assert.equal(await pa.acks(pingId), 1n);
  await h.relayAcks(echoed, gwA, gwB);
});
