#!/usr/bin/env node
// The source of the relay-only benchmark (tests/bench/relay_bench.sh replay): serves one chain's
// recorded message bundles over the adapter protocol (schemas/adapter-protocol.schema.json,
// version 1), one recorded block per poll, so the relay verifies, stores, votes and delivers them
// with no source-side RPC, scanning or proving. It forges nothing and trusts nothing: the relay
// verifies every bundle with its own anchors and asks its own endpoints for the blocks' canonical
// hashes, so the chain must still hold the recorded blocks.
//   node replay_adapter.mjs --recording FILE --rpc URL
// FILE holds one bundle per line, as the relay stores them (GET /v1/bundles), all of one chain, in
// chain order. The node at URL answers the block hash of the cursor before the first block.
import fs from "node:fs";
import readline from "node:readline";

const PROTOCOL = 1;

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    if (argv[i] === "--recording") options.recording = argv[i + 1];
    else if (argv[i] === "--rpc") options.rpc = argv[i + 1];
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!options.recording || !options.rpc) throw new Error("--recording and --rpc are required");
  return options;
}

const options = parseArgs(process.argv.slice(2));
const log = (text) => process.stderr.write(`${text}\n`);

// Each recorded block: its number, hash and bundles (kept as the recorded text, never re-printed).
const blocks = [];
let identity = null;
for (const line of fs.readFileSync(options.recording, "utf8").split("\n")) {
  if (line.length === 0) continue;
  const bundle = JSON.parse(line);
  if (bundle.kind !== "message") throw new Error("the recording holds a bundle that is not a message's");
  identity ??= bundle.source.chain_identity;
  if (bundle.source.chain_identity !== identity) throw new Error("the recording holds bundles of two chains");
  const number = Number(bundle.source.block_number);
  const last = blocks.at(-1);
  if (last && number < last.number) throw new Error("the recording is not in chain order");
  if (!last || last.number !== number) blocks.push({ number, hash: bundle.source.block_hash, lines: [] });
  blocks.at(-1).lines.push(line);
}
if (blocks.length === 0) throw new Error("the recording is empty");
log(`replaying ${blocks.reduce((n, b) => n + b.lines.length, 0)} bundles of ${blocks.length} blocks of chain ${identity}`);

async function blockHash(number) {
  const reply = await (await fetch(options.rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x" + number.toString(16), false] }),
  })).json();
  if (reply.error || !reply.result) throw new Error(`block ${number}: ${JSON.stringify(reply.error ?? "none")}`);
  return reply.result.hash;
}

const head = String(blocks.at(-1).number);
const zeroHash = "0x" + "00".repeat(32);

// Each method answers with the result's JSON text.
const methods = {
  async "adapter.hello"() {
    return JSON.stringify({ protocol: PROTOCOL, name: "replay", version: "0.1.0", family: "evm", chain_identity: identity, sides: ["source"] });
  },
  async "adapter.health"() {
    return JSON.stringify({ status: "ok", head });
  },
  async "source.start"(params) {
    if (params.cursor) return JSON.stringify({ cursor: params.cursor });
    const before = blocks[0].number - 1;
    return JSON.stringify({ cursor: { number: String(before), hash: await blockHash(before) } });
  },
  // The first recorded block after the cursor, whole; the cursor stays at the head once all are served.
  async "source.poll"(params) {
    const from = Number(params.cursor.number);
    const next = blocks.find((b) => b.number > from);
    if (!next) return JSON.stringify({ bundles: [], tx_hashes: [], executions: [], cursor: params.cursor, head });
    // The relay does not use the transaction hashes of message bundles; the protocol wants one each.
    const hashes = JSON.stringify(next.lines.map(() => zeroHash));
    const cursor = JSON.stringify({ number: String(next.number), hash: next.hash });
    return `{"bundles":[${next.lines.join(",")}],"tx_hashes":${hashes},"executions":[],"cursor":${cursor},"head":"${head}"}`;
  },
  async "source.find_sent"() {
    return JSON.stringify({ bundles: [], tx_hashes: [] });
  },
};

async function handle(line) {
  const { id, method, params } = JSON.parse(line);
  const run = methods[method];
  if (!run) {
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32601, message: `method ${method} not served`, data: { reason: "adapter.method_not_served" } } })}\n`);
    return;
  }
  try {
    process.stdout.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${await run(params ?? {})}}\n`);
  } catch (e) {
    log(`${method}: ${e.message}`);
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32000, message: e.message, data: { reason: "adapter.internal" } } })}\n`);
  }
}

// One request at a time, in order, as the relay sends them.
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(() => handle(line));
});
lines.on("close", () => queue.then(() => process.exit(0)));
