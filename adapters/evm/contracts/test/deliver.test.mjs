// Gateway delivery: votes, thresholds, signature hygiene, replay, destination checks, ordered
// lanes, timeouts and batches (PROTOCOL.md section 5; THREATS 3, 6, 21).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as h from "./harness.mjs";

const { ethers } = h;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n; // secp256k1 order
let chain;

before(async () => {
  chain = await h.startChain();
});
after(async () => chain?.stop());

const claimFor = (label) => ethers.id(`claim-${label}`);

test("deliver with threshold votes executes once, with the contract's id equal to ethers'", async () => {
  const { gw, g, keys, receiver, to } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { receiver: to, payload: "0xc0ffee" });
  const id = h.messageId(m);
  assert.equal(await g.messageId(m), id);
  const claim = claimFor("ok");
  const r = await h.send(g.deliver([m], [claim], [await gw.deliverSigs(keys.slice(0, 2), id, claim)]));
  assert.deepEqual(h.executedIn(r, g), [{ id, status: 1, claim, sequence: 1n }]);
  assert.equal(await g.executionStatus(id), 1n);
  assert.equal(await receiver.count(), 1n);
  assert.equal(await receiver.lastPayload(), "0xc0ffee");
});

test("non-member vote reverts NotMember", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw);
  const outsider = h.attesterKeys(1, "outsider");
  const sigs = await gw.deliverSigs([keys[0], outsider[0]], h.messageId(m), claimFor("x"));
  const [signer] = await h.expectRevert(() => g.deliver([m], [claimFor("x")], [sigs]), "NotMember");
  assert.equal(signer, outsider[0].address);
});

test("below threshold the vote is stored; a second call with another signer executes", async () => {
  const { gw, g, keys, to } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { receiver: to });
  const id = h.messageId(m);
  const claim = claimFor("partial");
  const r1 = await h.send(g.deliver([m], [claim], [await gw.deliverSigs([keys[0]], id, claim)]));
  assert.deepEqual(h.executedIn(r1, g), []);
  const digest = await g.deliverDigest(id, claim, 1);
  assert.equal(await g.votes(digest, 1), 1n);
  assert.equal(await g.hasVoted(digest, 1, keys[0].address), true);
  assert.equal(await g.executed(id), false);
  const r2 = await h.send(g.deliver([m], [claim], [await gw.deliverSigs([keys[2]], id, claim)]));
  assert.equal(h.executedIn(r2, g)[0].status, 1);
});

test("a signer already recorded is ignored, not counted twice", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw);
  const id = h.messageId(m);
  const claim = claimFor("again");
  const sigs = await gw.deliverSigs([keys[1]], id, claim);
  await h.send(g.deliver([m], [claim], [sigs]));
  const r = await h.send(g.deliver([m], [claim], [sigs]));
  assert.deepEqual(h.executedIn(r, g), []);
  assert.equal(await g.votes(await g.deliverDigest(id, claim, 1), 1), 1n);
  assert.equal(await g.executed(id), false);
});

test("duplicate signer in one entry reverts SignersNotSorted", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw);
  const [sig] = await gw.deliverSigs([keys[0]], h.messageId(m), claimFor("d"));
  await h.expectRevert(() => g.deliver([m], [claimFor("d")], [[sig, sig]]), "SignersNotSorted");
});

test("unsorted signers revert SignersNotSorted", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw);
  const sigs = await gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claimFor("u"));
  await h.expectRevert(() => g.deliver([m], [claimFor("u")], [[sigs[1], sigs[0]]]), "SignersNotSorted");
});

test("high-s twin of a valid signature reverts HighS", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain, { threshold: 1 });
  const m = h.inbound(gw);
  const [sig] = await gw.deliverSigs([keys[0]], h.messageId(m), claimFor("s"));
  const parsed = ethers.Signature.from(sig);
  const highS = ethers.toBeHex(N - BigInt(parsed.s), 32);
  const twin = ethers.concat([parsed.r, highS, parsed.v === 27 ? "0x1c" : "0x1b"]);
  // The twin (n - s, flipped v) recovers to the same key with plain ecrecover: only the low-s
  // rule stops one vote from appearing as two different signature byte strings.
  await h.expectRevert(() => g.deliver([m], [claimFor("s")], [[twin]]), "HighS");
});

test("a signature recovering to the zero address reverts ZeroSigner", async () => {
  const { gw, g } = await h.gatewayWithReceiver(chain, { threshold: 1 });
  const m = h.inbound(gw);
  const zero = ethers.concat([ethers.ZeroHash, ethers.toBeHex(1, 32), "0x1b"]); // r = 0: no point
  await h.expectRevert(() => g.deliver([m], [claimFor("z")], [[zero]]), "ZeroSigner");
});

test("wrong signature length or v reverts BadSignatureLength / BadSignatureV", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain, { threshold: 1 });
  const m = h.inbound(gw);
  const [sig] = await gw.deliverSigs([keys[0]], h.messageId(m), claimFor("v"));
  await h.expectRevert(() => g.deliver([m], [claimFor("v")], [[ethers.dataSlice(sig, 0, 64)]]), "BadSignatureLength");
  const v29 = ethers.concat([ethers.dataSlice(sig, 0, 64), "0x1d"]);
  await h.expectRevert(() => g.deliver([m], [claimFor("v")], [[v29]]), "BadSignatureV");
});

test("votes for two different claims of one id are tallied apart; the first to reach threshold wins", async () => {
  const { gw, g, keys, to } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { receiver: to });
  const id = h.messageId(m);
  const [c1, c2] = [claimFor("one"), claimFor("two")];
  await h.send(g.deliver([m], [c1], [await gw.deliverSigs([keys[0]], id, c1)]));
  const r = await h.send(g.deliver([m], [c2], [await gw.deliverSigs([keys[1]], id, c2)]));
  assert.deepEqual(h.executedIn(r, g), [], "one vote per claim is below threshold 2");
  const done = await h.send(g.deliver([m], [c2], [await gw.deliverSigs([keys[2]], id, c2)]));
  assert.equal(h.executedIn(done, g)[0].claim, c2);
  const late = await h.send(g.deliver([m], [c1], [await gw.deliverSigs([keys[1]], id, c1)]));
  assert.deepEqual(h.executedIn(late, g), [], "the other claim is a no-op once executed");
});

test("replay of an executed message is a no-op (same or other claim, full votes)", async () => {
  const { gw, g, keys, receiver, to } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { receiver: to });
  const id = h.messageId(m);
  const claim = claimFor("r");
  const sigs = await gw.deliverSigs(keys.slice(0, 2), id, claim);
  await h.send(g.deliver([m], [claim], [sigs]));
  const again = await h.send(g.deliver([m], [claim], [sigs]));
  assert.deepEqual(h.executedIn(again, g), []);
  const other = claimFor("r2");
  const r = await h.send(g.deliver([m], [other], [await gw.deliverSigs(keys, id, other)]));
  assert.deepEqual(h.executedIn(r, g), []);
  await h.send(g.execute(m, claim));
  assert.equal(await receiver.count(), 1n);
});

test("wrong destination identity reverts WrongDestinationChain", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { dstChain: ethers.id("another chain") });
  const sigs = await gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claimFor("w"));
  await h.expectRevert(() => g.deliver([m], [claimFor("w")], [sigs]), "WrongDestinationChain");
});

test("wrong destination gateway reverts WrongDestinationGateway", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const other = await h.deployGateway(chain, { keys, threshold: 2 });
  const m = h.inbound(gw, { dstGateway: h.pad(other.address) }); // addressed to the other gateway
  const sigs = await gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claimFor("g"));
  await h.expectRevert(() => g.deliver([m], [claimFor("g")], [sigs]), "WrongDestinationGateway");
});

test("unknown source gateway reverts UntrustedSource", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw, { srcGateway: h.pad("0x00000000000000000000000000000000000bad00") });
  const sigs = await gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claimFor("src"));
  await h.expectRevert(() => g.deliver([m], [claimFor("src")], [sigs]), "UntrustedSource");
});

test("payload or gas beyond the lane's bounds reverts PayloadTooLarge / GasLimitTooHigh", async () => {
  const keys = h.attesterKeys(1);
  const gw = await h.deployGateway(chain, { keys });
  await gw.trust(h.SOURCE.chain, h.SOURCE.gateway, { maxPayload: 4, maxGas: 100_000 });
  const big = h.inbound(gw, { payload: "0x0102030405" });
  await h.expectRevert(
    async () => gw.contract.deliver([big], [claimFor("b")], [await gw.deliverSigs(keys, h.messageId(big), claimFor("b"))]),
    "PayloadTooLarge",
  );
  const hungry = h.inbound(gw, { gasLimit: 100_001n });
  await h.expectRevert(
    async () =>
      gw.contract.deliver([hungry], [claimFor("b")], [await gw.deliverSigs(keys, h.messageId(hungry), claimFor("b"))]),
    "GasLimitTooHigh",
  );
});

test("unsupported version, unknown flags, empty or ragged batches revert with their names", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain, { threshold: 1 });
  const v2 = h.inbound(gw, { version: 2 });
  await h.expectRevert(() => g.deliver([v2], [claimFor("v")], [[]]), "UnsupportedVersion");
  const flags = h.inbound(gw, { flags: 2 });
  await h.expectRevert(() => g.deliver([flags], [claimFor("f")], [[]]), "UnknownFlags");
  await h.expectRevert(() => g.deliver([], [], []), "EmptyBatch");
  const m = h.inbound(gw);
  await h.expectRevert(() => g.deliver([m], [], [[]]), "LengthMismatch");
  await h.expectRevert(() => g.deliver([m], [claimFor("l")], []), "LengthMismatch");
  void keys;
});

test("ordered lane: an out-of-order message is stored, then executed by execute() once it is next", async () => {
  const { gw, g, keys, receiver, to } = await h.gatewayWithReceiver(chain);
  const m1 = h.inbound(gw, { receiver: to, flags: 1, sequence: 1n, payload: "0x01" });
  const m2 = h.inbound(gw, { receiver: to, flags: 1, sequence: 2n, payload: "0x02" });
  const [id1, id2] = [h.messageId(m1), h.messageId(m2)];
  const [c1, c2] = [claimFor("o1"), claimFor("o2")];
  const early = await h.send(g.deliver([m2], [c2], [await gw.deliverSigs(keys.slice(0, 2), id2, c2)]));
  assert.deepEqual(h.executedIn(early, g), [], "sequence 2 waits for 1");
  assert.equal(await g.votes(await g.deliverDigest(id2, c2, 1), 1), 2n, "its votes are stored");
  const [expected, got] = await h.expectRevert(() => g.execute(m2, c2), "NotNext");
  assert.deepEqual([expected, got], [1n, 2n]);
  await h.send(g.deliver([m1], [c1], [await gw.deliverSigs(keys.slice(1, 3), id1, c1)]));
  assert.equal(await g.nextInbound(h.SOURCE.chain, h.SOURCE.gateway), 2n);
  const later = await h.send(g.execute(m2, c2)); // anyone, no new signatures
  assert.deepEqual(h.executedIn(later, g), [{ id: id2, status: 1, claim: c2, sequence: 2n }]);
  assert.equal(await receiver.lastPayload(), "0x02");
  assert.equal(await g.nextInbound(h.SOURCE.chain, h.SOURCE.gateway), 3n);
});

test("execute below threshold reverts BelowThreshold", async () => {
  const { gw, g, keys } = await h.gatewayWithReceiver(chain);
  const m = h.inbound(gw);
  const claim = claimFor("bt");
  await h.send(g.deliver([m], [claim], [await gw.deliverSigs([keys[0]], h.messageId(m), claim)]));
  const [, votes, threshold] = await h.expectRevert(() => g.execute(m, claim), "BelowThreshold");
  assert.deepEqual([votes, threshold], [1n, 2n]);
});

test("a message past its timeout executes with status 3 and still advances its ordered lane", async () => {
  const { gw, g, keys, receiver, to } = await h.gatewayWithReceiver(chain);
  const now = await h.latestTimestamp(chain);
  const m = h.inbound(gw, { receiver: to, flags: 1, timeout: now + 100n });
  const id = h.messageId(m);
  const claim = claimFor("late");
  await h.setNextTimestamp(chain, now + 101n);
  const r = await h.send(g.deliver([m], [claim], [await gw.deliverSigs(keys.slice(0, 2), id, claim)]));
  assert.equal(h.executedIn(r, g)[0].status, 3);
  assert.equal(await receiver.count(), 0n);
  assert.equal(await g.nextInbound(h.SOURCE.chain, h.SOURCE.gateway), 2n);
});

test("a message exactly at its timeout still executes (timeout is inclusive)", async () => {
  const { gw, g, keys, to } = await h.gatewayWithReceiver(chain);
  const now = await h.latestTimestamp(chain);
  const m = h.inbound(gw, { receiver: to, timeout: now + 50n });
  const claim = claimFor("edge");
  await h.setNextTimestamp(chain, now + 50n);
  const r = await h.send(g.deliver([m], [claim], [await gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claim)]));
  assert.equal(h.executedIn(r, g)[0].status, 1);
});

test("a batch with one forged entry reverts as a whole", async () => {
  const { gw, g, keys, to } = await h.gatewayWithReceiver(chain);
  const msgs = [1n, 2n, 3n].map((s) => h.inbound(gw, { receiver: to, sequence: s }));
  const claims = msgs.map((_, i) => claimFor(`batch-${i}`));
  const sigs = await Promise.all(msgs.map((m, i) => gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claims[i])));
  sigs[1] = await gw.deliverSigs([keys[0], ...h.attesterKeys(1, "forger")], h.messageId(msgs[1]), claims[1]);
  await h.expectRevert(() => g.deliver(msgs, claims, sigs), "NotMember");
  for (const m of msgs) assert.equal(await g.executed(h.messageId(m)), false);
});

test("a batch with one already-executed entry executes the rest; that entry is a no-op", async () => {
  const { gw, g, keys, receiver, to } = await h.gatewayWithReceiver(chain);
  const msgs = [1n, 2n].map((s) => h.inbound(gw, { receiver: to, sequence: s }));
  const claims = msgs.map((_, i) => claimFor(`again-${i}`));
  const sigs = await Promise.all(msgs.map((m, i) => gw.deliverSigs(keys.slice(0, 2), h.messageId(m), claims[i])));
  await h.send(g.deliver([msgs[0]], [claims[0]], [sigs[0]]));
  const r = await h.send(g.deliver(msgs, claims, sigs));
  assert.deepEqual(h.executedIn(r, g).map((e) => e.id), [h.messageId(msgs[1])]);
  assert.equal(await receiver.count(), 2n);
});
