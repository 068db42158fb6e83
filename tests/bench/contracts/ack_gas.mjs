#!/usr/bin/env node
// Gas used per acknowledgement: Gateway.acknowledge one transaction each against acknowledgeAll of
// 8 and 32 in one transaction (the relay's kMaxAcksPerTransaction), at threshold 1 (one attester)
// and 2 (two of three), the sender's hook recording the status (MockSender). Run from the
// repository root (needs deploy/devnet's node_modules installed):
//
//   node tests/bench/contracts/ack_gas.mjs            # anvil's default hardfork
//
// CAUSEWAY_CONTRACTS_DIR may point at prebuilt artifacts (cmake --build ... --target contracts).
import * as h from "../../../adapters/evm/contracts/test/harness.mjs";

const { ethers } = h;
const DST = { chain: ethers.id("causeway-bench-destination"), gateway: h.pad("0x0000000000000000000000000000000000000D57") };

// `count` messages sent through a fresh gateway by a MockSender, with their Ack votes.
async function sentWithVotes(chain, { count, threshold, members }) {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(members, `ack-bench-${members}`), threshold });
  const app = await h.deploy(chain, "MockSender", [gw.address]);
  const acks = [];
  for (let i = 0; i < count; i++) {
    const r = await h.send(app.sendVia(DST.chain, DST.gateway, h.pad(app.target), 0, 100_000, false, "0x5157"));
    const [{ id }] = h.sentIn(r, gw.contract);
    const claim = ethers.id(`ack-claim-${i}`);
    acks.push({ id, status: 1, claim, sigs: await gw.sign(gw.keys.slice(0, threshold), "Ack", { id, status: 1, claim, epoch: 1n }) });
  }
  return { g: gw.contract, acks };
}

async function oneEach(chain, opts) {
  const { g, acks } = await sentWithVotes(chain, opts);
  let gas = 0n;
  for (const a of acks) gas += (await h.send(g.acknowledge(a.id, a.status, a.claim, a.sigs))).gasUsed;
  return gas;
}

async function together(chain, opts) {
  const { g, acks } = await sentWithVotes(chain, opts);
  const r = await h.send(g.acknowledgeAll(acks.map((a) => a.id), acks.map((a) => a.status), acks.map((a) => a.claim),
    acks.map((a) => a.sigs)));
  if (h.eventsOf(r, g, "Acknowledged").length !== acks.length) throw new Error("not all acknowledged");
  return r.gasUsed;
}

const chain = await h.startChain();
try {
  const rows = [];
  for (const [threshold, members] of [[1, 1], [2, 3]]) {
    const opts = { count: 32, threshold, members };
    const single = await oneEach(chain, opts);
    rows.push([`32 transactions of 1`, `${threshold} of ${members}`, single, single / 32n]);
    for (const per of [8, 32]) {
      const gas = await together(chain, { ...opts, count: per });
      rows.push([`1 transaction of ${per}`, `${threshold} of ${members}`, gas, gas / BigInt(per)]);
    }
  }
  const header = ["acknowledgements", "threshold", "gas used", "gas per acknowledgement"];
  const table = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  console.log(`Gateway acknowledge / acknowledgeAll gas (anvil hardfork: ${h.hardfork || "default"})`);
  for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i])).join("  "));
} finally {
  await chain.stop();
}
