#!/usr/bin/env node
// Node.js half of devnet_test.sh: checks a devnet manifest against the live nodes independently of
// deploy.mjs, sends one message, finds free ports and holds a port. Exits non-zero on any failure.
//   free-ports N | hold-port PORT | manifest MANIFEST | send MANIFEST
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tools = process.env.CAUSEWAY_NODE_TOOLS || path.join(root, "deploy/devnet");
const { ethers } = createRequire(path.join(tools, "package.json"))("ethers");

function check(condition, what) {
  if (!condition) throw new Error(what);
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

// The first port of the kernel's ephemeral range (Linux), 32768 where it cannot be read.
function ephemeralStart() {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 21000 ? low : 32768;
  } catch {
    return 32768;
  }
}

// N distinct ports from 20000 up to the ephemeral range that nothing listens on now. Below that
// range, since a port in it can be taken meanwhile by any outgoing connection's local end (an
// HTTP client of the devnet, say) and the server started on it then fails to bind.
async function freePorts(count) {
  const ports = new Set();
  const span = Math.min(ephemeralStart(), 40000) - 20000;
  while (ports.size < count) {
    const port = 20000 + Math.floor(Math.random() * span);
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  console.log([...ports].join(" "));
}

// Listens on PORT until killed; prints "listening" once bound.
function holdPort(port) {
  const server = net.createServer((socket) => socket.destroy());
  server.listen(port, "127.0.0.1", () => console.log("listening"));
}

function provider(chain) {
  const network = ethers.Network.from(BigInt(chain.chainId));
  return new ethers.JsonRpcProvider(chain.rpc.http, network, { staticNetwork: network, pollingInterval: 200 });
}

function artifact(manifest, name) {
  return JSON.parse(fs.readFileSync(path.join(manifest.contractsDir, `${name}.json`), "utf8"));
}

// Identities follow from the nodes' real block 0 and differ; every contract has code; the gateway
// stores its identity; key files are 0600, hold the listed addresses, and no secret is in the manifest.
async function checkManifest(file) {
  const text = fs.readFileSync(file, "utf8");
  const manifest = JSON.parse(text);
  const gatewayAbi = artifact(manifest, "Gateway").abi;
  check(manifest.chains.length === 2, "two chains");
  const identities = new Set();
  for (const chain of manifest.chains) {
    const p = provider(chain);
    try {
      check(BigInt(await p.send("eth_chainId", [])) === BigInt(chain.chainId), `chain ${chain.name}: chain id`);
      const genesis = await p.send("eth_getBlockByNumber", ["0x0", false]);
      check(genesis.hash === chain.genesisHash, `chain ${chain.name}: genesis hash ${chain.genesisHash} is not block 0 (${genesis.hash})`);
      const identity = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint8", "uint256", "bytes32"], [1, chain.chainId, genesis.hash]));
      check(identity === chain.chainIdentity, `chain ${chain.name}: identity`);
      identities.add(identity);
      for (const [name, address] of [["Gateway", chain.gateway], ...Object.entries(chain.contracts)]) {
        check((await p.getCode(address)) !== "0x", `chain ${chain.name}: ${name} at ${address} has no code`);
      }
      const gateway = new ethers.Contract(chain.gateway, gatewayAbi, p);
      check((await gateway.chainIdentity()) === identity, `chain ${chain.name}: gateway's stored identity`);
      check(chain.deployBlock > 0 && chain.deployBlock <= (await p.getBlockNumber()), `chain ${chain.name}: deploy block`);
    } finally {
      p.destroy();
    }
  }
  check(identities.size === 2, "the chain identities differ");
  await checkWiring(manifest);

  const { vote, gas } = manifest.keys;
  check(vote.length === manifest.attesters.addresses.length, "one vote key per attester");
  check(gas.length === 2, "one gas key per chain");
  for (const key of [...vote, ...gas]) {
    const mode = fs.statSync(key.file).mode & 0o777;
    check(mode === 0o600, `${key.file} has mode ${mode.toString(8)}, not 600`);
    const secret = fs.readFileSync(key.file, "utf8").trim();
    check(new ethers.Wallet(secret).address === key.address, `${key.file} holds ${key.address}`);
    check(!text.toLowerCase().includes(secret.slice(2).toLowerCase()), `the manifest contains the secret of ${key.file}`);
  }
  const voteAddresses = new Set(vote.map((k) => k.address));
  check(gas.every((k) => !voteAddresses.has(k.address)), "vote keys differ from gas keys");
  console.log("manifest: ok");
}

// Each gateway trusts the other; the examples know their peers; the dev account holds test tokens.
async function checkWiring(manifest) {
  const [a, b] = manifest.chains;
  check(["PingEcho", "TestToken", "LockBox"].every((n) => n in a.contracts), "chain a examples");
  check(["PingEcho", "MintBridge", "WrappedToken"].every((n) => n in b.contracts), "chain b examples");
  const pad = (address) => ethers.zeroPadValue(address, 32).toLowerCase();
  for (const [c, other] of [[a, b], [b, a]]) {
    const p = provider(c);
    try {
      const at = (name, address) => new ethers.Contract(address, artifact(manifest, name).abi, p);
      const [trusted] = await at("Gateway", c.gateway).peer(other.chainIdentity, pad(other.gateway));
      check(trusted, `chain ${c.name}: gateway trusts chain ${other.name}'s gateway`);
      const remote = await at("PingEcho", c.contracts.PingEcho).remoteGateway(other.chainIdentity);
      check(remote.toLowerCase() === pad(other.gateway), `chain ${c.name}: PingEcho knows chain ${other.name}'s gateway`);
      const bridge = c.name === "a" ? at("LockBox", c.contracts.LockBox) : at("MintBridge", c.contracts.MintBridge);
      const peer = c.name === "a" ? other.contracts.MintBridge : other.contracts.LockBox;
      check((await bridge.peerBridge()).toLowerCase() === pad(peer), `chain ${c.name}: bridge registered its peer`);
      check((await bridge.peerChain()) === other.chainIdentity, `chain ${c.name}: bridge registered the peer chain`);
    } finally {
      p.destroy();
    }
  }
  const p = provider(a);
  try {
    const token = new ethers.Contract(a.contracts.TestToken, artifact(manifest, "TestToken").abi, p);
    check((await token.balanceOf(a.devAccount)) > 0n, "the dev account holds test tokens");
  } finally {
    p.destroy();
  }
}

// The C++ protocol code (tests/integration/protocol_tool.cpp) answers one JSON request.
function cpp(request) {
  const tool = process.env.CAUSEWAY_PROTOCOL_TOOL;
  check(tool && fs.existsSync(tool), "CAUSEWAY_PROTOCOL_TOOL names the built protocol_tool");
  const out = execFileSync(tool, [], { input: JSON.stringify(request), encoding: "utf8" });
  return JSON.parse(out);
}

// Sends one message from chain a to PingEcho on chain b, checks the MessageSent event against
// PROTOCOL.md sections 2 and 3 and the id the C++ core computes, then delivers it on chain b with
// Deliver votes signed by the C++ core (libsecp256k1) and checks that chain b executed it.
async function send(file) {
  const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  const [a, b] = manifest.chains;
  const p = provider(a);
  let sent;
  try {
    const gatewayAbi = artifact(manifest, "Gateway").abi;
    const user = ethers.HDNodeWallet.fromPhrase("test test test test test test test test test test test junk").connect(p);
    check(user.address === a.devAccount, "dev account");
    const gateway = new ethers.Contract(a.gateway, gatewayAbi, user);
    const pad = (address) => ethers.zeroPadValue(address, 32);
    // PingEcho's payload: abi.encode(uint8 kind = 1 (ping), bytes data); it echoes back to chain a.
    const payload = ethers.AbiCoder.defaultAbiCoder().encode(["uint8", "bytes"], [1, ethers.toUtf8Bytes("ping from devnet_test")]);
    const fields = { dstChain: b.chainIdentity, dstGateway: pad(b.gateway), receiver: pad(b.contracts.PingEcho), timeout: 0n, gasLimit: 300000n };
    const tx = await gateway.send(fields.dstChain, fields.dstGateway, fields.receiver, fields.timeout, fields.gasLimit, false, payload);
    const receipt = await tx.wait(1, 60_000);
    check(receipt.status === 1, "send succeeded");
    const logs = receipt.logs.filter((log) => log.address === a.gateway);
    const events = logs.map((log) => ({ log, event: gateway.interface.parseLog(log) })).filter((e) => e.event?.name === "MessageSent");
    check(events.length === 1, "one MessageSent event");
    const [id, dstChain, sequence, message] = events[0].event.args;
    check(dstChain === b.chainIdentity && sequence === 1n, "MessageSent topics (dstChain, sequence 1)");
    const messageType = "tuple(uint8,bytes32,bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64,uint64,uint8,bytes)";
    const [m] = ethers.AbiCoder.defaultAbiCoder().decode([messageType], message);
    const expected = [1n, a.chainIdentity, pad(a.gateway).toLowerCase(), fields.dstChain, fields.dstGateway.toLowerCase(), fields.receiver.toLowerCase(), 1n, pad(user.address).toLowerCase(), 0n, fields.gasLimit, 0n, payload];
    expected.forEach((want, i) => check(String(m[i]).toLowerCase() === String(want).toLowerCase(), `message field ${i}: ${m[i]} != ${want}`));
    const recomputed = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(
      ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64", "uint8", "bytes32"],
      [...m.slice(0, 11), ethers.keccak256(m[11])]));
    check(id === recomputed, "the id is the hash of the message fields");

    const names = ["version", "srcChain", "srcGateway", "dstChain", "dstGateway", "receiver", "sequence", "sender", "timeout", "gasLimit", "flags", "payload"];
    const asJson = Object.fromEntries(names.map((n, i) => [n, typeof m[i] === "bigint" ? (n === "version" || n === "flags" ? Number(m[i]) : m[i].toString()) : m[i].toLowerCase()]));
    const fromCpp = cpp({ op: "message_id", message: asJson });
    check(fromCpp.id === id, `C++ message id ${fromCpp.id} equals the gateway's ${id}`);
    check(fromCpp.encoded === ethers.hexlify(message).toLowerCase(), "C++ abi.encode(Message) equals the event's message bytes");
    // The log's index within its receipt (PROTOCOL.md section 4), not the block-global logIndex.
    const logIndexInReceipt = receipt.logs.indexOf(events[0].log);
    const { claim } = cpp({ op: "claim", id, block_hash: receipt.blockHash, block_number: String(receipt.blockNumber), tx_index: receipt.index, log_index: logIndexInReceipt });
    check(ethers.isHexString(claim, 32), "C++ claim");
    sent = { id, m: Array.from(m), claim };
    console.log(`send: ok, message ${id} in block ${receipt.blockNumber}; the C++ id matches`);
  } finally {
    p.destroy();
  }

  const pb = provider(b);
  try {
    const gatewayB = new ethers.Contract(b.gateway, artifact(manifest, "Gateway").abi, pb);
    const epoch = await gatewayB.epoch();
    const threshold = Number(await gatewayB.threshold());
    const voteFiles = manifest.keys.vote.map((k) => k.file).slice(0, threshold);
    const votes = cpp({ op: "sign_deliver", chain_id: b.chainId, gateway: b.gateway, chain_identity: b.chainIdentity, id: sent.id, claim: sent.claim, epoch: epoch.toString(), key_files: voteFiles });
    check((await gatewayB.deliverDigest(sent.id, sent.claim, epoch)) === votes.digest, "C++ EIP-712 Deliver digest equals the gateway's");
    const gasKey = manifest.keys.gas.find((k) => k.chain === b.name);
    const submitter = new ethers.Wallet(fs.readFileSync(gasKey.file, "utf8").trim(), pb);
    const tx = await gatewayB.connect(submitter).deliver([sent.m], [sent.claim], [votes.signatures]);
    const receipt = await tx.wait(1, 60_000);
    check(receipt.status === 1, "deliver succeeded");
    const executed = receipt.logs.filter((log) => log.address === b.gateway).map((log) => gatewayB.interface.parseLog(log)).find((e) => e?.name === "MessageExecuted");
    check(executed, "MessageExecuted emitted on chain b");
    check(executed.args.id === sent.id && executed.args.claim === sent.claim, "executed with the C++ claim");
    check(Number(executed.args.status) === 1, `executed with status 1, not ${executed.args.status}`);
    check(await gatewayB.executed(sent.id), "the gateway records the message as executed");
    const ping = new ethers.Contract(b.contracts.PingEcho, artifact(manifest, "PingEcho").abi, pb);
    check((await ping.pings()) === 1n, "PingEcho on chain b counted the ping");
    console.log(`deliver: ok, C++-signed votes (${votes.signatures.length} of threshold ${threshold}) executed ${sent.id} on chain b`);
  } finally {
    pb.destroy();
  }
}

const [command, arg] = process.argv.slice(2);
const commands = { "free-ports": () => freePorts(Number(arg)), "hold-port": () => holdPort(Number(arg)), manifest: () => checkManifest(arg), send: () => send(arg) };
if (!commands[command]) {
  console.error("usage: devnet_check.mjs free-ports N | hold-port PORT | manifest FILE | send FILE");
  process.exit(2);
}
try {
  await commands[command]();
} catch (e) {
  console.error(`devnet_check ${command}: FAIL: ${e.message}`);
  process.exitCode = 1;
}
