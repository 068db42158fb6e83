// Test harness for the contract suite: compiled artifacts, real anvil nodes on free loopback
// ports, deterministic attester keys, EIP-712 vote signing and a tiny in-test relay.
//
// Environment: CAUSEWAY_CONTRACTS_DIR (artifacts built by `compile.mjs`; else compiled here),
// CAUSEWAY_NODE_TOOLS (pinned node_modules, default deploy/devnet), CAUSEWAY_ANVIL_HARDFORK
// (anvil --hardfork; default: anvil's own).
import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import crypto from "node:crypto";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileSources, writeArtifacts, SOURCE_DIR } from "../compile.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
export const nodeTools = process.env.CAUSEWAY_NODE_TOOLS || path.join(repoRoot, "deploy/devnet");
export const ethers = await import(pathToFileURL(path.join(nodeTools, "node_modules/ethers/lib.esm/index.js")).href);
export const hardfork = process.env.CAUSEWAY_ANVIL_HARDFORK || "";
const coder = ethers.AbiCoder.defaultAbiCoder();

// ---------------------------------------------------------------------------------------------
// Artifacts
// ---------------------------------------------------------------------------------------------

const MOCK_DIR = path.join(here, "mocks");

function sourceFingerprint() {
  const h = crypto.createHash("sha256");
  for (const dir of [SOURCE_DIR, MOCK_DIR]) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".sol")).sort()) {
      h.update(name).update(fs.readFileSync(path.join(dir, name)));
    }
  }
  h.update(fs.readFileSync(path.join(here, "../compile.mjs")));
  h.update(fs.readFileSync(path.join(nodeTools, "node_modules/solc/package.json"))); // the pinned compiler
  return h.digest("hex").slice(0, 16);
}

function readDir(dir) {
  const out = {};
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const a = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
    out[a.contractName] = a;
  }
  return out;
}

// Compiling takes seconds, and several test processes start at once: one compiles into a cache
// keyed by the sources, the others wait for it.
async function compiledWithMocks() {
  const cache = path.join(os.tmpdir(), `causeway-contracts-${sourceFingerprint()}`);
  const lock = `${cache}.lock`;
  const deadline = Date.now() + 180_000;
  while (!fs.existsSync(path.join(cache, ".done"))) {
    try {
      fs.mkdirSync(lock);
    } catch {
      const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (age > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      const tmp = `${cache}.${process.pid}`;
      writeArtifacts(tmp, compileSources([SOURCE_DIR, MOCK_DIR]));
      fs.writeFileSync(path.join(tmp, ".done"), "");
      fs.rmSync(cache, { recursive: true, force: true });
      fs.renameSync(tmp, cache);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return readDir(cache);
}

let artifactsPromise;
/// name → { contractName, abi, bytecode, deployedBytecode }. The production contracts come from
/// CAUSEWAY_CONTRACTS_DIR when set, so the suite tests exactly what the build produced.
export function artifacts() {
  artifactsPromise ??= (async () => {
    const all = await compiledWithMocks();
    const dir = process.env.CAUSEWAY_CONTRACTS_DIR;
    if (dir) Object.assign(all, readDir(dir));
    return all;
  })();
  return artifactsPromise;
}

let errorInterface;
/// One Interface holding every custom error of every artifact, to name any revert.
async function errors() {
  if (!errorInterface) {
    const seen = new Map();
    for (const a of Object.values(await artifacts())) {
      for (const f of a.abi.filter((x) => x.type === "error")) {
        const sig = `${f.name}(${f.inputs.map((i) => i.type).join(",")})`;
        if (!seen.has(sig)) seen.set(sig, f);
      }
    }
    errorInterface = new ethers.Interface([...seen.values()]);
  }
  return errorInterface;
}

// ---------------------------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------------------------

const anvilBin = path.join(nodeTools, "node_modules/.bin/anvil");
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
// Turn termination by a signal into a normal exit so the handler above still stops the nodes.
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/// Chain identity per PROTOCOL.md section 1 for an EVM chain.
export function evmIdentity(chainId, genesisHash) {
  return ethers.keccak256(coder.encode(["uint8", "bytes32", "bytes32"], [1, ethers.toBeHex(chainId, 32), genesisHash]));
}

const FUNDED = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // account 0 of the test mnemonic

async function launch(args) {
  const port = await freePort();
  // A balance unique to this launch proves the node answering on `port` is ours, not another
  // test process's anvil that won the race for the same port.
  const balance = 10_000 + crypto.randomInt(1_000_000);
  const child = spawn(anvilBin, ["--host", "127.0.0.1", "--port", String(port), "--silent", "--balance", String(balance), ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !exited; i++) {
    let answered;
    try {
      answered = await rpc(url, "eth_getBalance", [FUNDED, "latest"]);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (BigInt(answered) !== ethers.parseEther(String(balance))) break; // someone else's node
    running.add(child);
    return { child, url };
  }
  child.kill("SIGKILL");
  throw new Error(`anvil did not start on port ${port}: ${stderr}`);
}

/// Starts anvil (chain id `chainId`, genesis `timestamp` if given) and returns
/// { url, provider, chainId, identity, signer(i), rpc(method, params), stop() }.
export async function startChain({ chainId = 31337, timestamp } = {}) {
  const args = ["--chain-id", String(chainId)];
  if (timestamp !== undefined) args.push("--timestamp", String(timestamp));
  if (hardfork) args.push("--hardfork", hardfork);
  let launched;
  for (let attempt = 0; !launched; attempt++) {
    try {
      launched = await launch(args);
    } catch (err) {
      if (attempt >= 2) throw err; // a port taken between probe and bind: try another
    }
  }
  const { child, url } = launched;
  const provider = new ethers.JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 20,
    batchMaxCount: 1,
  });
  const genesis = await rpc(url, "eth_getBlockByNumber", ["0x0", false]);
  const signers = [];
  return {
    url,
    provider,
    chainId: BigInt(chainId),
    identity: evmIdentity(chainId, genesis.hash),
    rpc: (method, params) => rpc(url, method, params),
    async signer(i = 0) {
      signers[i] ??= await provider.getSigner(i);
      return signers[i];
    },
    async stop() {
      provider.destroy();
      running.delete(child);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      // A node that ignores SIGTERM would keep this test process (and its ctest) alive until the
      // timeout: a CI run once waited 600 s after every subtest had passed.
      const force = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(force);
    },
  };
}

export async function deploy(chain, name, args = [], { from = 0 } = {}) {
  const a = (await artifacts())[name];
  assert.ok(a, `no artifact ${name}`);
  const factory = new ethers.ContractFactory(a.abi, a.bytecode, await chain.signer(from));
  const c = await factory.deploy(...args);
  await c.waitForDeployment();
  return c;
}

export async function at(chain, name, address, { from = 0 } = {}) {
  return new ethers.Contract(address, (await artifacts())[name].abi, await chain.signer(from));
}

export async function latestTimestamp(chain) {
  return BigInt((await chain.provider.getBlock("latest")).timestamp);
}

/// Next block's timestamp, mined with the next transaction.
export async function setNextTimestamp(chain, t) {
  await chain.rpc("evm_setNextBlockTimestamp", [Number(t)]);
}

// ---------------------------------------------------------------------------------------------
// Attesters and votes
// ---------------------------------------------------------------------------------------------

/// Deterministic attester keys (never the funded gas accounts), sorted by address.
export function attesterKeys(n, label = "attester") {
  const keys = [];
  for (let i = 0; i < n; i++) keys.push(new ethers.Wallet(ethers.id(`causeway-test-${label}-${i}`)));
  return sortKeys(keys);
}

export function sortKeys(keys) {
  return [...keys].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

export const VOTE_TYPES = {
  Deliver: [
    { name: "id", type: "bytes32" },
    { name: "claim", type: "bytes32" },
    { name: "epoch", type: "uint64" },
  ],
  Ack: [
    { name: "id", type: "bytes32" },
    { name: "status", type: "uint8" },
    { name: "claim", type: "bytes32" },
    { name: "epoch", type: "uint64" },
  ],
  Skip: [
    { name: "id", type: "bytes32" },
    { name: "epoch", type: "uint64" },
  ],
  Rotate: [
    { name: "attesters", type: "address[]" },
    { name: "threshold", type: "uint16" },
    { name: "newEpoch", type: "uint64" },
  ],
  Configure: [
    { name: "srcChain", type: "bytes32" },
    { name: "srcGateway", type: "bytes32" },
    { name: "trusted", type: "bool" },
    { name: "maxPayload", type: "uint32" },
    { name: "maxGas", type: "uint64" },
    { name: "epoch", type: "uint64" },
  ],
};

export function domain({ chainId, gateway, identity }) {
  return { name: "Causeway", version: "1", chainId, verifyingContract: gateway, salt: identity };
}

export function domainSeparatorOf(fields) {
  return ethers.TypedDataEncoder.hashDomain(domain(fields));
}

/// Signatures of `keys` (sorted by address, as the gateway requires) over one vote.
export async function sign(keys, dom, type, value) {
  const sorted = sortKeys(keys);
  return Promise.all(sorted.map((k) => k.signTypedData(dom, { [type]: VOTE_TYPES[type] }, value)));
}

export function typedDigest(dom, type, value) {
  return ethers.TypedDataEncoder.hash(dom, { [type]: VOTE_TYPES[type] }, value);
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

export const MESSAGE_TUPLE =
  "tuple(uint8 version,bytes32 srcChain,bytes32 srcGateway,bytes32 dstChain,bytes32 dstGateway,bytes32 receiver," +
  "uint64 sequence,bytes32 sender,uint64 timeout,uint64 gasLimit,uint8 flags,bytes payload)";

export const pad = (address) => ethers.zeroPadValue(address, 32);

/// The message id computed independently of the contract (PROTOCOL.md section 2).
export function messageId(m) {
  return ethers.keccak256(
    coder.encode(
      ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64", "uint8", "bytes32"],
      [m.version, m.srcChain, m.srcGateway, m.dstChain, m.dstGateway, m.receiver, m.sequence, m.sender, m.timeout,
        m.gasLimit, m.flags, ethers.keccak256(m.payload)],
    ),
  );
}

export function claimOf(id, blockHash, blockNumber, txIndex, logIndex) {
  return ethers.keccak256(
    coder.encode(["bytes32", "bytes32", "uint64", "uint32", "uint32"], [id, blockHash, blockNumber, txIndex, logIndex]),
  );
}

export function decodeMessage(bytes) {
  const [t] = coder.decode([MESSAGE_TUPLE], bytes);
  return {
    version: Number(t.version), srcChain: t.srcChain, srcGateway: t.srcGateway, dstChain: t.dstChain,
    dstGateway: t.dstGateway, receiver: t.receiver, sequence: t.sequence, sender: t.sender, timeout: t.timeout,
    gasLimit: t.gasLimit, flags: Number(t.flags), payload: t.payload,
  };
}

/// Events named `name` in a receipt, parsed by `contract`, with the log's index in the receipt.
export function eventsOf(receipt, contract, name) {
  const out = [];
  receipt.logs.forEach((log, indexInReceipt) => {
    if (log.address.toLowerCase() !== contract.target.toLowerCase()) return;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) out.push({ ...parsed, log, indexInReceipt });
  });
  return out;
}

/// The messages a transaction sent through `gateway`, each with its id and claim (section 4).
export function sentIn(receipt, gateway) {
  return eventsOf(receipt, gateway, "MessageSent").map((e) => {
    const msg = decodeMessage(e.args.message);
    return {
      id: e.args.id,
      msg,
      claim: claimOf(e.args.id, receipt.blockHash, receipt.blockNumber, e.log.transactionIndex, e.indexInReceipt),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Gateways
// ---------------------------------------------------------------------------------------------

/// A deployed gateway with what the tests need to vote on it.
export class GatewayFixture {
  constructor(chain, contract, identity, keys, threshold) {
    Object.assign(this, { chain, contract, identity, keys, threshold });
    this.address = contract.target;
    this.epoch = 1n;
  }

  get domain() {
    return domain({ chainId: this.chain.chainId, gateway: this.address, identity: this.identity });
  }

  sign(keys, type, value) {
    return sign(keys, this.domain, type, value);
  }

  deliverSigs(keys, id, claim, epoch = this.epoch) {
    return this.sign(keys, "Deliver", { id, claim, epoch });
  }

  /// Trusts (srcChain, srcGateway) with the given bounds using the fixture's own keys.
  async trust(srcChain, srcGateway, { trusted = true, maxPayload = 32768, maxGas = 8_000_000 } = {}) {
    const value = { srcChain, srcGateway, trusted, maxPayload, maxGas, epoch: this.epoch };
    const sigs = await this.sign(this.keys.slice(0, this.threshold), "Configure", value);
    await (await this.contract.configure(srcChain, srcGateway, trusted, maxPayload, maxGas, sigs)).wait();
  }
}

export async function deployGateway(chain, { identity = chain.identity, keys = attesterKeys(1), threshold = 1, guardian, from = 0 } = {}) {
  guardian ??= await (await chain.signer(9)).getAddress();
  const c = await deploy(chain, "Gateway", [identity, keys.map((k) => k.address), threshold, guardian], { from });
  return new GatewayFixture(chain, c, identity, keys, threshold);
}

/// A message into `gw` from a made-up source; override any field.
export function inbound(gw, fields = {}) {
  return {
    version: 1,
    srcChain: ethers.id("causeway-test-source-chain"),
    srcGateway: pad("0x00000000000000000000000000000000000050c1"),
    dstChain: gw.identity,
    dstGateway: pad(gw.address),
    receiver: pad("0x000000000000000000000000000000000000dEaD"),
    sequence: 1n,
    sender: pad("0x0000000000000000000000000000000000005e4d"),
    timeout: 0n,
    gasLimit: 200_000n,
    flags: 0,
    payload: "0x",
    ...fields,
  };
}

export const SOURCE = { chain: ethers.id("causeway-test-source-chain"), gateway: pad("0x00000000000000000000000000000000000050c1") };

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

function revertData(err) {
  for (let e = err, depth = 0; e && depth < 6; depth++) {
    const d = e.data ?? e.info?.error?.data;
    if (typeof d === "string" && d.startsWith("0x")) return d;
    if (typeof d?.data === "string") return d.data;
    e = e.error ?? e.info?.error;
  }
  return undefined;
}

/// Awaits `action` (a promise or a function returning one) and asserts it reverted with the
/// custom error `name`; returns the decoded error arguments.
export async function expectRevert(action, name) {
  let err;
  try {
    const r = await (typeof action === "function" ? action() : action);
    if (r && typeof r.wait === "function") await r.wait();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected revert ${name}, but it succeeded`);
  const data = revertData(err);
  assert.ok(data, `expected revert ${name}, got ${err.shortMessage || err.message}`);
  const parsed = (await errors()).parseError(data);
  assert.equal(parsed?.name, name, `expected revert ${name}, got ${parsed?.name ?? data}`);
  return parsed.args;
}

export async function send(txPromise) {
  const tx = await txPromise;
  try {
    return await tx.wait(1, SEND_WAIT_MS);
  } catch (err) {
    if (err?.code !== "TIMEOUT") throw err;
  }
  // A test hung for the suite's whole 600 s once in a CI run and once run alone, while the suite
  // passes in 14 s. ethers' wait follows new blocks by polling; should it miss the one that mined
  // the transaction (anvil mines at once), the receipt is asked for directly instead of waiting
  // for ever.
  const receipt = await tx.provider.getTransactionReceipt(tx.hash);
  if (receipt === null) throw new Error(`transaction ${tx.hash} not mined within ${SEND_WAIT_MS} ms`);
  if (receipt.status !== 1) {
    throw ethers.makeError("transaction execution reverted", "CALL_EXCEPTION", {
      action: "sendTransaction", data: null, reason: null, invocation: null, revert: null, transaction: tx, receipt,
    });
  }
  return receipt;
}
const SEND_WAIT_MS = 20_000;

/// A gateway (n attesters, `threshold`) trusting SOURCE, and a MockReceiver behind it.
export async function gatewayWithReceiver(chain, { n = 3, threshold = 2 } = {}) {
  const gw = await deployGateway(chain, { keys: attesterKeys(n), threshold });
  await gw.trust(SOURCE.chain, SOURCE.gateway);
  const receiver = await deploy(chain, "MockReceiver", [gw.address]);
  return { gw, g: gw.contract, keys: gw.keys, receiver, to: pad(receiver.target) };
}

/// Status of each MessageExecuted in a receipt, keyed by id.
export function executedIn(receipt, gateway) {
  return eventsOf(receipt, gateway, "MessageExecuted").map((e) => ({
    id: e.args.id,
    status: Number(e.args.status),
    claim: e.args.claim,
    sequence: e.args.sequence,
  }));
}

// ---------------------------------------------------------------------------------------------
// A minimal relay between two fixtures: what the C++ relay does, minus the proofs
// ---------------------------------------------------------------------------------------------

/// Delivers every message `receipt` sent through `from` to `to` with `to`'s threshold votes;
/// returns the delivery receipts.
export async function relayMessages(receipt, from, to) {
  const out = [];
  for (const s of sentIn(receipt, from.contract)) {
    const sigs = await to.deliverSigs(to.keys.slice(0, to.threshold), s.id, s.claim);
    out.push(await send(to.contract.deliver([s.msg], [s.claim], [sigs])));
  }
  return out;
}

/// Acknowledges on `src` every MessageExecuted in `receipt` (emitted by `dst`), with the claim
/// over that event (PROTOCOL.md section 6); returns the acknowledgement receipts.
export async function relayAcks(receipt, dst, src) {
  const out = [];
  for (const e of eventsOf(receipt, dst.contract, "MessageExecuted")) {
    const { id, status } = e.args;
    const claim = claimOf(id, receipt.blockHash, receipt.blockNumber, e.log.transactionIndex, e.indexInReceipt);
    const sigs = await src.sign(src.keys.slice(0, src.threshold), "Ack", { id, status, claim, epoch: src.epoch });
    out.push(await send(src.contract.acknowledge(id, status, claim, sigs)));
  }
  return out;
}
