// The load and smoke probe (Probe.sol): the multicall sender, the exactly-once and in-order
// counters of its receiver, fail mode and the ack counters, with this file playing the relay
// between two gateways on one chain; duplicates and reordering, which a correct gateway never
// produces, are simulated by a probe whose "gateway" is a plain account.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as h from "./harness.mjs";

const { ethers } = h;
const coder = ethers.AbiCoder.defaultAbiCoder();
const GAS = 100_000n; // gasLimit of each probe message
let chain;

before(async () => {
  chain = await h.startChain();
});
after(async () => chain?.stop());

/// Gateways "a" and "b" (two identities on one node) trusting each other, a probe behind each and
/// a probe in fail mode behind b.
async function twoGateways() {
  const gwA = await h.deployGateway(chain, { keys: h.attesterKeys(1, "probe-a") });
  const gwB = await h.deployGateway(chain, { identity: ethers.id("probe-test-chain-b"), keys: h.attesterKeys(1, "probe-b") });
  await gwA.trust(gwB.identity, h.pad(gwB.address));
  await gwB.trust(gwA.identity, h.pad(gwA.address));
  const probeA = await h.deploy(chain, "Probe", [gwA.address]);
  const probeB = await h.deploy(chain, "Probe", [gwB.address]);
  const failing = await h.deploy(chain, "Probe", [gwB.address]);
  await h.send(failing.setFailMode(true));
  return { gwA, gwB, probeA, probeB, failing };
}

/// sendMany from `probe` (behind `from`) to `receiver` behind `to`; returns the receipt.
function sendMany(probe, to, receiver, { ordered = false, count = 1, payloadBytes = 32 } = {}) {
  return h.send(probe.sendMany(to.identity, h.pad(to.address), h.pad(receiver.target), ordered, count, GAS, payloadBytes));
}

const payloadOf = (nonce, ordered, filler = "0x") => coder.encode(["uint256", "bool", "bytes"], [nonce, ordered, filler]);

/// A probe whose gateway is funded account 3, so the test can call its hooks directly.
async function directProbe() {
  const fakeGateway = await chain.signer(3);
  const probe = await h.deploy(chain, "Probe", [await fakeGateway.getAddress()]);
  return { probe, asGateway: probe.connect(fakeGateway) };
}

test("sendMany sends count messages with consecutive sequences and nonces, one Sent event", async () => {
  const { gwA, gwB, probeA, probeB } = await twoGateways();
  assert.equal(await probeA.nextNonce(), 1n);
  const r = await sendMany(probeA, gwB, probeB, { count: 5, payloadBytes: 40 });
  const sent = h.sentIn(r, gwA.contract);
  assert.equal(sent.length, 5);
  sent.forEach((s, i) => {
    assert.equal(s.msg.sequence, BigInt(i + 1));
    assert.equal(s.msg.flags, 0);
    assert.equal(s.msg.sender, h.pad(probeA.target));
    assert.equal(s.msg.receiver, h.pad(probeB.target));
    assert.equal(s.msg.gasLimit, GAS);
    assert.equal(s.msg.timeout, 0n);
    assert.equal(s.msg.payload, payloadOf(BigInt(i + 1), false, new Uint8Array(40)));
  });
  const [event] = h.eventsOf(r, probeA, "Sent");
  assert.deepEqual([event.args.firstNonce, event.args.count], [1n, 5n]);
  assert.equal(h.eventsOf(r, probeA, "Sent").length, 1);

  // The ordered lane has its own sequences; the probe's nonces go on across lanes.
  assert.equal(await probeA.sendMany.staticCall(gwB.identity, h.pad(gwB.address), h.pad(probeB.target), true, 3, GAS, 0), 6n);
  const o = await sendMany(probeA, gwB, probeB, { ordered: true, count: 3, payloadBytes: 0 });
  const ordered = h.sentIn(o, gwA.contract);
  assert.deepEqual(ordered.map((s) => s.msg.sequence), [1n, 2n, 3n]);
  assert.deepEqual(ordered.map((s) => s.msg.flags), [1, 1, 1]);
  assert.equal(ordered[2].msg.payload, payloadOf(8n, true));
  assert.equal(await probeA.nextNonce(), 9n);
  assert.equal(await gwA.contract.nextSequence(gwB.identity, h.pad(gwB.address), false), 6n);
  assert.equal(await gwA.contract.nextSequence(gwB.identity, h.pad(gwB.address), true), 4n);
});

test("relayed messages count once each, in order; their acks are counted by status", async () => {
  const { gwA, gwB, probeA, probeB } = await twoGateways();
  const r = await sendMany(probeA, gwB, probeB, { ordered: true, count: 3 });
  const delivered = await h.relayMessages(r, gwA, gwB);
  assert.deepEqual(delivered.flatMap((d) => h.executedIn(d, gwB.contract).map((e) => e.status)), [1, 1, 1]);
  assert.equal(await probeB.received(), 3n);
  assert.equal(await probeB.duplicates(), 0n);
  assert.equal(await probeB.outOfOrder(), 0n);
  assert.equal(await probeB.seen(gwA.identity, h.pad(probeA.target), 2n), 1n);
  assert.equal(await probeB.lastNonce(gwA.identity, h.pad(probeA.target)), 3n);

  await h.relayMessages(r, gwA, gwB); // a relay repeating itself: the gateway makes it a no-op
  assert.equal(await probeB.received(), 3n);
  assert.equal(await probeB.duplicates(), 0n);

  for (const d of delivered) await h.relayAcks(d, gwB, gwA);
  assert.equal(await probeA.acks(), 3n);
  assert.equal(await probeA.duplicateAcks(), 0n);
  assert.equal(await probeA.ackStatusCount(1), 3n);
  assert.equal(await probeA.ackStatusCount(2), 0n);
  assert.equal(await probeA.ackCount(h.sentIn(r, gwA.contract)[0].id), 1n);
});

test("a probe in fail mode reverts FailMode: status 2, nothing counted, the sender's ack says 2", async () => {
  const { gwA, gwB, probeA, failing } = await twoGateways();
  const r = await sendMany(probeA, gwB, failing, { count: 2 });
  const delivered = await h.relayMessages(r, gwA, gwB);
  for (const d of delivered) {
    assert.equal(h.executedIn(d, gwB.contract)[0].status, 2);
    const [failed] = h.eventsOf(d, gwB.contract, "ReceiverFailed");
    const reason = failing.interface.parseError(failed.args.reason);
    assert.equal(reason.name, "FailMode");
    assert.deepEqual([reason.args.srcChain, reason.args.sender], [gwA.identity, h.pad(probeA.target)]);
  }
  assert.equal(await failing.received(), 0n);
  for (const d of delivered) await h.relayAcks(d, gwB, gwA);
  assert.equal(await probeA.ackStatusCount(2), 2n);
  assert.equal(await probeA.acks(), 2n);
});

test("only the owner switches fail mode (NotOwner); switched off, the probe receives again", async () => {
  const { probe, asGateway } = await directProbe();
  const stranger = probe.connect(await chain.signer(4));
  const [caller] = await h.expectRevert(() => stranger.setFailMode(true), "NotOwner");
  assert.equal(caller, await (await chain.signer(4)).getAddress());
  await h.send(probe.setFailMode(true));
  assert.equal(await probe.failMode(), true);
  await h.expectRevert(() => asGateway.onCausewayMessage(ethers.id("src"), h.pad(probe.target), payloadOf(1n, false)), "FailMode");
  await h.send(probe.setFailMode(false));
  await h.send(asGateway.onCausewayMessage(ethers.id("src"), h.pad(probe.target), payloadOf(1n, false)));
  assert.equal(await probe.received(), 1n);
});

test("a second delivery of one (srcChain, sender, nonce) counts as a duplicate, not as out of order", async () => {
  const { probe, asGateway } = await directProbe();
  const [src, sender, otherSender] = [ethers.id("src"), h.pad("0x00000000000000000000000000000000000a11ce"), h.pad("0x0000000000000000000000000000000000000b0b")];
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(7n, true)));
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(7n, true)));
  assert.equal(await probe.received(), 2n);
  assert.equal(await probe.duplicates(), 1n);
  assert.equal(await probe.seen(src, sender, 7n), 2n);
  // The same nonce from another sender or another chain is another message.
  await h.send(asGateway.onCausewayMessage(src, otherSender, payloadOf(7n, false)));
  await h.send(asGateway.onCausewayMessage(ethers.id("src2"), sender, payloadOf(7n, false)));
  assert.equal(await probe.duplicates(), 1n);
  assert.equal(await probe.received(), 4n);
  assert.equal(await probe.outOfOrder(), 0n);
});

test("an ordered nonce below the last one counts out of order; unordered nonces never do", async () => {
  const { probe, asGateway } = await directProbe();
  const src = ethers.id("src");
  const sender = h.pad("0x00000000000000000000000000000000000a11ce");
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(5n, true)));
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(4n, true))); // just one below
  assert.equal(await probe.outOfOrder(), 1n);
  assert.equal(await probe.lastNonce(src, sender), 5n, "the late nonce does not lower the mark");
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(1n, false)));
  assert.equal(await probe.outOfOrder(), 1n);
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(9n, true)));
  assert.equal(await probe.lastNonce(src, sender), 9n);
  // Another sender's ordered lane is tracked apart.
  await h.send(asGateway.onCausewayMessage(src, h.pad("0x0000000000000000000000000000000000000b0b"), payloadOf(2n, true)));
  assert.equal(await probe.outOfOrder(), 1n);
  assert.equal(await probe.received(), 5n);
});

test("a second ack of one id counts as a duplicate ack; statuses are counted apart", async () => {
  const { probe, asGateway } = await directProbe();
  const [id1, id2] = [ethers.id("id-1"), ethers.id("id-2")];
  await h.send(asGateway.onCausewayAck(id1, 1));
  await h.send(asGateway.onCausewayAck(id1, 1));
  await h.send(asGateway.onCausewayAck(id2, 3));
  assert.equal(await probe.acks(), 3n);
  assert.equal(await probe.duplicateAcks(), 1n);
  assert.equal(await probe.ackCount(id1), 2n);
  assert.equal(await probe.ackCount(id2), 1n);
  assert.deepEqual(
    await Promise.all([1, 2, 3, 4].map((s) => probe.ackStatusCount(s))),
    [2n, 0n, 1n, 0n],
  );
});

test("only the gateway calls the hooks (NotGateway)", async () => {
  const { probe } = await directProbe();
  const [caller] = await h.expectRevert(() => probe.onCausewayMessage(ethers.id("src"), h.pad(probe.target), payloadOf(1n, false)), "NotGateway");
  assert.equal(caller, await (await chain.signer(0)).getAddress());
  await h.expectRevert(() => probe.onCausewayAck(ethers.id("id"), 1), "NotGateway");
  assert.equal(await probe.received(), 0n);
  assert.equal(await probe.acks(), 0n);
});

test("gas: a receive stays small whatever the filler; per-message send gas does not grow with the batch", async () => {
  const { probe, asGateway } = await directProbe();
  const src = ethers.id("src");
  const sender = h.pad(probe.target);
  // The first receive also creates the counters' slot and the lane's mark; later ones pay for a
  // fresh seen slot (about 22k) and little else.
  await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(1n, true)));
  const small = await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(2n, true)));
  const big = await h.send(asGateway.onCausewayMessage(src, sender, payloadOf(3n, true, new Uint8Array(4096))));
  assert.ok(small.gasUsed < 60_000n, `receive used ${small.gasUsed}`);
  // The 4 KiB of zero filler cost 4 gas a byte of calldata and nothing more: decoding the filler
  // would copy it into memory, about 800 gas more.
  const extra = big.gasUsed - small.gasUsed;
  assert.ok(extra < 4n * 4096n + 300n, `the filler cost ${extra} gas`);

  const { gwB, probeA, probeB } = await twoGateways();
  await sendMany(probeA, gwB, probeB, { count: 1 }); // the lane's and the probe's slots exist now
  const ten = await sendMany(probeA, gwB, probeB, { count: 10, payloadBytes: 256 });
  const hundred = await sendMany(probeA, gwB, probeB, { count: 100, payloadBytes: 256 });
  const [perTen, perHundred] = [ten.gasUsed / 10n, hundred.gasUsed / 100n];
  assert.ok(perHundred <= perTen, `per message: ${perTen} in batches of 10, ${perHundred} in batches of 100`);
  assert.ok(perHundred < 50_000n, `per message in a batch of 100: ${perHundred}`);
});
