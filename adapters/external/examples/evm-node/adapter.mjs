#!/usr/bin/env node
// Causeway reference external adapter (schemas/adapter-protocol.schema.json, version 1): serves
// the source side of an EVM chain in `confirmations` mode over stdio, one JSON-RPC message per
// line. Stateless between calls: the relay sends its cursor with every poll, so a restarted
// adapter carries on where the last one stopped. Logs go to stderr only.
//   node adapter.mjs --rpc URL --gateway ADDRESS [--confirmations K] [--start-height N]
//                    [--max-range N] [--name NAME] [--executions] [--forge]
// --executions also proves the gateway's MessageExecuted events (this chain as a destination), for
// acknowledgements back to the messages' sources.
// --forge returns every bundle with a forged message payload: for the relay's forging-adapter
// test, never for use.
import readline from "node:readline";

import { AdapterError, EXECUTED_TOPIC, SENT_TOPIC, blockBundles, chainIdentity, ethers, forge } from "./evm.mjs";

const PROTOCOL = 1;
const VERSION = "0.1.0";

function parseArgs(argv) {
  const options = { confirmations: 0, startHeight: 1, maxRange: 1000, name: "evm-node", executions: false, forge: false };
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
    else throw new Error(`unknown option ${flag}`);
  }
  if (!options.rpc || !options.gateway) throw new Error("--rpc and --gateway are required");
  if (!(options.startHeight >= 1) || !(options.maxRange >= 1) || !(options.confirmations >= 0)) {
    throw new Error("--start-height and --max-range must be >= 1, --confirmations >= 0");
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const log = (text) => process.stderr.write(`${text}\n`);
if (options.forge) log("WARNING: --forge: every bundle carries a forged message");

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
    return { protocol: PROTOCOL, name: options.name, version: VERSION, family: "evm", chain_identity: identity, sides: ["source"] };
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
    // sink.* included: this adapter serves the source side only, as its hello says.
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
