// Sending, acknowledgements, skips, attester rotation, source configuration, construction rules
// and the guardian (PROTOCOL.md sections 2, 3, 5, 6; THREATS 2, 23, 28).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as h from "./harness.mjs";

const { ethers } = h;
let chain;
let guardian;

before(async () => {
  chain = await h.startChain();
  guardian = await chain.signer(9); // deployGateway's default guardian
});
after(async () => chain?.stop());

const DST = { chain: ethers.id("causeway-test-destination"), gateway: h.pad("0x0000000000000000000000000000000000000D57") };
const HOOK = { RECORD: 0, REVERT: 1, BURN: 2, BOMB: 3 };

/// A gateway (3 attesters, threshold 2) and a MockSender that has sent one message through it.
async function sentOne({ ordered = false } = {}) {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(3), threshold: 2 });
  const app = await h.deploy(chain, "MockSender", [gw.address]);
  const r = await h.send(app.sendVia(DST.chain, DST.gateway, h.pad(app.target), 0, 100_000, ordered, "0x5157"));
  const [sent] = h.sentIn(r, gw.contract);
  return { gw, g: gw.contract, keys: gw.keys, app, ...sent };
}

function ackSigs(gw, keys, id, status, claim, epoch = 1n) {
  return gw.sign(keys, "Ack", { id, status, claim, epoch });
}

// ---------------------------------------------------------------------------------------------
// send
// ---------------------------------------------------------------------------------------------

test("send emits MessageSent with abi.encode(Message), an id equal to ethers', and remembers the sender", async () => {
  const { gw, g, app, id, msg } = await sentOne();
  assert.equal(h.messageId(msg), id);
  assert.equal(await g.messageId(msg), id);
  assert.deepEqual(
    [msg.version, msg.srcChain, msg.srcGateway, msg.dstChain, msg.dstGateway, msg.sender, msg.sequence, msg.flags],
    [1, chain.identity, h.pad(gw.address), DST.chain, DST.gateway, h.pad(app.target), 1n, 0],
  );
  assert.equal(await g.senderOf(id), app.target);
});

test("each lane (destination chain, gateway, ordered flag) counts its own sequence from 1", async () => {
  const gw = await h.deployGateway(chain);
  const g = gw.contract;
  const other = ethers.id("other destination");
  const seqs = [];
  for (const [dst, ordered] of [[DST.chain, false], [DST.chain, false], [DST.chain, true], [other, false], [DST.chain, true]]) {
    const r = await h.send(g.send(dst, DST.gateway, DST.gateway, 0, 50_000, ordered, "0x"));
    seqs.push(h.sentIn(r, g)[0].msg.sequence);
  }
  assert.deepEqual(seqs, [1n, 2n, 1n, 1n, 2n]);
  assert.equal(await g.nextSequence(DST.chain, DST.gateway, true), 3n);
});

test("send refuses payloads and gas limits beyond the gateway bounds, and zero destinations", async () => {
  const gw = await h.deployGateway(chain);
  const g = gw.contract;
  const max = await g.MAX_PAYLOAD();
  await h.expectRevert(() => g.send(DST.chain, DST.gateway, DST.gateway, 0, 1, false, new Uint8Array(Number(max) + 1)), "PayloadTooLarge");
  await h.expectRevert(async () => g.send(DST.chain, DST.gateway, DST.gateway, 0, (await g.MAX_GAS_LIMIT()) + 1n, false, "0x"), "GasLimitTooHigh");
  await h.expectRevert(() => g.send(ethers.ZeroHash, DST.gateway, DST.gateway, 0, 1, false, "0x"), "ZeroDestination");
});

// ---------------------------------------------------------------------------------------------
// acknowledge
// ---------------------------------------------------------------------------------------------

test("an ack for an id this gateway never sent reverts UnknownMessage", async () => {
  const { gw, g, keys } = await sentOne();
  const id = ethers.id("never sent");
  await h.expectRevert(async () => g.acknowledge(id, 1, ethers.id("c"), await ackSigs(gw, keys.slice(0, 2), id, 1, ethers.id("c"))), "UnknownMessage");
});

test("an ack stores the status, emits Acknowledged, calls the hook once; a second ack is a no-op", async () => {
  const { gw, g, keys, app, id } = await sentOne();
  const claim = ethers.id("ack-claim");
  const r = await h.send(g.acknowledge(id, 2, claim, await ackSigs(gw, keys.slice(0, 2), id, 2, claim)));
  assert.equal(h.eventsOf(r, g, "Acknowledged")[0].args.status, 2n);
  assert.equal(await g.ackStatus(id), 2n);
  assert.equal(await app.acks(id), 2n);
  const other = ethers.id("other-claim");
  const again = await h.send(g.acknowledge(id, 1, other, await ackSigs(gw, keys, id, 1, other)));
  assert.deepEqual(h.eventsOf(again, g, "Acknowledged"), []);
  assert.equal(await g.ackStatus(id), 2n, "one-shot: the first status stays");
  assert.equal(await app.hookCalls(), 1n);
});

test("an ack below threshold is stored and completed by a later call", async () => {
  const { gw, g, keys, id } = await sentOne();
  const claim = ethers.id("ack-partial");
  await h.send(g.acknowledge(id, 1, claim, await ackSigs(gw, [keys[0]], id, 1, claim)));
  assert.equal(await g.ackStatus(id), 0n);
  await h.send(g.acknowledge(id, 1, claim, await ackSigs(gw, [keys[1]], id, 1, claim)));
  assert.equal(await g.ackStatus(id), 1n);
});

test("an ack with status 0 or 5 reverts BadStatus", async () => {
  const { g, id } = await sentOne();
  await h.expectRevert(() => g.acknowledge(id, 0, ethers.ZeroHash, []), "BadStatus");
  await h.expectRevert(() => g.acknowledge(id, 5, ethers.ZeroHash, []), "BadStatus");
});

for (const [name, mode] of [["reverts", HOOK.REVERT], ["burns all its gas", HOOK.BURN], ["returns a bomb", HOOK.BOMB]]) {
  test(`a hook that ${name} is recorded by AckHookFailed, the status stays stored`, async () => {
    const { gw, g, keys, app, id } = await sentOne();
    await h.send(app.setMode(mode));
    const claim = ethers.id("hook");
    const r = await h.send(g.acknowledge(id, 3, claim, await ackSigs(gw, keys.slice(0, 2), id, 3, claim)));
    const [failed] = h.eventsOf(r, g, "AckHookFailed");
    assert.ok(failed, "AckHookFailed emitted");
    assert.ok(ethers.dataLength(failed.args.reason) <= 256);
    assert.equal(await g.ackStatus(id), 3n);
    assert.equal(await app.hookCalls(), 0n);
  });
}

test("an under-gassed acknowledgement reverts InsufficientGas and stores nothing", async () => {
  const { gw, g, keys, id } = await sentOne();
  const claim = ethers.id("ack-gas");
  const sigs = await ackSigs(gw, keys.slice(0, 2), id, 1, claim);
  const starved = { gasLimit: 120_000n }; // below ACK_GAS_LIMIT * 64/63 + reserve
  await h.expectRevert(() => g.acknowledge.staticCall(id, 1, claim, sigs, starved), "InsufficientGas");
  await assert.rejects(h.send(g.acknowledge(id, 1, claim, sigs, starved)));
  assert.equal(await g.ackStatus(id), 0n);
  await h.send(g.acknowledge(id, 1, claim, sigs));
  assert.equal(await g.ackStatus(id), 1n);
});

// ---------------------------------------------------------------------------------------------
// skip
// ---------------------------------------------------------------------------------------------

test("skip marks a stuck ordered message status 4 with claim 0 and unblocks its lane", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const { gw, g, keys } = ctx;
  const m1 = h.inbound(gw, { receiver: ctx.to, flags: 1, sequence: 1n, payload: "0x01" });
  const m2 = h.inbound(gw, { receiver: ctx.to, flags: 1, sequence: 2n, payload: "0x02" });
  const [id1, id2] = [h.messageId(m1), h.messageId(m2)];
  const c2 = ethers.id("after-skip");
  await h.send(g.deliver([m2], [c2], [await gw.deliverSigs(keys.slice(0, 2), id2, c2)])); // waits for 1
  await h.send(g.skip(m1, await gw.sign([keys[0]], "Skip", { id: id1, epoch: 1n })));
  assert.equal(await g.executed(id1), false, "one Skip vote is below threshold: stored");
  const r = await h.send(g.skip(m1, await gw.sign([keys[2]], "Skip", { id: id1, epoch: 1n })));
  assert.deepEqual(h.executedIn(r, g), [{ id: id1, status: 4, claim: ethers.ZeroHash, sequence: 1n }]);
  assert.equal(await ctx.receiver.count(), 0n, "a skipped message never reaches its receiver");
  const r2 = await h.send(g.execute(m2, c2));
  assert.equal(h.executedIn(r2, g)[0].status, 1);
  const late = await h.send(g.deliver([m1], [ethers.id("late")], [await gw.deliverSigs(keys, id1, ethers.id("late"))]));
  assert.deepEqual(h.executedIn(late, g), [], "a skipped id is executed: delivery is a no-op");
});

// ---------------------------------------------------------------------------------------------
// rotate
// ---------------------------------------------------------------------------------------------

async function rotateSigs(gw, signers, set, threshold, newEpoch) {
  return gw.sign(signers, "Rotate", { attesters: set.map((k) => k.address), threshold, newEpoch });
}

test("rotation without approval changes nothing: no votes is a no-op, outsiders revert NotMember", async () => {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(3), threshold: 2 });
  const g = gw.contract;
  const next = h.attesterKeys(2, "next");
  const set = next.map((k) => k.address);
  await h.send(g.rotate(set, 1, 2, []));
  assert.equal(await g.epoch(), 1n);
  await h.expectRevert(async () => g.rotate(set, 1, 2, await rotateSigs(gw, next, next, 1, 2n)), "NotMember");
  await h.send(g.rotate(set, 1, 2, await rotateSigs(gw, [gw.keys[0]], next, 1, 2n)));
  assert.equal(await g.epoch(), 1n, "one vote of threshold 2 is stored, not applied");
  assert.deepEqual([...(await g.attesters())], gw.keys.map((k) => k.address));
});

test("rotation to threshold 0, threshold > members, duplicate, zero or unsorted members reverts", async () => {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(3), threshold: 2 });
  const g = gw.contract;
  const [a, b] = h.attesterKeys(2, "next").map((k) => k.address);
  await h.expectRevert(() => g.rotate([a, b], 0, 2, []), "InvalidThreshold");
  await h.expectRevert(() => g.rotate([a, b], 3, 2, []), "InvalidThreshold");
  await h.expectRevert(() => g.rotate([a, a], 1, 2, []), "AttestersNotSorted");
  await h.expectRevert(() => g.rotate([b, a], 1, 2, []), "AttestersNotSorted");
  await h.expectRevert(() => g.rotate([ethers.ZeroAddress, a], 1, 2, []), "ZeroAttester");
  await h.expectRevert(() => g.rotate([a, b], 1, 3, []), "BadEpoch");
});

test("after a rotation, votes of the old epoch no longer count and old members are outsiders", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const { gw, g, keys } = ctx;
  const m = h.inbound(gw, { receiver: ctx.to });
  const id = h.messageId(m);
  const claim = ethers.id("old-epoch");
  await h.send(g.deliver([m], [claim], [await gw.deliverSigs([keys[0]], id, claim)])); // epoch 1 vote
  const next = h.attesterKeys(2, "next");
  const r = await h.send(g.rotate(next.map((k) => k.address), 2, 2, await rotateSigs(gw, keys.slice(1, 3), next, 2, 2n)));
  assert.equal(h.eventsOf(r, g, "AttestersRotated")[0].args.epoch, 2n);
  assert.equal(await g.epoch(), 2n);
  assert.equal(await g.isMember(keys[0].address), false);
  // One new vote plus the stored old one would make 2: the old one must not count.
  await h.send(g.deliver([m], [claim], [await gw.deliverSigs([next[0]], id, claim, 2n)]));
  assert.equal(await g.executed(id), false);
  await h.expectRevert(async () => g.deliver([m], [claim], [await gw.deliverSigs([keys[1]], id, claim, 2n)]), "NotMember");
  // A signature made for epoch 1 recovers to someone else under the epoch-2 digest.
  await h.expectRevert(async () => g.deliver([m], [claim], [await gw.deliverSigs([next[1]], id, claim, 1n)]), "NotMember");
  await h.send(g.deliver([m], [claim], [await gw.deliverSigs([next[1]], id, claim, 2n)]));
  assert.equal(await g.executed(id), true);
  // Replaying the applied rotation is a stale no-op.
  await h.send(g.rotate(next.map((k) => k.address), 2, 2, []));
  assert.equal(await g.epoch(), 2n);
});

test("the constructor rejects threshold 0, threshold > members, duplicate, zero and unsorted members", async () => {
  const [a, b] = h.attesterKeys(2).map((k) => k.address);
  const id = chain.identity;
  const g9 = await guardian.getAddress();
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [a, b], 0, g9]), "InvalidThreshold");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [a, b], 3, g9]), "InvalidThreshold");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [], 0, g9]), "InvalidThreshold");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [a, a], 1, g9]), "AttestersNotSorted");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [b, a], 1, g9]), "AttestersNotSorted");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [ethers.ZeroAddress, a], 1, g9]), "ZeroAttester");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [ethers.ZeroHash, [a], 1, g9]), "ZeroChainIdentity");
  await h.expectRevert(() => h.deploy(chain, "Gateway", [id, [a], 1, ethers.ZeroAddress]), "ZeroGuardian");
});

// ---------------------------------------------------------------------------------------------
// configure
// ---------------------------------------------------------------------------------------------

test("configure applies once per digest: an old configuration cannot be replayed after a change", async () => {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(3), threshold: 2 });
  const g = gw.contract;
  const on = { srcChain: h.SOURCE.chain, srcGateway: h.SOURCE.gateway, trusted: true, maxPayload: 100, maxGas: 100_000, epoch: 1n };
  const off = { ...on, trusted: false };
  const args = (v) => [v.srcChain, v.srcGateway, v.trusted, v.maxPayload, v.maxGas];
  await h.send(g.configure(...args(on), await gw.sign([gw.keys[0]], "Configure", on)));
  assert.equal((await g.peer(on.srcChain, on.srcGateway))[0], false, "below threshold: stored");
  await h.send(g.configure(...args(on), await gw.sign([gw.keys[1]], "Configure", on)));
  assert.deepEqual([...(await g.peer(on.srcChain, on.srcGateway))], [true, 100n, 100_000n]);
  await h.send(g.configure(...args(off), await gw.sign(gw.keys.slice(0, 2), "Configure", off)));
  assert.equal((await g.peer(on.srcChain, on.srcGateway))[0], false);
  await h.send(g.configure(...args(on), [])); // replay of the applied "on": no-op
  assert.equal((await g.peer(on.srcChain, on.srcGateway))[0], false);
  const m = h.inbound(gw);
  await h.expectRevert(() => g.deliver([m], [ethers.id("c")], [[]]), "UntrustedSource");
  await h.expectRevert(() => g.configure(ethers.ZeroHash, on.srcGateway, true, 1, 1, []), "ZeroPeer");
  const other = { ...on, maxPayload: 7 };
  await h.expectRevert(async () => g.configure(...args(other), await gw.sign(h.attesterKeys(1, "outsider"), "Configure", other)), "NotMember");
});

test("acknowledgeAll acknowledges each entry as acknowledge would: stored, hooked, stale entries no-ops", async () => {
  const { gw, g, keys, app, id } = await sentOne();
  const more = [];
  for (let i = 0; i < 2; ++i) {
    const r = await h.send(app.sendVia(DST.chain, DST.gateway, h.pad(app.target), 0, 100_000, false, "0x5157"));
    more.push(h.sentIn(r, g)[0].id);
  }
  const ids = [id, ...more];
  const statuses = [1, 2, 4];
  const claims = ids.map((_, i) => ethers.id(`batch-claim-${i}`));
  // The first is acknowledged before, so its entry in the batch is a no-op; the third has one vote
  // only, below the threshold: stored, completed by a later acknowledge.
  await h.send(g.acknowledge(id, 1, claims[0], await ackSigs(gw, keys.slice(0, 2), id, 1, claims[0])));
  const sigs = [
    await ackSigs(gw, keys.slice(0, 2), ids[0], 1, claims[0]),
    await ackSigs(gw, keys.slice(1, 3), ids[1], 2, claims[1]),
    await ackSigs(gw, [keys[0]], ids[2], 4, claims[2]),
  ];
  const r = await h.send(g.acknowledgeAll(ids, statuses, claims, sigs));
  assert.deepEqual(h.eventsOf(r, g, "Acknowledged").map((e) => [e.args.id, e.args.status]), [[ids[1], 2n]]);
  assert.equal(h.eventsOf(r, g, "VotesRecorded").length, 1);
  assert.deepEqual([await g.ackStatus(ids[0]), await g.ackStatus(ids[1]), await g.ackStatus(ids[2])], [1n, 2n, 0n]);
  assert.equal(await app.acks(ids[1]), 2n);
  assert.equal(await app.hookCalls(), 2n);
  await h.send(g.acknowledge(ids[2], 4, claims[2], await ackSigs(gw, [keys[1]], ids[2], 4, claims[2])));
  assert.equal(await g.ackStatus(ids[2]), 4n);
});

test("acknowledgeAll reverts as a whole on a forged entry, an unknown id, a bad status or mismatched lengths", async () => {
  const { gw, g, keys, app, id } = await sentOne();
  const r2 = await h.send(app.sendVia(DST.chain, DST.gateway, h.pad(app.target), 0, 100_000, false, "0x5157"));
  const id2 = h.sentIn(r2, g)[0].id;
  const claim = ethers.id("batch");
  const good = [await ackSigs(gw, keys.slice(0, 2), id, 1, claim), await ackSigs(gw, keys.slice(0, 2), id2, 1, claim)];
  const forged = await ackSigs(gw, h.attesterKeys(1, "outsider"), id2, 1, claim);
  await h.expectRevert(() => g.acknowledgeAll([id, id2], [1, 1], [claim, claim], [good[0], forged]), "NotMember");
  const unknown = ethers.id("never sent");
  await h.expectRevert(async () => g.acknowledgeAll([id, unknown], [1, 1], [claim, claim],
    [good[0], await ackSigs(gw, keys.slice(0, 2), unknown, 1, claim)]), "UnknownMessage");
  await h.expectRevert(() => g.acknowledgeAll([id, id2], [1, 5], [claim, claim], good), "BadStatus");
  await h.expectRevert(() => g.acknowledgeAll([id, id2], [1], [claim, claim], good), "LengthMismatch");
  await h.expectRevert(() => g.acknowledgeAll([], [], [], []), "EmptyBatch");
  assert.deepEqual([await g.ackStatus(id), await g.ackStatus(id2)], [0n, 0n], "nothing stored by a reverted batch");
  await h.send(g.acknowledgeAll([id, id2], [1, 1], [claim, claim], good));
  assert.deepEqual([await g.ackStatus(id), await g.ackStatus(id2)], [1n, 1n]);
});

// ---------------------------------------------------------------------------------------------
// pause
// ---------------------------------------------------------------------------------------------

test("only the guardian pauses; a paused gateway refuses send, deliver, execute, skip and acknowledge[All]", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const { gw, g, keys } = ctx;
  await h.expectRevert(() => g.pause(), "NotGuardian");
  const asGuardian = g.connect(guardian);
  await h.send(asGuardian.pause());
  assert.equal(await g.paused(), true);
  const m = h.inbound(gw, { receiver: ctx.to });
  const id = h.messageId(m);
  const claim = ethers.id("paused");
  const sigs = await gw.deliverSigs(keys.slice(0, 2), id, claim);
  await h.expectRevert(() => g.deliver([m], [claim], [sigs]), "GatewayPaused");
  await h.expectRevert(() => g.execute(m, claim), "GatewayPaused");
  await h.expectRevert(() => g.skip(m, []), "GatewayPaused");
  await h.expectRevert(() => g.acknowledge(id, 1, claim, []), "GatewayPaused");
  await h.expectRevert(() => g.acknowledgeAll([id], [1], [claim], [[]]), "GatewayPaused");
  await h.expectRevert(() => g.send(DST.chain, DST.gateway, DST.gateway, 0, 1, false, "0x"), "GatewayPaused");
  await h.expectRevert(() => g.unpause(), "NotGuardian");
  await h.send(asGuardian.unpause());
  const r = await h.send(g.deliver([m], [claim], [sigs]));
  assert.equal(h.executedIn(r, g)[0].status, 1);
});
