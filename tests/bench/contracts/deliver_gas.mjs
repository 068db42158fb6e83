#!/usr/bin/env node
// Gas used by Gateway.deliver for batches of 1 and 50 unordered messages (32-byte payload, a
// receiver that does nothing), at threshold 1 (one attester) and 2 (two of three), on a fresh
// anvil. Run from the repository root (needs deploy/devnet's node_modules installed):
//
//   node tests/bench/contracts/deliver_gas.mjs            # anvil's default hardfork
//   CAUSEWAY_ANVIL_HARDFORK=london node tests/bench/contracts/deliver_gas.mjs
//
// CAUSEWAY_CONTRACTS_DIR may point at prebuilt artifacts (cmake --build ... --target contracts).
import * as h from "../../../adapters/evm/contracts/test/harness.mjs";

const { ethers } = h;

async function measure(chain, receiver, { batch, threshold, members, ordered = false }) {
  const gw = await h.deployGateway(chain, { keys: h.attesterKeys(members, `bench-${members}`), threshold });
  await gw.trust(h.SOURCE.chain, h.SOURCE.gateway);
  const msgs = [];
  const claims = [];
  const sigs = [];
  for (let i = 1; i <= batch; i++) {
    const m = h.inbound(gw, {
      receiver: h.pad(receiver),
      sequence: BigInt(i),
      flags: ordered ? 1 : 0,
      payload: ethers.id(`payload-${i}`),
      gasLimit: 100_000n,
    });
    const id = h.messageId(m);
    const claim = ethers.id(`claim-${i}`);
    msgs.push(m);
    claims.push(claim);
    sigs.push(await gw.deliverSigs(gw.keys.slice(0, threshold), id, claim));
  }
  const r = await h.send(gw.contract.deliver(msgs, claims, sigs));
  const executed = h.executedIn(r, gw.contract);
  if (executed.length !== batch || executed.some((e) => e.status !== 1)) throw new Error("not all executed");
  return r.gasUsed;
}

const chain = await h.startChain();
try {
  const receiver = (await h.deploy(chain, "NoopReceiver")).target;
  const rows = [];
  for (const [threshold, members] of [[1, 1], [2, 3]]) {
    for (const batch of [1, 50]) {
      for (const ordered of [false, true]) {
        const gas = await measure(chain, receiver, { batch, threshold, members, ordered });
        rows.push([batch, `${threshold} of ${members}`, ordered ? "ordered" : "unordered", gas, gas / BigInt(batch)]);
      }
    }
  }
  const header = ["messages", "threshold", "lane", "gas used", "gas per message"];
  const table = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  console.log(`Gateway.deliver gas (anvil hardfork: ${h.hardfork || "default"})`);
  for (const r of table) console.log(r.map((c, i) => c.padStart(widths[i])).join("  "));
} finally {
  await chain.stop();
}
