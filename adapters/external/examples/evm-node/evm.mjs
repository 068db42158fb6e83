// The EVM evidence of a gateway event, as schemas/proof-bundle.schema.json wants it: the header
// RLP rebuilt from JSON-RPC and checked against the block hash (PROOF_FORMATS A.2), every receipt
// of the block in its consensus encoding (A.4) in a trie whose root must be the header's
// receiptsRoot, and the receipt's proof from @ethereumjs/trie (A.5). Nothing here is trusted by
// the relay: it verifies each bundle against its own anchors. tests/unit/verify/make_bundles.mjs
// builds its bundles with these same functions.
import { createRequire } from "node:module";
import path from "node:path";

// The pinned toolchain of deploy/devnet (or CAUSEWAY_NODE_TOOLS): no second copy of ethers.
const tools = process.env.CAUSEWAY_NODE_TOOLS || new URL("../../../../deploy/devnet", import.meta.url).pathname;
const require = createRequire(path.join(tools, "package.json"));
export const ethers = require("ethers");
const { Trie } = require("@ethereumjs/trie");

const { keccak256, encodeRlp, getBytes, hexlify, toBeHex, concat, AbiCoder } = ethers;
const coder = AbiCoder.defaultAbiCoder();

export const SENT_TOPIC = ethers.id("MessageSent(bytes32,bytes32,uint64,bytes)");
export const EXECUTED_TOPIC = ethers.id("MessageExecuted(bytes32,bytes32,uint64,uint8,bytes32)");
const MESSAGE_TUPLE =
  "tuple(uint8 version,bytes32 srcChain,bytes32 srcGateway,bytes32 dstChain,bytes32 dstGateway,bytes32 receiver," +
  "uint64 sequence,bytes32 sender,uint64 timeout,uint64 gasLimit,uint8 flags,bytes payload)";

// An RLP integer: its minimal big-endian bytes, zero as the empty string.
export const uint = (n) => (BigInt(n) === 0n ? "0x" : toBeHex(BigInt(n)));
const HEADER_FIELDS = [
  ["parentHash", "h"], ["sha3Uncles", "h"], ["miner", "h"], ["stateRoot", "h"], ["transactionsRoot", "h"],
  ["receiptsRoot", "h"], ["logsBloom", "h"], ["difficulty", "u"], ["number", "u"], ["gasLimit", "u"],
  ["gasUsed", "u"], ["timestamp", "u"], ["extraData", "h"], ["mixHash", "h"], ["nonce", "h"],
  ["baseFeePerGas", "u"], ["withdrawalsRoot", "h"], ["blobGasUsed", "u"], ["excessBlobGas", "u"],
  ["parentBeaconBlockRoot", "h"], ["requestsHash", "h"],
];

export class AdapterError extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

// PROOF_FORMATS A.2: fields 0..14, then each trailing optional field the JSON has, in order.
export function headerRlp(block) {
  const items = [];
  for (const [name, kind] of HEADER_FIELDS) {
    if (block[name] === undefined) break;
    items.push(kind === "u" ? uint(block[name]) : block[name]);
  }
  const rlp = encodeRlp(items);
  if (keccak256(rlp) !== block.hash) throw new AdapterError("evm.header_mismatch", `header ${block.number} does not rebuild to its hash`);
  return rlp;
}

// PROOF_FORMATS A.4: [status, cumulativeGasUsed, bloom, logs], typed receipts prefixed by the type.
export function receiptBytes(r) {
  if (r.status === undefined) throw new AdapterError("evm.pre_byzantium", "a receipt without a status");
  const payload = encodeRlp([
    BigInt(r.status) === 1n ? "0x01" : "0x",
    uint(r.cumulativeGasUsed),
    r.logsBloom,
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ]);
  const type = Number(r.type);
  return type === 0 ? payload : concat([toBeHex(type, 1), payload]);
}

const trieKey = (i) => getBytes(encodeRlp(uint(i)));

// Every receipt of `block` (number `number`) in its consensus encoding (`values`), in a trie whose
// root must be the header's receiptsRoot.
export async function blockReceipts(rpc, block, number) {
  const receipts = await rpc("eth_getBlockReceipts", [toBeHex(number)]);
  const values = receipts.map(receiptBytes);
  const trie = new Trie();
  for (let i = 0; i < values.length; i++) await trie.put(trieKey(i), getBytes(values[i]));
  if (hexlify(trie.root()) !== block.receiptsRoot) {
    throw new AdapterError("evm.receipts_root_mismatch", `receipts of block ${number} do not rebuild its root`);
  }
  return { receipts, values, trie };
}

// The proof of receipt `tx` in a blockReceipts trie, as hex nodes (A.5).
export async function receiptProof(trie, tx) {
  return (await trie.createProof(trieKey(tx))).map(hexlify);
}

// The message.schema.json form of a decoded Message tuple.
function messageJson(m) {
  return {
    version: Number(m.version), srcChain: m.srcChain, srcGateway: m.srcGateway, dstChain: m.dstChain,
    dstGateway: m.dstGateway, receiver: m.receiver, sequence: m.sequence.toString(), sender: m.sender,
    timeout: m.timeout.toString(), gasLimit: m.gasLimit.toString(), flags: Number(m.flags), payload: m.payload,
  };
}

// The message.schema.json form of the Message a MessageSent log's data carries.
export const sentMessage = (data) => messageJson(coder.decode([MESSAGE_TUPLE], coder.decode(["bytes"], data)[0])[0]);

// A proof bundle (schemas/proof-bundle.schema.json) of an EVM receipt; `segment` only when it has headers.
export function evmBundle({ kind, claim, message, identity, number, blockHash, header, segment, tx, inReceipt, receipt, proof }) {
  const source = { chain_identity: identity, block_number: String(number), block_hash: blockHash, header };
  if (segment && segment.length > 0) source.segment = segment;
  return {
    version: 1, family: "evm", kind, claim, message,
    source,
    inclusion: { kind: "evm_receipt_mpt", tx_index: tx, log_index: inReceipt, receipt, proof },
  };
}

export const claimOf = (id, hash, number, tx, log) =>
  keccak256(coder.encode(["bytes32", "bytes32", "uint64", "uint32", "uint32"], [id, hash, number, tx, log]));

export const chainIdentity = (chainId, genesisHash) =>
  keccak256(coder.encode(["uint8", "bytes32", "bytes32"], [1, toBeHex(BigInt(chainId), 32), genesisHash]));

// An execution bundle's message: the event names only the id, source chain and sequence, so the
// rest is zero. The relay ignores it and takes the message from its own store; the verifier then
// checks that message against the event.
function executedPlaceholder(log, identity, gateway) {
  const zero = "0x" + "00".repeat(32);
  return {
    version: 1, srcChain: log.topics[2], srcGateway: zero, dstChain: identity,
    dstGateway: ethers.zeroPadValue(gateway, 32), receiver: zero, sequence: BigInt(log.topics[3]).toString(),
    sender: zero, timeout: "0", gasLimit: "0", flags: 0, payload: "0x",
  };
}

// Bundles for the gateway's MessageSent and MessageExecuted logs `logs` (eth_getLogs entries) of
// one block: the header and the receipts are fetched once, the receipts root rebuilt, and each
// log found at its place in its receipt (the bundle's log_index counts within the receipt,
// THREATS 17).
export async function blockBundles(rpc, identity, gateway, number, logs) {
  const block = await rpc("eth_getBlockByNumber", [toBeHex(number), false]);
  if (!block) throw new AdapterError("evm.no_block", `no block ${number}`);
  const header = headerRlp(block);
  const { receipts, values, trie } = await blockReceipts(rpc, block, number);
  const out = [];
  for (const log of logs) {
    if (log.blockHash !== block.hash) throw new AdapterError("evm.chain_changed", `block ${number} changed during the scan`);
    const tx = Number(log.transactionIndex);
    const receipt = receipts[tx];
    const inReceipt = receipt.logs.findIndex((l) => Number(l.logIndex) === Number(log.logIndex));
    if (inReceipt < 0 || receipt.logs[inReceipt].address.toLowerCase() !== gateway.toLowerCase()) {
      throw new AdapterError("evm.log_mismatch", `log ${log.logIndex} is not in receipt ${tx} of block ${number}`);
    }
    const sent = log.topics[0] === SENT_TOPIC;
    const message = sent ? sentMessage(log.data) : executedPlaceholder(log, identity, gateway);
    const id = log.topics[1];
    out.push({
      bundle: evmBundle({
        kind: sent ? "message" : "execution", claim: claimOf(id, block.hash, number, tx, inReceipt), message, identity,
        number, blockHash: block.hash, header, tx, inReceipt, receipt: values[tx], proof: await receiptProof(trie, tx),
      }),
      txHash: log.transactionHash,
    });
  }
  return out;
}

// What --forge does: another payload (its last byte flipped, or one byte where it was empty) in
// an otherwise faithful bundle, so the receipt, proof and claim still hold and only the message
// lies. The relay must refuse every such bundle (verify.bundle_message_mismatch).
export function forge(bundle) {
  const payload = getBytes(bundle.message.payload);
  const forged = payload.length === 0 ? new Uint8Array([1]) : payload.slice();
  forged[forged.length - 1] ^= 0xff;
  return { ...bundle, message: { ...bundle.message, payload: hexlify(forged) } };
}

// The gateway's write functions and the inbox read a sink needs (Gateway.sol).
export const gatewayAbi = new ethers.Interface([
  `function deliver(${MESSAGE_TUPLE}[] msgs, bytes32[] claims, bytes[][] signatures)`,
  "function acknowledge(bytes32 id, uint8 status, bytes32 claim, bytes[] signatures)",
  `function skip(${MESSAGE_TUPLE} m, bytes[] signatures)`,
  "function executionStatus(bytes32 id) view returns (uint8)",
]);

// Gateway.sol's ACK_GAS_LIMIT: the guarded call of the sender's ack hook an acknowledge makes.
export const ACK_GAS_LIMIT = 150_000n;

// The gas limit of a gateway write, as the relay's own sink sizes it (adapters/evm/gas.hpp): the
// gateway reverts a guarded call it cannot pass its full gas limit (63/64 rule, THREATS 28), and an
// estimate taken while votes were below threshold misses those calls, so the limit covers
// ceil(Σ guarded × 64/63) + 80000 per call + 60000, and at least the estimate plus 20 %.
export function gasLimitFor(guarded, estimate) {
  const sum = guarded.reduce((a, b) => a + BigInt(b), 0n);
  const required = (sum * 64n + 62n) / 63n + 80_000n * BigInt(Math.max(guarded.length, 1)) + 60_000n;
  const padded = (BigInt(estimate) * 120n) / 100n;
  return required > padded ? required : padded;
}
