// Chain binding of votes: forks (chain id changes), twin chains with another or the same chain id,
// the EIP-712 helpers against ethers, and the golden vectors of schemas/vectors/protocol-v1.json
// (PROTOCOL.md sections 1, 2, 5; THREATS 7, 21).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as h from "./harness.mjs";

const { ethers } = h;
const here = path.dirname(fileURLToPath(import.meta.url));
const vectorsFile = path.resolve(here, "../../../../schemas/vectors/protocol-v1.json");

let chainA; // the home chain
let twinSameId; // same chain id, different genesis → different identity
let twinOtherId; // another chain id
const keys = h.attesterKeys(2);
const gws = {};

before(async () => {
  [chainA, twinSameId, twinOtherId] = await Promise.all([
    h.startChain({ chainId: 31337, timestamp: 1_700_000_000 }),
    h.startChain({ chainId: 31337, timestamp: 1_700_000_777 }),
    h.startChain({ chainId: 4242, timestamp: 1_700_000_000 }),
  ]);
  // First deployment from account 0 on each chain: the three gateways share one address, the
  // situation in which only the domain's chain id and salt keep votes apart.
  gws.a = await h.deployGateway(chainA, { keys, threshold: 1 });
  gws.same = await h.deployGateway(twinSameId, { keys, threshold: 1 });
  // Misconfigured on purpose with A's identity: only the chain id in the domain tells them apart.
  gws.other = await h.deployGateway(twinOtherId, { keys, threshold: 1, identity: chainA.identity });
  for (const gw of Object.values(gws)) await gw.trust(h.SOURCE.chain, h.SOURCE.gateway);
});
after(async () => Promise.all([chainA, twinSameId, twinOtherId].map((c) => c?.stop())));

test("the twins share the gateway address; identities differ exactly where genesis differs", () => {
  assert.equal(gws.a.address, gws.same.address);
  assert.equal(gws.a.address, gws.other.address);
  assert.notEqual(chainA.identity, twinSameId.identity);
});

test("a vote for chain A replayed on a twin with equal chain id but another identity is refused", async () => {
  const m = h.inbound(gws.a);
  const id = h.messageId(m);
  const claim = ethers.id("twin");
  const sigs = await gws.a.deliverSigs(keys.slice(0, 1), id, claim);
  await h.expectRevert(() => gws.same.contract.deliver([m], [claim], [sigs]), "WrongDestinationChain");
  // Even a message addressed to the twin cannot use votes made under A's domain: the salt
  // (chain identity) differs, so the signature recovers to a stranger.
  const mTwin = h.inbound(gws.same);
  const idTwin = h.messageId(mTwin);
  assert.notEqual(await gws.a.contract.deliverDigest(idTwin, claim, 1), await gws.same.contract.deliverDigest(idTwin, claim, 1));
  const underA = await gws.a.deliverSigs(keys.slice(0, 1), idTwin, claim);
  await h.expectRevert(() => gws.same.contract.deliver([mTwin], [claim], [underA]), "NotMember");
  const r = await h.send(gws.same.contract.deliver([mTwin], [claim], [await gws.same.deliverSigs(keys.slice(0, 1), idTwin, claim)]));
  assert.equal(h.executedIn(r, gws.same.contract)[0].status, 2, "its own votes work (no receiver code: status 2)");
  const rA = await h.send(gws.a.contract.deliver([m], [claim], [sigs]));
  assert.equal(h.executedIn(rA, gws.a.contract).length, 1, "and the genuine message still delivers on A");
});

test("a vote for chain A replayed on a chain with another chain id is refused even with A's identity", async () => {
  const m = h.inbound(gws.a, { payload: "0x02" });
  const id = h.messageId(m);
  const claim = ethers.id("other-id");
  const sigs = await gws.a.deliverSigs(keys.slice(0, 1), id, claim);
  // Same identity, same address, same message bytes: the domain's chainId alone differs.
  await h.expectRevert(() => gws.other.contract.deliver([m], [claim], [sigs]), "NotMember");
  const proper = await h.deployGateway(twinOtherId, { keys, threshold: 1 });
  await h.expectRevert(() => proper.contract.deliver([m], [claim], [sigs]), "WrongDestinationChain");
});

test("after a fork changes block.chainid, every vote-taking call reverts WrongChainId", async () => {
  const fork = await h.startChain({ chainId: 31337 });
  try {
    const gw = await h.deployGateway(fork, { keys, threshold: 1 });
    const g = gw.contract;
    await gw.trust(h.SOURCE.chain, h.SOURCE.gateway);
    const m = h.inbound(gw);
    const id = h.messageId(m);
    const claim = ethers.id("fork");
    const sigs = await gw.deliverSigs(keys.slice(0, 1), id, claim);
    await fork.rpc("anvil_setChainId", [31338]);
    const calls = {
      deliver: () => g.deliver([m], [claim], [sigs]),
      execute: () => g.execute(m, claim),
      skip: () => g.skip(m, []),
      acknowledge: () => g.acknowledge(id, 1, claim, []),
      rotate: () => g.rotate([keys[0].address], 1, 2, []),
      configure: () => g.configure(h.SOURCE.chain, h.SOURCE.gateway, false, 1, 1, []),
    };
    for (const [name, call] of Object.entries(calls)) {
      const [expected, actual] = await h.expectRevert(call, "WrongChainId").catch((e) => {
        throw new Error(`${name}: ${e.message}`);
      });
      assert.deepEqual([expected, actual], [31337n, 31338n], name);
    }
  } finally {
    await fork.stop();
  }
});

test("domainSeparator and every vote digest equal ethers' EIP-712 encoding", async () => {
  const g = gws.a.contract;
  const dom = gws.a.domain;
  assert.equal(await g.domainSeparator(), ethers.TypedDataEncoder.hashDomain(dom));
  const id = ethers.id("id");
  const claim = ethers.id("claim");
  const set = keys.map((k) => k.address);
  const cases = [
    ["Deliver", { id, claim, epoch: 7n }, () => g.deliverDigest(id, claim, 7)],
    ["Ack", { id, status: 3, claim, epoch: 7n }, () => g.ackDigest(id, 3, claim, 7)],
    ["Skip", { id, epoch: 7n }, () => g.skipDigest(id, 7)],
    ["Rotate", { attesters: set, threshold: 2, newEpoch: 8n }, () => g.rotateDigest(set, 2, 8)],
    [
      "Configure",
      { srcChain: h.SOURCE.chain, srcGateway: h.SOURCE.gateway, trusted: true, maxPayload: 9, maxGas: 10n, epoch: 7n },
      () => g.configureDigest(h.SOURCE.chain, h.SOURCE.gateway, true, 9, 10, 7),
    ],
  ];
  for (const [type, value, call] of cases) assert.equal(await call(), h.typedDigest(dom, type, value), type);
});

// ---------------------------------------------------------------------------------------------
// Golden vectors (generated independently with ethers by schemas/vectors/generate.mjs)
// ---------------------------------------------------------------------------------------------

const vectors = fs.existsSync(vectorsFile) ? JSON.parse(fs.readFileSync(vectorsFile, "utf8")) : null;
const skipVectors = vectors ? false : `no ${vectorsFile}`;

const asMessage = (m) => ({ ...m, sequence: BigInt(m.sequence), timeout: BigInt(m.timeout), gasLimit: BigInt(m.gasLimit) });

test("golden vectors: the contract's messageId and the harness agree with every message", { skip: skipVectors }, async () => {
  const g = gws.a.contract;
  assert.ok(vectors.messages.length > 0);
  for (const v of vectors.messages) {
    const m = asMessage(v.message);
    assert.equal(await g.messageId(m), v.id, v.name);
    assert.equal(h.messageId(m), v.id, v.name);
    assert.deepEqual(h.decodeMessage(v.encoded), { ...m, flags: Number(m.flags), version: Number(m.version) }, v.name);
  }
  for (const c of vectors.claims) {
    assert.equal(h.claimOf(c.id, c.srcBlockHash, BigInt(c.srcBlockNumber), c.txIndex, c.logIndexInReceipt), c.claim);
  }
  for (const i of vectors.chainIdentities.filter((x) => x.family === 1)) {
    assert.equal(h.evmIdentity(BigInt(i.evmChainId), i.genesisHash), i.identity, i.name);
  }
});

test("golden vectors: the gateway's event signatures match", { skip: skipVectors }, async () => {
  const iface = gws.a.contract.interface;
  for (const [signature, topic] of Object.entries(vectors.eventTopics)) {
    assert.equal(iface.getEvent(signature.split("(")[0]).topicHash, topic, signature);
  }
});

test("golden vectors: the contract's separators and vote digests equal every EIP-712 vector", { skip: skipVectors }, async () => {
  // The vectors use made-up gateway addresses. A gateway is deployed per domain on an anvil
  // with that chain id and identity, and its runtime code is placed at the vector's address
  // with the separator immutable rewritten to the one for that address (checked against the
  // vector first), so every digest below is computed by the contract's own code.
  const ids = [...new Set(vectors.eip712.domains.map((d) => d.chainId))];
  const chains = Object.fromEntries(
    await Promise.all(ids.map(async (id) => [id, await h.startChain({ chainId: Number(id) })])),
  );
  try {
    for (const d of vectors.eip712.domains) {
      const chain = chains[d.chainId];
      const gw = await h.deployGateway(chain, { keys, threshold: 1, identity: d.salt });
      const deployedSeparator = await gw.contract.domainSeparator();
      assert.equal(deployedSeparator, ethers.TypedDataEncoder.hashDomain(gw.domain), d.label);
      assert.deepEqual([d.name, d.version], ["Causeway", "1"]);
      const expected = h.domainSeparatorOf({ chainId: BigInt(d.chainId), gateway: d.verifyingContract, identity: d.salt });
      assert.equal(expected, d.separator, `${d.label}: vector separator`);
      const code = await chain.provider.getCode(gw.address);
      const patched = code.split(deployedSeparator.slice(2)).join(d.separator.slice(2));
      assert.notEqual(patched, code, "separator immutable found in the runtime code");
      await chain.rpc("anvil_setCode", [d.verifyingContract, patched]);
      const g = await h.at(chain, "Gateway", d.verifyingContract);
      assert.equal(await g.domainSeparator(), d.separator, d.label);
      let checked = 0;
      for (const v of vectors.eip712.votes.filter((x) => x.domain === d.label)) {
        const x = v.value;
        const digest = {
          Deliver: () => g.deliverDigest(x.id, x.claim, x.epoch),
          Ack: () => g.ackDigest(x.id, x.status, x.claim, x.epoch),
          Skip: () => g.skipDigest(x.id, x.epoch),
          Rotate: () => g.rotateDigest(x.attesters, x.threshold, x.newEpoch),
          Configure: () => g.configureDigest(x.srcChain, x.srcGateway, x.trusted, x.maxPayload, x.maxGas, x.epoch),
        }[v.type];
        assert.ok(digest, `unknown vote type ${v.type}`);
        assert.equal(await digest(), v.digest, `${v.type} under ${d.label}`);
        checked += 1;
      }
      assert.ok(checked > 0, `votes for ${d.label}`);
    }
  } finally {
    await Promise.all(Object.values(chains).map((c) => c.stop()));
  }
});
