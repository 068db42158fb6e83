#!/usr/bin/env node
// Causeway reference external adapter (schemas/adapter-protocol.schema.json, version 1): serves
// the source side of an EVM chain in `confirmations` mode, its sink side, or both, over stdio, one
// JSON-RPC message per line. Stateless between calls: the relay sends its cursor with every poll,
// and the sink asks the node for nonces and receipts, so a restarted adapter carries on where the
// last one stopped. Logs go to stderr only.
//   node adapter.mjs --rpc URL --gateway ADDRESS [--sides source,sink] [--confirmations K]
//                    [--start-height N] [--max-range N] [--name NAME] [--executions] [--forge]
//                    [--lie-delivered N] [--withhold N]
// --sides: what it serves, source by default. The sink sends the relay's signed deliveries,
// acknowledgements and skips with its own account: the raw 0x-hex private key in the file that
// the environment variable GAS_KEY_FILE names.
// --executions also proves the gateway's MessageExecuted events (this chain as a destination), for
// acknowledgements back to the messages' sources.
// --forge returns every bundle with a forged message payload; --lie-delivered N sends nothing for
// the first N deliveries and reports them delivered; --withhold N sends nothing for the first N
// and reports them pending for ever. For the relay's lying-adapter tests, never for use.
import readline from "node:readline";

import fs from "node:fs";

import {
  ACK_GAS_LIMIT, AdapterError, EXECUTED_TOPIC, SENT_TOPIC, blockBundles, chainIdentity, ethers, forge, gasLimitFor,
  gatewayAbi,
} from "./evm.mjs";

const PROTOCOL = 1;
const VERSION = "0.1.0";

function parseArgs(argv) {
  const options = {
    confirmations: 0, startHeight: 1, maxRange: 1000, name: "evm-node", executions: false, forge: false,
    sides: ["source"], lieDelivered: 0, withhold: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--rpc") options.rpc = value();
    else if (flag === "--gateway") options.gateway = value().toLowerCase();
    else if (flag === "--confirmations") options.confirmations = Number(value());
    else if (flag === "--start-height") options.startHeight = Number(value());
    else if (flag === "--max-range") options.maxRange = Number(value());
    else if (flag === "--name") options.name = value();
    else if (flag === "--executions") options.executions = true;
    else if (flag === "--forge") options.forge = true;
    else if (flag === "--sides") options.sides = value().split(",");
    else if (flag === "--lie-delivered") options.lieDelivered = Number(value());
    else if (flag === "--withhold") options.withhold = Number(value());
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.rpc || !options.gateway) throw new Error("--rpc and --gateway are required");
  if (!(options.startHeight >= 1) || !(options.maxRange >= 1) || !(options.confirmations >= 0)) {
    throw new Error("--start-height and --max-range must be >= 1, --confirmations >= 0");
  }
  if (options.sides.length === 0 || options.sides.some((side) => side !== "source" && side !== "sink")) {
    throw new Error("--sides takes source, sink or both");
  }
  if (!(options.lieDelivered >= 0) || !(options.withhold >= 0)) throw new Error("--lie-delivered and --withhold take a count");
  return options;
}

const options = parseArgs(process.argv.slice(2));
const log = (text) => process.stderr.write(`${text}\n`);
if (options.forge) log("WARNING: --forge: every bundle carries a forged message");
if (options.lieDelivered > 0) log(`WARNING: --lie-delivered: the first ${options.lieDelivered} deliveries are not sent`);
if (options.withhold > 0) log(`WARNING: --withhold: the first ${options.withhold} deliveries are not sent`);

let nextId = 1;
async function rpc(method, params) {
  let response;
  try {
    response = await fetch(options.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new AdapterError("upstream.unreachable", `${method}: ${e.message}`);
  }
  const reply = await response.json();
  if (reply.error) throw new AdapterError("upstream.rpc_error", `${method}: ${reply.error.message}`);
  return reply.result;
}

// Learned at hello: the chain this node serves. The relay compares it with its configuration.
let identity = null;

const dec = (value, what) => {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(value)) {
    throw new AdapterError("adapter.bad_params", `${what} is not a decimal string`);
  }
  return Number(value);
};

async function blockRef(number) {
  const block = await rpc("eth_getBlockByNumber", [ethers.toQuantity(number), false]);
  if (!block) throw new AdapterError("evm.no_block", `no block ${number}`);
  return { number: String(number), hash: block.hash };
}

async function head() {
  const latest = Number(await rpc("eth_blockNumber", []));
  return Math.max(0, latest - options.confirmations);
}

// Gateway logs in [from, to] with the given topics, in bounded ranges, as bundles: MessageSent
// ones in `bundles` (tx_hashes beside them), MessageExecuted ones in `executions`.
async function gatewayBundles(from, to, topics) {
  const out = { bundles: [], tx_hashes: [], executions: [] };
  for (let lo = from; lo <= to; lo += options.maxRange) {
    const hi = Math.min(to, lo + options.maxRange - 1);
    const logs = await rpc("eth_getLogs", [{ address: options.gateway, topics, fromBlock: ethers.toQuantity(lo), toBlock: ethers.toQuantity(hi) }]);
    const byBlock = new Map();
    for (const l of logs) {
      if (l.removed) continue;
      const n = Number(l.blockNumber);
      if (!byBlock.has(n)) byBlock.set(n, []);
      byBlock.get(n).push(l);
    }
    for (const [n, blockLogs] of [...byBlock.entries()].sort((a, b) => a[0] - b[0])) {
      blockLogs.sort((a, b) => Number(a.logIndex) - Number(b.logIndex));
      for (const { bundle, txHash } of await blockBundles(rpc, identity, options.gateway, n, blockLogs)) {
        if (bundle.kind === "execution") {
          out.executions.push({ bundle, tx_hash: txHash });
          continue;
        }
        out.bundles.push(options.forge ? forge(bundle) : bundle);
        out.tx_hashes.push(txHash);
      }
    }
  }
  return out;
}

const methods = {
  // Answers with its one protocol version even when the relay did not offer it: the relay decides,
  // and refuses a mismatch by name (external.protocol_version).
  async "adapter.hello"(params) {
    if (!params.protocol_versions?.includes(PROTOCOL)) log(`the relay does not offer protocol ${PROTOCOL}`);
    const chainId = await rpc("eth_chainId", []);
    const genesis = await rpc("eth_getBlockByNumber", ["0x0", false]);
    identity = chainIdentity(chainId, genesis.hash);
    log(`serving chain ${identity} (chain id ${BigInt(chainId)}) gateway ${options.gateway}`);
    return { protocol: PROTOCOL, name: options.name, version: VERSION, family: "evm", chain_identity: identity, sides: options.sides };
  },

  // The adapter itself answers; whether its node does is `status`.
  async "adapter.health"() {
    try {
      return { status: "ok", head: String(await head()) };
    } catch (e) {
      if (!(e instanceof AdapterError)) throw e;
      return { status: "degraded", detail: `${e.reason}: ${e.message}` };
    }
  },

};

const sourceMethods = {
  async "source.start"(params) {
    if (params.cursor) return { cursor: params.cursor };
    return { cursor: await blockRef(options.startHeight - 1) };
  },

  async "source.poll"(params) {
    const from = dec(params.cursor?.number, "cursor.number");
    // Stateless, so no history to rewind through: a cursor that left the chain is reported, and
    // the relay halts the lane as it does for a reorg deeper than its window.
    if ((await blockRef(from)).hash !== params.cursor.hash) {
      throw new AdapterError("evm.reorg_below_confirmations", `block ${from} is no longer canonical`);
    }
    const top = await head();
    const to = Math.min(top, from + options.maxRange);
    if (to <= from) {
      return { bundles: [], tx_hashes: [], ...(options.executions ? { executions: [] } : {}), cursor: params.cursor, head: String(top) };
    }
    const { bundles, tx_hashes, executions } =
      await gatewayBundles(from + 1, to, [options.executions ? [SENT_TOPIC, EXECUTED_TOPIC] : SENT_TOPIC]);
    const result = { bundles, tx_hashes, cursor: await blockRef(to), head: String(top) };
    if (options.executions) result.executions = executions;
    return result;
  },

  async "source.find_sent"(params) {
    const from = dec(params.from, "from");
    const to = dec(params.to, "to");
    if (!Array.isArray(params.sequences) || params.sequences.length === 0) {
      throw new AdapterError("adapter.bad_params", "sequences must be a non-empty array");
    }
    const sequences = params.sequences.map((s, i) => ethers.toBeHex(BigInt(dec(s, `sequences[${i}]`)), 32));
    const { bundles, tx_hashes } = await gatewayBundles(from, to, [SENT_TOPIC, null, params.dst_chain, sequences]);
    return { bundles, tx_hashes };
  },
};

// The sink's account and its connection, made at start-up when the sink side is served.
let wallet = null;
if (options.sides.includes("sink")) {
  const keyFile = process.env.GAS_KEY_FILE;
  if (!keyFile) throw new Error("the sink side needs GAS_KEY_FILE");
  const provider = new ethers.JsonRpcProvider(options.rpc, undefined, { staticNetwork: true, batchMaxCount: 1 });
  wallet = new ethers.Wallet(fs.readFileSync(keyFile, "utf8").trim(), provider);
  log(`sink account ${wallet.address}`);
}

// Hashes of transactions --lie-delivered / --withhold pretended to send, and how many are left.
const pretended = new Map();
const lies = { delivered: options.lieDelivered, withheld: options.withhold };

function pretend(state) {
  const hash = ethers.hexlify(ethers.randomBytes(32));
  pretended.set(hash, state);
  log(`WARNING: delivery ${hash} not sent, reported ${state}`);
  return { tx_hash: hash };
}

// Estimates and sends one gateway call. A revert at estimate is a result, not an error: the relay
// splits or backs off on it exactly as for its own sink, and nothing is sent.
async function sendCall(data, guarded) {
  const request = { to: options.gateway, data };
  let estimate;
  try {
    estimate = await wallet.estimateGas(request);
  } catch (e) {
    if (e.code === "CALL_EXCEPTION") {
      const revert = typeof e.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(e.data) ? e.data.toLowerCase() : "0x";
      return { estimate_reverted: revert.length <= 2 + 2048 ? revert : "0x" };
    }
    throw new AdapterError("upstream.estimate_failed", e.shortMessage ?? e.message);
  }
  try {
    const sent = await wallet.sendTransaction({ ...request, gasLimit: gasLimitFor(guarded, estimate) });
    return { tx_hash: sent.hash };
  } catch (e) {
    throw new AdapterError("upstream.send_failed", e.shortMessage ?? e.message);
  }
}

const sinkMethods = {
  async "sink.submit"(params) {
    if (params.acknowledgement) {
      const a = params.acknowledgement;
      return sendCall(gatewayAbi.encodeFunctionData("acknowledge", [a.id, a.status, a.claim, a.signatures]), [ACK_GAS_LIMIT]);
    }
    if (params.skip) {
      return sendCall(gatewayAbi.encodeFunctionData("skip", [params.skip.message, params.skip.signatures]), [0]);
    }
    if (!Array.isArray(params.messages) || params.messages.length === 0) {
      throw new AdapterError("adapter.bad_params", "no messages, acknowledgement or skip");
    }
    if (lies.delivered > 0) {
      lies.delivered--;
      return pretend("delivered");
    }
    if (lies.withheld > 0) {
      lies.withheld--;
      return pretend("pending");
    }
    const data = gatewayAbi.encodeFunctionData("deliver", [params.messages, params.claims, params.signatures]);
    return sendCall(data, params.messages.map((m) => m.gasLimit));
  },

  // From the node's receipt: the adapter keeps no record of what it sent.
  async "sink.confirm"(params) {
    const lie = pretended.get(params.tx_hash);
    if (lie === "delivered") return { state: "delivered", block_number: String(await wallet.provider.getBlockNumber()) };
    if (lie === "pending") return { state: "pending" };
    const receipt = await wallet.provider.getTransactionReceipt(params.tx_hash);
    if (!receipt) return { state: "pending" };
    return { state: receipt.status === 1 ? "delivered" : "reverted", block_number: String(receipt.blockNumber) };
  },

  async "sink.inbox_state"(params) {
    const entries = [];
    for (const id of params.ids ?? []) {
      const data = await rpc("eth_call", [{ to: options.gateway, data: gatewayAbi.encodeFunctionData("executionStatus", [id]) }, "latest"]);
      entries.push({ id, status: Number(gatewayAbi.decodeFunctionResult("executionStatus", data)[0]) });
    }
    return { entries };
  },
};

if (options.sides.includes("source")) Object.assign(methods, sourceMethods);
if (options.sides.includes("sink")) Object.assign(methods, sinkMethods);

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    send({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error", data: { reason: "adapter.bad_json" } } });
    return;
  }
  const { id, method, params } = request;
  const run = methods[method];
  if (!run) {
    // The methods of a side it does not serve, as its hello says.
    send({ jsonrpc: "2.0", id, error: { code: -32601, message: `method ${method} not served`, data: { reason: "adapter.method_not_served" } } });
    return;
  }
  try {
    send({ jsonrpc: "2.0", id, result: await run(params ?? {}) });
  } catch (e) {
    const reason = e instanceof AdapterError ? e.reason : "adapter.internal";
    log(`${method}: ${reason}: ${e.message}`);
    send({ jsonrpc: "2.0", id, error: { code: -32000, message: e.message, data: { reason } } });
  }
}

// One request at a time, in order: the relay sends the next only after this one's reply.
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(() => handle(line));
});
lines.on("close", () => queue.then(() => process.exit(0)));
