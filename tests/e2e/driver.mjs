#!/usr/bin/env node
// Drives the Probe application (adapters/evm/contracts/src/Probe.sol) on a devnet for the
// end-to-end tests and the benchmark: deploys probes, sends load, reads the counters of the probes
// and gateways, and pokes the chains (reorg, mine). Prints JSON on stdout; on any error prints
// "driver: <what>" on stderr and exits 1.
//
//   deploy --manifest M [--contracts DIR] --out FILE   Probe + Probe in fail mode on each chain
//   send --manifest M --probes FILE --from a --to b --count N [--ordered] [--per-tx K=100]
//        [--payload-bytes 32] [--failing] [--concurrency C=4]
//   status --manifest M --probes FILE
//   wait --manifest M --probes FILE --expect JSON --timeout S
//   reorg --manifest M --chain a --depth D             anvil_reorg, no replacement transactions
//   mine --manifest M --chain a --blocks N             anvil_mine
//   inspect-id --manifest M --chain b --id 0x..        execution on b, acknowledgement on the source
//   inject --manifest M --probes FILE --from a --to b   a "rogue attester": the manifest's vote key
//        signs a Deliver vote for a fabricated message a never sent and the dev account submits
//        it to b's gateway; prints its id, claim and the delivering transaction
//   latency --manifest M --from a --to b [--confirmations 1] [--range 500]
//        every message a sent to b joined with its MessageExecuted on b and its Acknowledged on a
//        by id: block-timestamp latencies (p50/p95/p99/max, whole seconds) and first/last times
//
// The manifest is the devnet's (schemas/deployment.schema.json); --contracts defaults to its
// contractsDir. Transactions come from the manifest's devAccount (account 0 of anvil's test
// mnemonic); while `send` runs it owns that account's nonces.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tools = process.env.CAUSEWAY_NODE_TOOLS || path.join(root, "deploy/devnet");
const { ethers } = createRequire(path.join(tools, "package.json"))("ethers");

// anvil's funded development accounts come from this well-known mnemonic; devnet use only.
const devMnemonic = "test test test test test test test test test test test junk";
// Gas each probe message gets on the destination: a receive costs about 35k.
const messageGasLimit = 100_000n;
// Probe's payload is abi.encode(uint256 nonce, bool ordered, bytes filler): four head words, then
// the filler padded to whole words.
const payloadHeadBytes = 128;
const rpcTimeoutMs = 10_000;
const receiptTimeoutMs = 300_000;
const receiptPollMs = 200;
const ackStatuses = [1, 2, 3, 4];
// Blocks per eth_getLogs request of `latency`, and block headers fetched at once.
const defaultLogRange = 500;
const headerFetchConcurrency = 16;

const gatewayAbi = [
  "function nextSequence(bytes32 dstChain, bytes32 dstGateway, bool ordered) view returns (uint64)",
  "function nextInbound(bytes32 srcChain, bytes32 srcGateway) view returns (uint64)",
  "function executed(bytes32 id) view returns (bool)",
  "function executionStatus(bytes32 id) view returns (uint8)",
  "function senderOf(bytes32 id) view returns (address)",
  "function ackStatus(bytes32 id) view returns (uint8)",
  "function epoch() view returns (uint64)",
  "function deliverDigest(bytes32 id, bytes32 claim, uint64 epoch) view returns (bytes32)",
  "function deliver((uint8 version, bytes32 srcChain, bytes32 srcGateway, bytes32 dstChain, bytes32 dstGateway, bytes32 receiver, uint64 sequence, bytes32 sender, uint64 timeout, uint64 gasLimit, uint8 flags, bytes payload)[] msgs, bytes32[] claims, bytes[][] signatures)",
];
const probeAbi = [
  "function sendMany(bytes32 dstChain, bytes32 dstGateway, bytes32 receiver, bool ordered, uint32 count, uint64 gasLimit, uint32 payloadBytes) returns (uint64)",
  "function setFailMode(bool on)",
  "function failMode() view returns (bool)",
  "function received() view returns (uint64)",
  "function duplicates() view returns (uint64)",
  "function outOfOrder() view returns (uint64)",
  "function acks() view returns (uint64)",
  "function duplicateAcks() view returns (uint64)",
  "function ackStatusCount(uint8 status) view returns (uint256)",
];
const probeInterface = new ethers.Interface(probeAbi);
const gatewayEvents = new ethers.Interface([
  "event MessageSent(bytes32 indexed id, bytes32 indexed dstChain, uint64 indexed sequence, bytes message)",
  "event MessageExecuted(bytes32 indexed id, bytes32 indexed srcChain, uint64 indexed sequence, uint8 status, bytes32 claim)",
  "event Acknowledged(bytes32 indexed id, uint8 status, bytes32 claim)",
]);
const topicOf = (name) => gatewayEvents.getEvent(name).topicHash;

class DriverError extends Error {}

function fail(message) {
  throw new DriverError(message);
}

const pad = (address) => ethers.zeroPadValue(address, 32);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Arguments, manifest, probes file.

const options = {
  manifest: { type: "string" },
  contracts: { type: "string" },
  out: { type: "string" },
  probes: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  count: { type: "string" },
  ordered: { type: "boolean" },
  "per-tx": { type: "string" },
  "payload-bytes": { type: "string" },
  failing: { type: "boolean" },
  concurrency: { type: "string" },
  expect: { type: "string" },
  timeout: { type: "string" },
  chain: { type: "string" },
  depth: { type: "string" },
  blocks: { type: "string" },
  id: { type: "string" },
  confirmations: { type: "string" },
  range: { type: "string" },
};

function required(values, name) {
  if (values[name] === undefined) fail(`--${name} is required`);
  return values[name];
}

function wholeNumber(values, name, { min = 0, fallback } = {}) {
  const text = values[name] ?? fallback;
  if (text === undefined) fail(`--${name} is required`);
  if (!/^[0-9]+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    fail(`--${name} ${text}: expected a whole number of at least ${min}`);
  }
  return Number(text);
}

function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    fail(`cannot read the ${what} ${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`the ${what} ${file} is not JSON: ${e.message}`);
  }
}

function readManifest(values) {
  const file = required(values, "manifest");
  const manifest = readJson(file, "manifest");
  if (!Array.isArray(manifest.chains) || manifest.chains.length === 0) fail(`the manifest ${file} lists no chains`);
  return manifest;
}

function chainNamed(manifest, name) {
  const chain = manifest.chains.find((c) => c.name === name);
  if (!chain) fail(`the manifest has no chain ${name} (it has ${manifest.chains.map((c) => c.name).join(", ")})`);
  return chain;
}

function readProbes(values, manifest) {
  const file = required(values, "probes");
  const probes = readJson(file, "probes file");
  for (const chain of manifest.chains) {
    for (const role of ["probe", "failing"]) {
      if (!ethers.isAddress(probes[chain.name]?.[role])) fail(`the probes file ${file} has no ${chain.name}.${role} address`);
    }
  }
  return probes;
}

// ---------------------------------------------------------------------------------------------
// Chains.

class Chain {
  constructor(info, timeoutMs = rpcTimeoutMs) {
    this.info = info;
    const request = new ethers.FetchRequest(info.rpc.http);
    // A node stopped with SIGSTOP never answers: a bounded wait keeps `wait` polling and lets the
    // other commands fail with a message instead of hanging.
    request.timeout = timeoutMs;
    const network = ethers.Network.from(BigInt(info.chainId));
    this.provider = new ethers.JsonRpcProvider(request, network, { staticNetwork: network, pollingInterval: receiptPollMs });
    this.gateway = new ethers.Contract(info.gateway, gatewayAbi, this.provider);
  }

  /// The funded account transactions come from; it must be the manifest's devAccount.
  wallet() {
    const wallet = ethers.HDNodeWallet.fromPhrase(devMnemonic).connect(this.provider);
    if (wallet.address.toLowerCase() !== String(this.info.devAccount).toLowerCase()) {
      fail(`chain ${this.info.name}: devAccount ${this.info.devAccount} is not account 0 of the test mnemonic (${wallet.address})`);
    }
    return wallet;
  }

  probe(address) {
    return new ethers.Contract(address, probeAbi, this.provider);
  }

  async requireCode(address, what) {
    if ((await this.provider.getCode(address)) === "0x") fail(`chain ${this.info.name}: no ${what} at ${address} (deploy it, or the devnet was restarted)`);
  }

  // One fee setting for a whole run, so no transaction waits for a fee query. Under load the base
  // fee climbs 12.5% per full block; the cap only has to stay above it (one pays base fee + tip).
  async fees() {
    const data = await this.provider.getFeeData();
    if (data.maxFeePerGas === null) return { type: 0, gasPrice: data.gasPrice * 4n };
    const tip = data.maxPriorityFeePerGas ?? 0n;
    return { type: 2, maxPriorityFeePerGas: tip, maxFeePerGas: data.maxFeePerGas + ethers.parseUnits("100", "gwei") };
  }

  /// Signs and submits one transaction with every field given; returns its hash.
  async submit(wallet, tx) {
    const raw = await wallet.signTransaction({ chainId: BigInt(this.info.chainId), value: 0n, ...tx });
    const hash = await this.provider.send("eth_sendRawTransaction", [raw]);
    if (hash.toLowerCase() !== ethers.keccak256(raw)) fail(`chain ${this.info.name}: the node returned hash ${hash} for another transaction`);
    return hash;
  }

  /// One JSON-RPC batch to the node, results in order, through fetch's own JSON reader: ethers
  /// decodes replies to UTF-8 in JavaScript, which for the receipts of a 1,000-transaction send
  /// (each with all its logs, 30 MB) took a core for 15 s beside the relay the benchmark measures.
  async rawBatch(method, paramsList) {
    const body = JSON.stringify(paramsList.map((params, id) => ({ jsonrpc: "2.0", id, method, params })));
    const response = await fetch(this.info.rpc.http, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(rpcTimeoutMs) });
    const replies = await response.json();
    if (!Array.isArray(replies) || replies.length !== paramsList.length) fail(`chain ${this.info.name}: ${method} batch: unexpected reply`);
    return replies.sort((x, y) => x.id - y.id).map((r) => {
      if (r.error) fail(`chain ${this.info.name}: ${method}: ${r.error.message}`);
      return r.result;
    });
  }

  /// Receipts of `hashes` ({hash, status, blockNumber}), in order, once all are mined (blocks come
  /// on the node's interval); fails naming the first transaction that reverted.
  async receipts(hashes, labels) {
    const found = new Array(hashes.length).fill(undefined);
    const deadline = Date.now() + receiptTimeoutMs;
    for (let missing = hashes.length; missing > 0;) {
      if (Date.now() > deadline) fail(`chain ${this.info.name}: ${missing} transactions not mined within ${receiptTimeoutMs / 1000} s`);
      // The last missing one first: while it is pending (one sender's transactions are mined in
      // nonce order), the others are not looked up again.
      const wanted = found.map((r, i) => (r ? -1 : i)).filter((i) => i >= 0);
      const [last] = await this.rawBatch("eth_getTransactionReceipt", [[hashes[wanted[wanted.length - 1]]]]);
      if (last) {
        const polled = await this.rawBatch("eth_getTransactionReceipt", wanted.map((i) => [hashes[i]]));
        polled.forEach((r, k) => {
          if (r) found[wanted[k]] = { hash: r.transactionHash, status: Number(r.status), blockNumber: Number(r.blockNumber) };
        });
      }
      missing = found.filter((r) => !r).length;
      if (missing > 0) await sleep(receiptPollMs);
    }
    found.forEach((r, i) => {
      if (r.status !== 1) fail(`chain ${this.info.name}: ${labels[i]} (${r.hash}) reverted in block ${r.blockNumber}`);
    });
    return found;
  }

  /// The gateway's logs matching `topics` in blocks [from, to], fetched `range` blocks at a time
  /// so no single request has to carry a whole run's events.
  async gatewayLogs(topics, from, to, range) {
    const out = [];
    for (let start = from; start <= to; start += range) {
      const end = Math.min(to, start + range - 1);
      const filter = { address: this.info.gateway, topics, fromBlock: ethers.toQuantity(start), toBlock: ethers.toQuantity(end) };
      const logs = await this.provider.send("eth_getLogs", [filter]);
      if (!Array.isArray(logs)) fail(`chain ${this.info.name}: eth_getLogs ${start}..${end} did not return a list`);
      out.push(...logs);
    }
    return out;
  }

  /// Timestamps (unix seconds) of the given block numbers, as a Map.
  async timestamps(numbers) {
    const wanted = [...new Set(numbers)];
    const out = new Map();
    for (let i = 0; i < wanted.length; i += headerFetchConcurrency) {
      const slice = wanted.slice(i, i + headerFetchConcurrency);
      const blocks = await Promise.all(slice.map((n) => this.provider.send("eth_getBlockByNumber", [ethers.toQuantity(n), false])));
      blocks.forEach((b, k) => {
        if (!b) fail(`chain ${this.info.name}: no block ${slice[k]}`);
        out.set(slice[k], Number(b.timestamp));
      });
    }
    return out;
  }

  destroy() {
    this.provider.destroy();
  }
}

async function withChains(infos, body, timeoutMs = rpcTimeoutMs) {
  const chains = infos.map((info) => new Chain(info, timeoutMs));
  try {
    return await body(chains);
  } finally {
    for (const c of chains) c.destroy();
  }
}

function loadArtifact(dir, name) {
  const artifact = readJson(path.join(dir, `${name}.json`), `${name} artifact`);
  if (!Array.isArray(artifact.abi) || !/^0x[0-9a-fA-F]+$/.test(artifact.bytecode ?? "")) fail(`${dir}/${name}.json has no abi or bytecode`);
  return artifact;
}

// ---------------------------------------------------------------------------------------------
// Commands.

// Two probes per chain: the deployments go out together, then fail mode is switched on in a
// second round (a call estimated before the contract exists would get too little gas).
async function deploy(values) {
  const manifest = readManifest(values);
  const out = required(values, "out");
  const dir = values.contracts ?? manifest.contractsDir ?? fail("--contracts is required (the manifest has no contractsDir)");
  const artifact = loadArtifact(dir, "Probe");
  const probes = {};
  await withChains(manifest.chains, (chains) => Promise.all(chains.map(async (chain) => {
    const wallet = chain.wallet();
    // Mined at once under automine, then back to the devnet's block time (as deploy.mjs does).
    const blockTime = chain.info.blockTime ?? 0;
    if (blockTime > 0) await chain.provider.send("evm_setAutomine", [true]);
    const fees = await chain.fees();
    let nonce = await chain.provider.getTransactionCount(wallet.address, "pending");
    const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
    const { data } = await factory.getDeployTransaction(chain.info.gateway);
    const gasLimit = ((await chain.provider.estimateGas({ from: wallet.address, data })) * 12n) / 10n;
    const addresses = {};
    const hashes = [];
    for (const role of ["probe", "failing"]) {
      addresses[role] = ethers.getCreateAddress({ from: wallet.address, nonce });
      hashes.push(await chain.submit(wallet, { ...fees, nonce: nonce++, data, gasLimit }));
    }
    await chain.receipts(hashes, ["deploy Probe", "deploy failing Probe"]);
    const failing = chain.probe(addresses.failing);
    const call = { to: addresses.failing, data: probeInterface.encodeFunctionData("setFailMode", [true]) };
    const callGas = ((await chain.provider.estimateGas({ from: wallet.address, ...call })) * 12n) / 10n;
    const switched = await chain.submit(wallet, { ...fees, nonce: nonce++, ...call, gasLimit: callGas });
    await chain.receipts([switched], ["setFailMode(true)"]);
    if (!(await failing.failMode())) fail(`chain ${chain.info.name}: the failing probe is not in fail mode`);
    if (blockTime > 0) await chain.provider.send("evm_setIntervalMining", [blockTime]);
    probes[chain.info.name] = addresses;
  })));
  const ordered = Object.fromEntries(manifest.chains.map((c) => [c.name, probes[c.name]]));
  const temporary = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, `${JSON.stringify(ordered, null, 2)}\n`);
  fs.renameSync(temporary, out);
  return ordered;
}

// Sends `count` messages in sendMany transactions of `per-tx`, all signed with locally counted
// nonces and submitted `concurrency` at a time without waiting for receipts; then waits for all.
async function send(values) {
  const manifest = readManifest(values);
  const probes = readProbes(values, manifest);
  const from = chainNamed(manifest, required(values, "from"));
  const to = chainNamed(manifest, required(values, "to"));
  const count = wholeNumber(values, "count", { min: 1 });
  const perTx = wholeNumber(values, "per-tx", { min: 1, fallback: "100" });
  const payloadBytes = wholeNumber(values, "payload-bytes", { fallback: "32" });
  const concurrency = wholeNumber(values, "concurrency", { min: 1, fallback: "4" });
  const ordered = values.ordered ?? false;
  const receiver = probes[to.name][values.failing ? "failing" : "probe"];

  // A message the destination's lane bounds refuse could never be delivered: refuse to send it.
  const lane = (to.trustedSources ?? []).find((t) => t.chain === from.name);
  if (!lane) fail(`chain ${to.name} does not trust chain ${from.name} in the manifest`);
  const payloadSize = payloadHeadBytes + Math.ceil(payloadBytes / 32) * 32;
  if (payloadSize > lane.maxPayload) fail(`--payload-bytes ${payloadBytes} makes ${payloadSize}-byte payloads; lane ${from.name}→${to.name} takes at most ${lane.maxPayload}`);
  if (messageGasLimit > BigInt(lane.maxGas)) fail(`lane ${from.name}→${to.name} allows ${lane.maxGas} gas per message, the probe needs ${messageGasLimit}`);

  return withChains([from], async ([chain]) => {
    const wallet = chain.wallet();
    const probe = probes[from.name].probe;
    await chain.requireCode(probe, "Probe");
    const batches = [];
    for (let left = count; left > 0; left -= perTx) batches.push(Math.min(perTx, left));
    const dataOf = (n) =>
      probeInterface.encodeFunctionData("sendMany", [to.chainIdentity, pad(to.gateway), pad(receiver), ordered, n, messageGasLimit, payloadBytes]);
    // Every batch of one size costs the same (each send writes fresh slots), so one estimate per
    // size, with a margin, serves all of them.
    const block = await chain.provider.getBlock("latest");
    const gasFor = {};
    for (const n of new Set(batches)) {
      let estimate;
      try {
        estimate = await chain.provider.estimateGas({ from: wallet.address, to: probe, data: dataOf(n) });
      } catch (e) {
        fail(`chain ${from.name}: sendMany of ${n} messages fails (${e.shortMessage ?? e.message}); try a smaller --per-tx`);
      }
      gasFor[n] = (estimate * 12n) / 10n;
      if (gasFor[n] > block.gasLimit) fail(`--per-tx ${n} needs ${gasFor[n]} gas, above the block gas limit ${block.gasLimit}; use a smaller --per-tx`);
    }
    const fees = await chain.fees();
    const firstNonce = await chain.provider.getTransactionCount(wallet.address, "pending");

    const started = performance.now();
    const hashes = new Array(batches.length);
    let next = 0;
    const submitter = async () => {
      for (let i = next++; i < batches.length; i = next++) {
        hashes[i] = await chain.submit(wallet, { ...fees, nonce: firstNonce + i, to: probe, data: dataOf(batches[i]), gasLimit: gasFor[batches[i]] });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, submitter));
    const receipts = await chain.receipts(hashes, batches.map((n, i) => `sendMany #${i + 1} (${n} messages)`));
    const seconds = (performance.now() - started) / 1000;
    const blocks = receipts.map((r) => r.blockNumber);
    return {
      sent: count,
      txs: batches.length,
      first_block: Math.min(...blocks),
      last_block: Math.max(...blocks),
      seconds: Number(seconds.toFixed(3)),
    };
  });
}

// Counters of both probes and the gateway's lanes to and from every other chain, per chain.
async function readStatus(manifest, probes, timeoutMs = rpcTimeoutMs) {
  return withChains(manifest.chains, async (chains) => {
    const perChain = await Promise.all(chains.map(async (chain) => {
      const others = manifest.chains.filter((c) => c.name !== chain.info.name);
      const probeCounters = async (address) => {
        const p = chain.probe(address);
        const [received, duplicates, outOfOrder, acks, duplicateAcks, ...byStatus] = await Promise.all([
          p.received(), p.duplicates(), p.outOfOrder(), p.acks(), p.duplicateAcks(),
          ...ackStatuses.map((s) => p.ackStatusCount(s)),
        ]);
        return {
          received: Number(received),
          duplicates: Number(duplicates),
          outOfOrder: Number(outOfOrder),
          acks: Number(acks),
          duplicateAcks: Number(duplicateAcks),
          ackStatusCount: Object.fromEntries(ackStatuses.map((s, i) => [String(s), Number(byStatus[i])])),
        };
      };
      const lanes = await Promise.all(others.map(async (o) => {
        const [orderedNext, unorderedNext, inbound] = await Promise.all([
          chain.gateway.nextSequence(o.chainIdentity, pad(o.gateway), true),
          chain.gateway.nextSequence(o.chainIdentity, pad(o.gateway), false),
          chain.gateway.nextInbound(o.chainIdentity, pad(o.gateway)),
        ]);
        return { name: o.name, ordered: Number(orderedNext), unordered: Number(unorderedNext), inbound: Number(inbound) };
      }));
      const [block, probe, failing] = await Promise.all([
        chain.provider.getBlockNumber(),
        probeCounters(probes[chain.info.name].probe),
        probeCounters(probes[chain.info.name].failing),
      ]);
      return [chain.info.name, {
        block,
        probe,
        failing,
        gateway: {
          nextSequence: Object.fromEntries(lanes.map((l) => [l.name, { ordered: l.ordered, unordered: l.unordered }])),
          nextInbound: Object.fromEntries(lanes.map((l) => [l.name, l.inbound])),
        },
      }];
    }));
    return Object.fromEntries(perChain);
  }, timeoutMs);
}

async function status(values) {
  const manifest = readManifest(values);
  return readStatus(manifest, readProbes(values, manifest));
}

/// The counters of `expect` (numbers at the leaves) that `actual` has not reached, as
/// "path = actual < expected"; a path `actual` lacks is an error, as waiting could not help.
function unmet(expect, actual, where = []) {
  if (typeof expect !== "object" || expect === null || Array.isArray(expect)) fail("--expect: expected a JSON object");
  const out = [];
  for (const [key, want] of Object.entries(expect)) {
    const at = [...where, key];
    const have = actual?.[key];
    if (typeof want === "number") {
      if (typeof have !== "number") fail(`--expect names ${at.join(".")}, which is not a counter of status`);
      if (have < want) out.push(`${at.join(".")} = ${have} < ${want}`);
    } else {
      if (typeof want !== "object" || want === null || Array.isArray(want)) fail(`--expect ${at.join(".")}: expected a number or an object`);
      if (typeof have !== "object" || have === null) fail(`--expect names ${at.join(".")}, which status does not have`);
      out.push(...unmet(want, have, at));
    }
  }
  return out;
}

// Polls status once a second until every expected counter is reached. A poll that fails (a node
// paused or restarting) counts as "not yet"; on timeout the last status read is printed.
async function wait(values) {
  const manifest = readManifest(values);
  const probes = readProbes(values, manifest);
  let expect;
  try {
    expect = JSON.parse(required(values, "expect"));
  } catch (e) {
    if (e instanceof DriverError) throw e;
    fail(`--expect is not JSON: ${e.message}`);
  }
  const timeoutMs = wholeNumber(values, "timeout") * 1000;
  const deadline = Date.now() + timeoutMs;
  let last;
  let missing = ["no status read yet"];
  for (;;) {
    const round = Date.now();
    try {
      // A paused node must not hold a poll past the deadline.
      last = await readStatus(manifest, probes, Math.min(rpcTimeoutMs, Math.max(1000, deadline - Date.now())));
      missing = unmet(expect, last);
      if (missing.length === 0) return last;
    } catch (e) {
      if (e instanceof DriverError) throw e;
      missing = [`reading status failed: ${e.shortMessage ?? e.message}`];
    }
    if (Date.now() >= deadline) {
      print(last ?? {});
      fail(`timed out after ${timeoutMs / 1000} s: ${missing.join("; ")}`);
    }
    await sleep(Math.max(0, Math.min(1000 - (Date.now() - round), deadline - Date.now())));
  }
}

async function head(chain) {
  const block = await chain.provider.send("eth_getBlockByNumber", ["latest", false]);
  return { number: Number(block.number), hash: block.hash };
}

// anvil_reorg(depth, transactions): drops the last `depth` blocks and mines as many new ones
// with the given (here: no) transactions; the dropped transactions are not re-included.
async function reorg(values) {
  const manifest = readManifest(values);
  const info = chainNamed(manifest, required(values, "chain"));
  const depth = wholeNumber(values, "depth", { min: 1 });
  return withChains([info], async ([chain]) => {
    const before = await head(chain);
    if (depth > before.number) fail(`chain ${info.name}: cannot reorg ${depth} blocks at height ${before.number}`);
    await chain.provider.send("anvil_reorg", [depth, []]);
    return { chain: info.name, depth, before, after: await head(chain) };
  });
}

async function mine(values) {
  const manifest = readManifest(values);
  const info = chainNamed(manifest, required(values, "chain"));
  const blocks = wholeNumber(values, "blocks", { min: 1 });
  return withChains([info], async ([chain]) => {
    await chain.provider.send("anvil_mine", [ethers.toQuantity(blocks)]);
    return { chain: info.name, blocks, head: await head(chain) };
  });
}

// The id's execution on `chain`, and its acknowledgement on the chain whose gateway sent it.
async function inspectId(values) {
  const manifest = readManifest(values);
  const info = chainNamed(manifest, required(values, "chain"));
  const id = required(values, "id");
  if (!ethers.isHexString(id, 32)) fail(`--id ${id}: expected 32 bytes of 0x-hex`);
  return withChains(manifest.chains, async (chains) => {
    const dst = chains.find((c) => c.info === info);
    const [executed, executionStatus] = await Promise.all([dst.gateway.executed(id), dst.gateway.executionStatus(id)]);
    let source = null;
    for (const c of chains.filter((x) => x !== dst)) {
      const sender = await c.gateway.senderOf(id);
      if (sender !== ethers.ZeroAddress) source = { chain: c.info.name, sender, ackStatus: Number(await c.gateway.ackStatus(id)) };
    }
    return { chain: info.name, id, executed, executionStatus: Number(executionStatus), source };
  });
}

// Nearest-rank percentiles of `values` (any order), with the mean; null when there are none.
function distribution(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { count: sorted.length, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted.at(-1), mean: Number(mean.toFixed(3)) };
}

// Joins every MessageSent on `from` addressed to `to` with its MessageExecuted on `to` and its
// Acknowledged on `from`, by id, and measures between block timestamps: source inclusion to
// target inclusion, source finality (the block `confirmations` above the inclusion, as the
// relay's confirmations mode counts) to target inclusion, target inclusion to acknowledgement.
// Block timestamps are whole seconds, so every figure is too.
async function latency(values) {
  const manifest = readManifest(values);
  const fromInfo = chainNamed(manifest, required(values, "from"));
  const toInfo = chainNamed(manifest, required(values, "to"));
  const confirmations = wholeNumber(values, "confirmations", { fallback: "1" });
  const range = wholeNumber(values, "range", { min: 1, fallback: String(defaultLogRange) });
  return withChains([fromInfo, toInfo], async ([from, to]) => {
    const [fromHead, toHead] = await Promise.all([from.provider.getBlockNumber(), to.provider.getBlockNumber()]);
    const start = (info) => Number(info.deployBlock ?? 0);
    const [sentLogs, executedLogs, ackLogs] = await Promise.all([
      from.gatewayLogs([topicOf("MessageSent"), null, toInfo.chainIdentity], start(fromInfo), fromHead, range),
      to.gatewayLogs([topicOf("MessageExecuted"), null, fromInfo.chainIdentity], start(toInfo), toHead, range),
      from.gatewayLogs([topicOf("Acknowledged")], start(fromInfo), fromHead, range),
    ]);
    const blockOf = (log) => Number(log.blockNumber);
    const sent = new Map(sentLogs.map((l) => [l.topics[1], blockOf(l)]));
    const executed = new Map(executedLogs.map((l) => [l.topics[1], blockOf(l)]));
    const acknowledged = new Map(ackLogs.filter((l) => sent.has(l.topics[1])).map((l) => [l.topics[1], blockOf(l)]));
    const finalBlock = (block) => block + confirmations;
    const [fromTimes, toTimes] = await Promise.all([
      from.timestamps([...sent.values()].flatMap((b) => (finalBlock(b) <= fromHead ? [b, finalBlock(b)] : [b])).concat([...acknowledged.values()])),
      to.timestamps([...executed.values()]),
    ]);
    const inclusion = [];
    const finality = [];
    const acknowledgement = [];
    for (const [id, sentBlock] of sent) {
      if (!executed.has(id)) continue;
      const executedAt = toTimes.get(executed.get(id));
      inclusion.push(executedAt - fromTimes.get(sentBlock));
      if (fromTimes.has(finalBlock(sentBlock))) finality.push(executedAt - fromTimes.get(finalBlock(sentBlock)));
      if (acknowledged.has(id)) acknowledgement.push(fromTimes.get(acknowledged.get(id)) - executedAt);
    }
    const span = (times, blocks) => {
      let first = null;
      let last = null;
      for (const b of blocks) {
        const at = times.get(b);
        if (first === null || at < first) first = at;
        if (last === null || at > last) last = at;
      }
      return { first, last };
    };
    return {
      from: fromInfo.name,
      to: toInfo.name,
      confirmations,
      sent: sent.size,
      executed: inclusion.length,
      acknowledged: acknowledgement.length,
      // Unix seconds of the first and last block holding each kind of event.
      times: {
        sent: span(fromTimes, sent.values()),
        executed: span(toTimes, executed.values()),
        acknowledged: span(fromTimes, acknowledged.values()),
      },
      seconds: {
        inclusion_to_inclusion: distribution(inclusion),
        finality_to_inclusion: distribution(finality),
        execution_to_acknowledgement: distribution(acknowledgement),
      },
    };
  });
}

// A delivery no source event justifies: the attester key alone decides it (single-operator mode),
// which is exactly what `causeway audit scan` must catch. The claim names no real event.
async function inject(values) {
  const manifest = readManifest(values);
  const probes = readProbes(values, manifest);
  const from = chainNamed(manifest, required(values, "from"));
  const to = chainNamed(manifest, required(values, "to"));
  const keyFile = manifest.keys?.vote?.[0]?.file ?? fail("the manifest lists no vote key");
  const signer = new ethers.SigningKey(fs.readFileSync(keyFile, "utf8").trim());
  return withChains([to], async ([chain]) => {
    const wallet = chain.wallet();
    const message = {
      version: 1,
      srcChain: from.chainIdentity,
      srcGateway: pad(from.gateway),
      dstChain: to.chainIdentity,
      dstGateway: pad(to.gateway),
      receiver: pad(probes[to.name].probe),
      // Far beyond any sequence the tests send, on the unordered lane, so nothing collides.
      sequence: 1_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)),
      sender: pad(probes[from.name].probe),
      timeout: 0n,
      gasLimit: messageGasLimit,
      flags: 0,
      payload: ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "bool", "bytes"], [ethers.toBigInt(ethers.randomBytes(8)), false, "0x"]),
    };
    const id = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
      ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64", "uint8", "bytes32"],
      [message.version, message.srcChain, message.srcGateway, message.dstChain, message.dstGateway, message.receiver,
        message.sequence, message.sender, message.timeout, message.gasLimit, message.flags, ethers.keccak256(message.payload)]));
    const claim = ethers.hexlify(ethers.randomBytes(32));
    const epoch = await chain.gateway.epoch();
    const digest = await chain.gateway.deliverDigest(id, claim, epoch);
    const signature = signer.sign(digest).serialized;
    const data = chain.gateway.interface.encodeFunctionData("deliver", [[message], [claim], [[signature]]]);
    const gasLimit = ((await chain.provider.estimateGas({ from: wallet.address, to: to.gateway, data })) * 12n) / 10n;
    const nonce = await chain.provider.getTransactionCount(wallet.address, "pending");
    const hash = await chain.submit(wallet, { ...(await chain.fees()), nonce, to: to.gateway, data, gasLimit });
    const [receipt] = await chain.receipts([hash], ["deliver of the injected message"]);
    if (!(await chain.gateway.executed(id))) fail(`chain ${to.name}: the injected message ${id} was not executed`);
    return { id, claim, tx: hash, block: receipt.blockNumber };
  });
}

const commands = { deploy, send, status, wait, reorg, mine, "inspect-id": inspectId, latency, inject };

function print(value) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

let exitCode = 0;
try {
  const { positionals, values } = parseArgs({ args: process.argv.slice(2), options, allowPositionals: true });
  const command = commands[positionals[0]];
  if (positionals.length !== 1 || !command) fail(`usage: driver.mjs ${Object.keys(commands).join("|")} --manifest M ... (see the head of ${path.relative(root, fileURLToPath(import.meta.url))})`);
  print(await command(values));
} catch (e) {
  console.error(`driver: ${e instanceof DriverError ? e.message : (e.shortMessage ?? e.message)}`);
  exitCode = 1;
}
// Requests to a paused node may still be pending; they must not keep the process alive.
process.exit(exitCode);
