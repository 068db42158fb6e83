// Golden vectors for wire protocol v1 (shared/PROTOCOL.md), computed independently of the C++ code
// with ethers only. Deterministic: fixed inputs, no randomness. Usage:
//   node schemas/vectors/generate.mjs [--out <file>]   (default: schemas/vectors/protocol-v1.json)
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// ethers is pinned in the repository's Node toolchain, not installed globally.
const require = createRequire(new URL("../../deploy/devnet/package.json", import.meta.url));
const { AbiCoder, TypedDataEncoder, concat, keccak256, sha256, toUtf8Bytes, version: ethersVersion, zeroPadValue, toBeHex } =
  require("ethers");

const abi = AbiCoder.defaultAbiCoder();
const MAX_U64 = (1n << 64n) - 1n;
const ZERO32 = "0x" + "00".repeat(32);

// Sample 32-byte values derived from labels, so the file explains where each came from.
const sample = (label) => keccak256(toUtf8Bytes(`causeway/vectors/${label}`));
const word = (address) => zeroPadValue(address, 32);
const hexBytes = (n, f) => "0x" + Array.from({ length: n }, (_, i) => f(i).toString(16).padStart(2, "0")).join("");

// ---- Section 1: chain identities ---------------------------------------------------------------
const FAMILY = { evm: 1, fisco: 2, fabric: 3, chainmaker: 4, external: 255 };
const identity = (family, chainKey, genesisHash) =>
  keccak256(abi.encode(["uint8", "bytes32", "bytes32"], [family, chainKey, genesisHash]));

const chainInputs = [
  { name: "evm-1001", family: FAMILY.evm, evmChainId: 1001n, genesisHash: sample("genesis/evm-1001") },
  { name: "evm-1002", family: FAMILY.evm, evmChainId: 1002n, genesisHash: sample("genesis/evm-1002") },
  // Same chain id and genesis as evm-1001 but another family: a different identity.
  { name: "evm-1001-as-external", family: FAMILY.external, evmChainId: 1001n, genesisHash: sample("genesis/evm-1001") },
  { name: "evm-wide-chain-id", family: FAMILY.evm, evmChainId: (1n << 64n) + 5n, genesisHash: sample("genesis/wide") },
  { name: "fisco-chain0-group0", family: FAMILY.fisco, chainName: "chain0/group0", genesisHash: sample("genesis/fisco") },
  { name: "fabric-mychannel", family: FAMILY.fabric, chainName: "mychannel", genesisHash: sample("genesis/fabric") },
  { name: "chainmaker-chain1", family: FAMILY.chainmaker, chainName: "chain1", genesisHash: sample("genesis/chainmaker") },
  { name: "external-utf8-name", family: FAMILY.external, chainName: "ledger/Zürich", genesisHash: ZERO32 },
];
const chains = chainInputs.map((c) => {
  const chainKey = c.evmChainId !== undefined ? toBeHex(c.evmChainId, 32) : keccak256(toUtf8Bytes(c.chainName));
  const out = { name: c.name, family: c.family };
  if (c.evmChainId !== undefined) out.evmChainId = c.evmChainId.toString();
  else out.chainName = c.chainName;
  return { ...out, chainKey, genesisHash: c.genesisHash, identity: identity(c.family, chainKey, c.genesisHash) };
});
const chainId = (name) => chains.find((c) => c.name === name).identity;

// ---- Section 2: messages -------------------------------------------------------------------------
const MESSAGE_TUPLE =
  "tuple(uint8 version,bytes32 srcChain,bytes32 srcGateway,bytes32 dstChain,bytes32 dstGateway," +
  "bytes32 receiver,uint64 sequence,bytes32 sender,uint64 timeout,uint64 gasLimit,uint8 flags,bytes payload)";
const ID_TYPES = ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64", "uint8", "bytes32"];

const GATEWAY_1001 = "0x1001000000000000000000000000000000000a01";
const GATEWAY_1002 = "0x1002000000000000000000000000000000000a02";
const RECEIVER = "0x00000000000000000000000000000000000000ee";
const SENDER = "0xfedcba9876543210fedcba9876543210fedcba98";

const base = {
  version: 1,
  srcChain: chainId("evm-1001"),
  srcGateway: word(GATEWAY_1001),
  dstChain: chainId("evm-1002"),
  dstGateway: word(GATEWAY_1002),
  receiver: word(RECEIVER),
  sequence: 1n,
  sender: word(SENDER),
  timeout: 0n,
  gasLimit: 200000n,
  flags: 0,
  payload: "0x",
};
const messageInputs = [
  { name: "empty-payload-unordered", ...base },
  { name: "one-byte-ordered", ...base, sequence: 2n, flags: 1, payload: "0x2a" },
  { name: "31-byte-payload", ...base, sequence: 3n, payload: hexBytes(31, (i) => 0xa0 + i) },
  { name: "32-byte-payload", ...base, sequence: 4n, payload: hexBytes(32, (i) => i + 1) },
  { name: "33-byte-payload-timeout", ...base, sequence: 5n, timeout: 1767225600n, payload: hexBytes(33, (i) => 255 - i) },
  { name: "256-byte-payload-ordered", ...base, sequence: 6n, flags: 1, gasLimit: 1000000n, payload: hexBytes(256, (i) => i) },
  { name: "max-uint64-fields", ...base, sequence: MAX_U64, timeout: MAX_U64, gasLimit: MAX_U64, flags: 1, payload: "0xff" },
  {
    name: "fisco-to-fabric-full-words",
    ...base,
    srcChain: chainId("fisco-chain0-group0"),
    srcGateway: sample("fisco/gateway"),
    dstChain: chainId("fabric-mychannel"),
    dstGateway: sample("fabric/gateway"),
    receiver: sample("fabric/receiver"),
    sender: sample("fisco/sender"),
    payload: "0x" + Buffer.from("transfer 100 to Zürich").toString("hex"),
  },
];
const messageJson = (m) => ({
  version: m.version,
  srcChain: m.srcChain,
  srcGateway: m.srcGateway,
  dstChain: m.dstChain,
  dstGateway: m.dstGateway,
  receiver: m.receiver,
  sequence: m.sequence.toString(),
  sender: m.sender,
  timeout: m.timeout.toString(),
  gasLimit: m.gasLimit.toString(),
  flags: m.flags,
  payload: m.payload,
});
const messages = messageInputs.map((m) => {
  const fields = [m.version, m.srcChain, m.srcGateway, m.dstChain, m.dstGateway, m.receiver, m.sequence, m.sender,
    m.timeout, m.gasLimit, m.flags];
  // abi.encode(msg) in Solidity encodes one dynamic tuple parameter: a leading 0x20 offset word.
  const encoded = abi.encode([MESSAGE_TUPLE], [[...fields, m.payload]]);
  const payloadHash = keccak256(m.payload);
  return {
    name: m.name,
    message: messageJson(m),
    payloadHash,
    id: keccak256(abi.encode(ID_TYPES, [...fields, payloadHash])),
    encoded,
    // The data of the MessageSent log: abi.encode(bytes message).
    messageSentData: abi.encode(["bytes"], [encoded]),
  };
});
const messageId = (name) => messages.find((m) => m.name === name).id;

// ---- Section 3: events ---------------------------------------------------------------------------
const eventTopics = Object.fromEntries(
  ["MessageSent(bytes32,bytes32,uint64,bytes)", "MessageExecuted(bytes32,bytes32,uint64,uint8,bytes32)",
    "Acknowledged(bytes32,uint8,bytes32)"].map((s) => [s, keccak256(toUtf8Bytes(s))]));

// ---- Section 4: claims ---------------------------------------------------------------------------
const claimInputs = [
  { id: messageId("empty-payload-unordered"), srcBlockHash: sample("block/1"), srcBlockNumber: 1n, txIndex: 0, logIndexInReceipt: 0 },
  { id: messageId("one-byte-ordered"), srcBlockHash: sample("block/77"), srcBlockNumber: 77n, txIndex: 3, logIndexInReceipt: 1 },
  { id: messageId("max-uint64-fields"), srcBlockHash: sample("block/max"), srcBlockNumber: MAX_U64, txIndex: 0xffffffff, logIndexInReceipt: 0xffffffff },
];
const claims = claimInputs.map((c) => ({
  id: c.id,
  srcBlockHash: c.srcBlockHash,
  srcBlockNumber: c.srcBlockNumber.toString(),
  txIndex: c.txIndex,
  logIndexInReceipt: c.logIndexInReceipt,
  claim: keccak256(abi.encode(["bytes32", "bytes32", "uint64", "uint32", "uint32"],
    [c.id, c.srcBlockHash, c.srcBlockNumber, c.txIndex, c.logIndexInReceipt])),
}));

// The data of MessageExecuted and Acknowledged logs: abi.encode(uint8 status, bytes32 claim).
const outcomes = [1, 2, 3, 4].map((status) => {
  const claim = status === 4 ? ZERO32 : claims[status % claims.length].claim;
  return { status, claim, data: abi.encode(["uint8", "bytes32"], [status, claim]) };
});

// ---- Section 5: EIP-712 votes --------------------------------------------------------------------
const TYPES = {
  Deliver: [{ name: "id", type: "bytes32" }, { name: "claim", type: "bytes32" }, { name: "epoch", type: "uint64" }],
  Ack: [{ name: "id", type: "bytes32" }, { name: "status", type: "uint8" }, { name: "claim", type: "bytes32" },
    { name: "epoch", type: "uint64" }],
  Skip: [{ name: "id", type: "bytes32" }, { name: "epoch", type: "uint64" }],
  Rotate: [{ name: "attesters", type: "address[]" }, { name: "threshold", type: "uint16" }, { name: "newEpoch", type: "uint64" }],
  Configure: [{ name: "srcChain", type: "bytes32" }, { name: "srcGateway", type: "bytes32" }, { name: "trusted", type: "bool" },
    { name: "maxPayload", type: "uint32" }, { name: "maxGas", type: "uint64" }, { name: "epoch", type: "uint64" }],
};
const typeHashes = Object.fromEntries(Object.keys(TYPES).map((t) =>
  [t, keccak256(toUtf8Bytes(TypedDataEncoder.from({ [t]: TYPES[t] }).encodeType(t)))]));
typeHashes.EIP712Domain = keccak256(toUtf8Bytes(
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)"));
const typeStrings = Object.fromEntries(Object.keys(TYPES).map((t) => [t, TypedDataEncoder.from({ [t]: TYPES[t] }).encodeType(t)]));

const domainInputs = [
  { label: "gateway-1002", name: "Causeway", version: "1", chainId: 1002n, verifyingContract: GATEWAY_1002, salt: chainId("evm-1002") },
  { label: "gateway-1001", name: "Causeway", version: "1", chainId: 1001n, verifyingContract: GATEWAY_1001, salt: chainId("evm-1001") },
  // A twin of evm-1002 (same chain id and gateway address, other genesis): only the salt differs.
  { label: "gateway-1002-twin", name: "Causeway", version: "1", chainId: 1002n, verifyingContract: GATEWAY_1002, salt: chainId("evm-1001") },
];
const domains = domainInputs.map((d) => {
  const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract, salt: d.salt };
  return { label: d.label, name: d.name, version: d.version, chainId: d.chainId.toString(),
    verifyingContract: d.verifyingContract, salt: d.salt, separator: TypedDataEncoder.hashDomain(domain), domain };
});
const domainOf = (label) => domains.find((d) => d.label === label);

const ATTESTERS = ["0x1000000000000000000000000000000000000001", "0x2000000000000000000000000000000000000002",
  "0xffffffffffffffffffffffffffffffffffffffff"];
const voteInputs = [
  { domain: "gateway-1002", type: "Deliver", value: { id: messageId("empty-payload-unordered"), claim: claims[0].claim, epoch: 1n } },
  { domain: "gateway-1002-twin", type: "Deliver", value: { id: messageId("empty-payload-unordered"), claim: claims[0].claim, epoch: 1n } },
  { domain: "gateway-1002", type: "Deliver", value: { id: messageId("max-uint64-fields"), claim: claims[2].claim, epoch: MAX_U64 } },
  ...[1, 2, 3, 4].map((status) => ({ domain: "gateway-1001", type: "Ack",
    value: { id: messageId("one-byte-ordered"), status, claim: outcomes[status - 1].claim, epoch: 7n } })),
  { domain: "gateway-1002", type: "Skip", value: { id: messageId("one-byte-ordered"), epoch: 2n } },
  { domain: "gateway-1002", type: "Rotate", value: { attesters: ATTESTERS.slice(0, 1), threshold: 1, newEpoch: 2n } },
  { domain: "gateway-1002", type: "Rotate", value: { attesters: ATTESTERS, threshold: 2, newEpoch: 3n } },
  { domain: "gateway-1002", type: "Rotate", value: { attesters: [], threshold: 65535, newEpoch: MAX_U64 } },
  { domain: "gateway-1002", type: "Configure", value: { srcChain: chainId("evm-1001"), srcGateway: word(GATEWAY_1001),
    trusted: true, maxPayload: 65536, maxGas: 5000000n, epoch: 1n } },
  { domain: "gateway-1001", type: "Configure", value: { srcChain: chainId("fisco-chain0-group0"), srcGateway: sample("fisco/gateway"),
    trusted: false, maxPayload: 0xffffffff, maxGas: MAX_U64, epoch: 4n } },
];
const jsonValue = (value) => Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));
const votes = voteInputs.map((v) => {
  const types = { [v.type]: TYPES[v.type] };
  const d = domainOf(v.domain);
  return {
    type: v.type,
    domain: v.domain,
    value: jsonValue(v.value),
    structHash: TypedDataEncoder.hashStruct(v.type, types, v.value),
    digest: TypedDataEncoder.hash(d.domain, types, v.value),
  };
});

// ---- Section 7: audit-log leaves -----------------------------------------------------------------
const AUDIT_KINDS = ["verified", "rejected", "voted", "executed_ok", "executed_failed", "timed_out", "skipped",
  "acknowledged", "parked", "orphaned"];
const auditDetail = (kind) => {
  switch (kind) {
    case "verified": return sample("bundle");
    case "rejected": return keccak256(toUtf8Bytes("abi.bad_offset"));
    case "parked": return keccak256(toUtf8Bytes("message.bad_version"));
    case "orphaned": return ZERO32;
    default: return sample(`tx/${kind}`);
  }
};
const auditLeaves = AUDIT_KINDS.map((kindName, i) => {
  const kind = i + 1;
  const id = messageId(messages[i % messages.length].name);
  const claim = kind === 7 ? ZERO32 : claims[i % claims.length].claim;
  const time = kind === 10 ? MAX_U64 : 1767225600n + BigInt(i);
  const detail = auditDetail(kindName);
  const leaf = abi.encode(["uint8", "bytes32", "bytes32", "bytes32", "uint64"], [kind, id, claim, detail, time]);
  // RFC 6962 leaf hash: SHA-256(0x00 || leaf).
  return { kind, kindName, id, claim, detail, time: time.toString(), leaf, leafHash: sha256(concat(["0x00", leaf])) };
});

const output = {
  _comment:
    `Golden vectors for Causeway wire protocol v1 (shared/PROTOCOL.md). Generated by schemas/vectors/generate.mjs ` +
    `with ethers ${ethersVersion} only (AbiCoder.encode, keccak256, TypedDataEncoder, sha256) from fixed inputs; ` +
    `do not edit by hand. Integers that can exceed 2^53 are decimal strings; byte strings are 0x hex.`,
  ethersVersion,
  chainIdentities: chains,
  messages,
  eventTopics,
  claims,
  outcomes,
  eip712: {
    typeStrings,
    typeHashes,
    domains: domains.map(({ domain, ...rest }) => rest),
    votes,
  },
  auditLeaves,
};

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const outPath = outIndex >= 0 ? args[outIndex + 1] : fileURLToPath(new URL("./protocol-v1.json", import.meta.url));
writeFileSync(outPath, JSON.stringify(output, null, 2) + "\n");
