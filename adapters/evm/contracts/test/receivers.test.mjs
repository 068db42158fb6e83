// How the gateway calls receivers: what they get, and what failing, hostile, missing or starved
// receivers turn into (PROTOCOL.md section 5; THREATS 19, 20, 28).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as h from "./harness.mjs";

const { ethers } = h;
let chain;

before(async () => {
  chain = await h.startChain();
});
after(async () => chain?.stop());

const MODE = { RECORD: 0, REVERT: 1, REVERT_BOMB: 2, REENTER: 3, NEED_GAS: 4, RETURN_BOMB: 5 };

/// Delivers `m` with threshold votes; returns the receipt and the MessageExecuted/ReceiverFailed events.
async function deliver(ctx, m, overrides = {}) {
  const id = h.messageId(m);
  const claim = ethers.id(`claim-${id}`);
  const sigs = await ctx.gw.deliverSigs(ctx.keys.slice(0, 2), id, claim);
  const r = await h.send(ctx.g.deliver([m], [claim], [sigs], overrides));
  const failed = h.eventsOf(r, ctx.g, "ReceiverFailed").map((e) => e.args.reason);
  return { r, id, claim, sigs, executed: h.executedIn(r, ctx.g), failed };
}

test("the receiver gets srcChain, sender and payload; status 1", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const m = h.inbound(ctx.gw, { receiver: ctx.to, payload: "0xabcdef" });
  const { executed } = await deliver(ctx, m);
  assert.equal(executed[0].status, 1);
  assert.equal(await ctx.receiver.lastSrcChain(), m.srcChain);
  assert.equal(await ctx.receiver.lastSender(), m.sender);
  assert.equal(await ctx.receiver.lastPayload(), "0xabcdef");
});

test("a reverting receiver gives status 2 and its reason in ReceiverFailed", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  await h.send(ctx.receiver.setMode(MODE.REVERT, 0));
  const { executed, failed, id } = await deliver(ctx, h.inbound(ctx.gw, { receiver: ctx.to }));
  assert.equal(executed[0].status, 2);
  assert.equal(ctx.receiver.interface.parseError(failed[0]).name, "Refused");
  assert.equal(await ctx.g.executionStatus(id), 2n);
  assert.equal(await ctx.receiver.count(), 0n);
});

test("a receiver without code gives status 2 (nothing is called)", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const eoa = await (await chain.signer(3)).getAddress();
  const { executed, failed } = await deliver(ctx, h.inbound(ctx.gw, { receiver: h.pad(eoa) }));
  assert.equal(executed[0].status, 2);
  assert.deepEqual(failed, []);
});

test("a receiver that is the gateway itself or not an address gives status 2, never a call", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const self = await deliver(ctx, h.inbound(ctx.gw, { receiver: h.pad(ctx.gw.address), payload: "0x01" }));
  assert.equal(self.executed[0].status, 2);
  assert.deepEqual(self.failed, [], "the gateway was not called");
  const wide = ethers.concat(["0x01", ethers.dataSlice(ctx.to, 1)]); // upper 12 bytes not zero
  const bad = await deliver(ctx, h.inbound(ctx.gw, { receiver: wide, payload: "0x02" }));
  assert.equal(bad.executed[0].status, 2);
  assert.equal(await ctx.receiver.count(), 0n);
});

test("a return bomb on revert costs the gateway at most MAX_RETURN_COPY bytes; status 2", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  await h.send(ctx.receiver.setMode(MODE.REVERT_BOMB, 0));
  const m = h.inbound(ctx.gw, { receiver: ctx.to, gasLimit: 1_000_000n });
  const { executed, failed, r } = await deliver(ctx, m);
  assert.equal(executed[0].status, 2);
  assert.equal(ethers.dataLength(failed[0]), 256);
  // Producing 300 KB of memory costs the receiver ~190k gas inside its own budget; copying it
  // into the gateway would cost as much again outside any budget.
  assert.ok(r.gasUsed < 400_000n, `gas used ${r.gasUsed}`);
});

test("a return bomb on success is not copied at all; status 1", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  await h.send(ctx.receiver.setMode(MODE.RETURN_BOMB, 0));
  const { executed, r } = await deliver(ctx, h.inbound(ctx.gw, { receiver: ctx.to, gasLimit: 1_000_000n }));
  assert.equal(executed[0].status, 1);
  assert.ok(r.gasUsed < 500_000n, `gas used ${r.gasUsed}`);
});

test("a reentrant receiver is refused with Reentrancy (status 2) and the message runs once", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  await h.send(ctx.receiver.setMode(MODE.REENTER, 0));
  const m = h.inbound(ctx.gw, { receiver: ctx.to });
  const { executed, failed, claim, sigs } = await deliver(ctx, m);
  assert.equal(executed.length, 1);
  assert.equal(executed[0].status, 2);
  assert.equal(ctx.g.interface.parseError(failed[0]).name, "Reentrancy");
  const again = await h.send(ctx.g.deliver([m], [claim], [sigs]));
  assert.deepEqual(h.executedIn(again, ctx.g), []);
});

test("an under-gassed delivery reverts InsufficientGas instead of recording a failure", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const gasLimit = 1_000_000n;
  // The receiver fails if it got less than its gasLimit minus what its own prologue spends.
  await h.send(ctx.receiver.setMode(MODE.NEED_GAS, gasLimit - 5_000n));
  const m = h.inbound(ctx.gw, { receiver: ctx.to, gasLimit });
  const id = h.messageId(m);
  const claim = ethers.id("starved");
  const sigs = await ctx.gw.deliverSigs(ctx.keys.slice(0, 2), id, claim);
  // Enough for everything except the full gasLimit: without the guard the receiver would run
  // short and the message would be recorded as failed for good.
  const starved = { gasLimit: 900_000n };
  await h.expectRevert(() => ctx.g.deliver.staticCall([m], [claim], [sigs], starved), "InsufficientGas");
  await assert.rejects(h.send(ctx.g.deliver([m], [claim], [sigs], starved)));
  assert.equal(await ctx.g.executed(id), false);
  const r = await h.send(ctx.g.deliver([m], [claim], [sigs])); // estimated gas
  assert.equal(h.executedIn(r, ctx.g)[0].status, 1);
  assert.equal(await ctx.receiver.count(), 1n);
});

test("the receiver gets its full gasLimit whenever the guard passes", async () => {
  const ctx = await h.gatewayWithReceiver(chain);
  const gasLimit = 300_000n;
  await h.send(ctx.receiver.setMode(MODE.NEED_GAS, gasLimit - 5_000n));
  const m = h.inbound(ctx.gw, { receiver: ctx.to, gasLimit });
  const id = h.messageId(m);
  const claim = ethers.id("full");
  const sigs = await ctx.gw.deliverSigs(ctx.keys.slice(0, 2), id, claim);
  // Find the smallest transaction gas that does not revert; at that edge the receiver must
  // still see (almost) all of its gasLimit, i.e. succeed.
  let lo = 100_000n;
  let hi = 2_000_000n;
  while (hi - lo > 1_000n) {
    const mid = (lo + hi) / 2n;
    try {
      await ctx.g.deliver.staticCall([m], [claim], [sigs], { gasLimit: mid });
      hi = mid;
    } catch {
      lo = mid;
    }
  }
  const r = await h.send(ctx.g.deliver([m], [claim], [sigs], { gasLimit: hi }));
  assert.equal(h.executedIn(r, ctx.g)[0].status, 1);
  const got = h.eventsOf(r, ctx.receiver, "Received")[0].args.gasLeft;
  assert.ok(got >= gasLimit - 5_000n, `receiver saw ${got}`);
});
