// Derived header chains for the finality tests: QBFT, IBFT 2.0 and Clique chains with validator-set
// changes, built and sealed here with ethers only (independently of the C++ code under test).
// Deterministic: fixed keys, timestamps and schedules. Usage:
//   node tests/unit/verify/gen_bft_chains.mjs [--out <file>]   (default: data/derived_chains.json)
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// ethers is pinned in the repository's Node toolchain, not installed globally.
const require = createRequire(new URL("../../../deploy/devnet/package.json", import.meta.url));
const {
  AbiCoder, SigningKey, concat, encodeRlp, getBytes, hexlify, id, keccak256, toBeHex, toUtf8Bytes, zeroPadValue,
  version: ethersVersion,
} = require("ethers");
// ethers' own secp256k1 (its pinned @noble/curves), used only to make a second, different but
// valid signature by one key (RFC 6979 with extra entropy) for the ChainSwap case.
const { secp256k1 } = createRequire(require.resolve("ethers"))("@noble/curves/secp256k1");

const EMPTY_OMMERS = keccak256("0xc0");
const EMPTY_TRIE = keccak256("0x80");
const ISTANBUL_MIX = hexlify(toUtf8Bytes("ctical byzantine fault tolerance"));
const ZERO32 = "0x" + "00".repeat(32);
const ZERO20 = "0x" + "00".repeat(20);
const BLOOM = "0x" + "00".repeat(256);
const NONCE0 = "0x0000000000000000";
const NONCE_AUTH = "0xffffffffffffffff";
const uint = (n) => (BigInt(n) === 0n ? "0x" : toBeHex(BigInt(n)));
const label = (text) => keccak256(toUtf8Bytes(`causeway/verify/derived/${text}`));

// ---- Keys ---------------------------------------------------------------------------------------
const key = (name) => {
  const signer = new SigningKey(label(`key/${name}`));
  return { name, signer, address: computeAddress(signer) };
};
function computeAddress(signer) {
  return "0x" + keccak256("0x" + signer.publicKey.slice(4)).slice(-40);
}
const byAddress = (a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
const sorted = (keys) => [...keys].sort(byAddress);

function seal(signer, digest) {
  const sig = signer.sign(digest);
  return concat([sig.r, sig.s, sig.yParity ? "0x01" : "0x00"]);
}
function sealWithEntropy(signer, digest) {
  const sig = secp256k1.sign(getBytes(digest), getBytes(signer.privateKey), { lowS: true, extraEntropy: getBytes(label("entropy")) });
  return concat([toBeHex(sig.r, 32), toBeHex(sig.s, 32), sig.recovery ? "0x01" : "0x00"]);
}

// ---- Headers ------------------------------------------------------------------------------------
// fields: parentHash, ommers, coinbase, stateRoot, txRoot, receiptsRoot, bloom, difficulty, number,
// gasLimit, gasUsed, timestamp, extraData, mixHash, nonce [, baseFee].
function headerFields(h, extra) {
  const f = [h.parentHash, EMPTY_OMMERS, h.coinbase, h.stateRoot, EMPTY_TRIE, h.receiptsRoot, BLOOM,
    uint(h.difficulty), uint(h.number), uint(30_000_000), uint(h.gasUsed), uint(h.timestamp), extra, h.mixHash, h.nonce];
  if (h.baseFee !== undefined) f.push(uint(h.baseFee));
  return f;
}
const headerRlp = (h, extra) => encodeRlp(headerFields(h, extra));

// Istanbul v2 extraData (PROOF_FORMATS A.6.4 / A.6.5).
function bftVote(engine, vote) {
  if (!vote) return engine === "qbft" ? [] : "0x";
  const type = vote.add ? "0xff" : engine === "qbft" ? "0x" : "0x00";
  return [vote.recipient, type];
}
const bftRound = (engine, round) => (engine === "qbft" ? uint(round) : toBeHex(round, 4));
function bftExtra(engine, { vanity, validators, vote, round, seals }) {
  const items = [vanity, validators, bftVote(engine, vote)];
  if (round !== undefined) items.push(bftRound(engine, round));
  if (seals !== undefined) items.push(seals);
  return encodeRlp(items);
}
function commitDigest(engine, h, body) {
  const extra = engine === "qbft"
    ? bftExtra(engine, { ...body, seals: [] })
    : bftExtra(engine, { ...body, seals: undefined });
  return keccak256(headerRlp(h, extra));
}
function bftHash(engine, h, body) {
  const extra = engine === "qbft"
    ? bftExtra(engine, { ...body, round: 0, seals: [] })
    : bftExtra(engine, { ...body, round: undefined, seals: undefined });
  return keccak256(headerRlp(h, extra));
}

// ---- BFT chains ---------------------------------------------------------------------------------
// Besu semantics: the list in header N is the set after N-1 and seals N; the vote in N counts
// toward a majority (> n/2 distinct voters) that changes the list from N+1 on.
// receiptsRoots: block number -> a real receipts root (the sent chains); other blocks get a label.
function buildBftChain(engine, { name, initial, length, votes, vanityText, timestampBase, baseFee, receiptsRoots = {} }) {
  const vanity = label(`vanity/${vanityText}`);
  let validators = sorted(initial);
  const genesisBody = { vanity, validators: validators.map((k) => k.address), vote: null, round: 0, seals: [] };
  const genesisHeader = {
    parentHash: ZERO32, coinbase: ZERO20, stateRoot: label(`${name}/state/0`), receiptsRoot: EMPTY_TRIE,
    difficulty: 1, number: 0, gasUsed: 0, timestamp: timestampBase, mixHash: ISTANBUL_MIX, nonce: NONCE0, baseFee,
  };
  const genesisRlp = headerRlp(genesisHeader, bftExtra(engine, genesisBody));
  const checkpoint = { number: 0, hash: keccak256(genesisRlp), header_rlp: genesisRlp };

  let parentHash = checkpoint.hash;
  let tally = new Map();  // candidate address -> Set of voter addresses
  const headers = [];
  const raw = [];  // what variants need to re-seal blocks
  for (let number = 1; number <= length; ++number) {
    const n = validators.length;
    const proposer = validators[number % n];
    const vote = votes[number] ? { recipient: votes[number].candidate.address, add: votes[number].add } : null;
    const round = number % 3 === 0 ? 1 : 0;
    const h = {
      parentHash, coinbase: proposer.address, stateRoot: label(`${name}/state/${number}`),
      receiptsRoot: receiptsRoots[number] ?? label(`${name}/receipts/${number}`), difficulty: 1, number,
      gasUsed: 21000 * (number % 4),
      timestamp: timestampBase + 2 * number, mixHash: ISTANBUL_MIX, nonce: NONCE0, baseFee,
    };
    const body = { vanity, validators: validators.map((k) => k.address), vote, round };
    const digest = commitDigest(engine, h, body);
    const quorum = Math.ceil((2 * n) / 3);
    const committers = Array.from({ length: quorum }, (_, i) => validators[(number + i) % n]);
    const seals = committers.map((k) => seal(k.signer, digest));
    const rlp = headerRlp(h, bftExtra(engine, { ...body, seals }));
    const hash = bftHash(engine, h, body);
    headers.push({
      number, rlp, hash, validators: body.validators, proposer: proposer.address,
      committers: committers.map((k) => k.address), vote, round, commit_digest: digest,
    });
    raw.push({ h, body, digest, committers, validators: [...validators] });
    parentHash = hash;

    // Tally the vote after the block (Besu VoteTallyUpdater), applying a change at a majority.
    if (vote) {
      const member = validators.some((k) => k.address === vote.recipient);
      if (vote.add !== member) {
        const voters = tally.get(vote.recipient) ?? new Set();
        voters.add(proposer.address);
        tally.set(vote.recipient, voters);
        if (voters.size > n / 2) {
          const candidate = votes[number].candidate;
          validators = vote.add ? sorted([...validators, candidate]) : validators.filter((k) => k.address !== vote.recipient);
          tally.delete(vote.recipient);
        }
      }
    }
  }
  return {
    chain: {
      engine, checkpoint, validators: sorted(initial).map((k) => k.address), headers,
      final_validators: validators.map((k) => k.address),
    },
    raw, vanity,
  };
}

// A block of a built chain re-sealed with other seals (or another validator list), for variants.
function resealed(engine, built, index, { validators, sealers, sealsFrom }) {
  const r = built.raw[index];
  const body = { ...r.body, validators: validators ? validators.map((k) => k.address) : r.body.validators };
  const digest = commitDigest(engine, r.h, body);
  const seals = sealsFrom ? sealsFrom(digest) : sealers.map((k) => seal(k.signer, digest));
  return headerRlp(r.h, bftExtra(engine, { ...body, seals }));
}

// ---- Clique -------------------------------------------------------------------------------------
function cliqueSealHash(h, extraWithoutSeal) {
  return keccak256(headerRlp(h, extraWithoutSeal));
}
function cliqueHeader(h, vanity, listed, signer) {
  const extraWithoutSeal = concat([vanity, ...listed.map((k) => k.address)]);
  const sealBytes = seal(signer.signer, cliqueSealHash(h, extraWithoutSeal));
  const rlp = headerRlp(h, concat([extraWithoutSeal, sealBytes]));
  return { rlp, hash: keccak256(rlp) };
}

function buildCliqueChain({ name, initial, schedule, epoch, timestampBase, receiptsRoots = {} }) {
  const vanity = label(`vanity/${name}`);
  let signers = sorted(initial);
  const genesisH = {
    parentHash: ZERO32, coinbase: ZERO20, stateRoot: label(`${name}/state/0`), receiptsRoot: EMPTY_TRIE,
    difficulty: 1, number: 0, gasUsed: 0, timestamp: timestampBase, mixHash: ZERO32, nonce: NONCE0, baseFee: 7,
  };
  const genesisRlp = headerRlp(genesisH, concat([vanity, ...signers.map((k) => k.address), "0x" + "00".repeat(65)]));
  const checkpoint = { number: 0, hash: keccak256(genesisRlp), header_rlp: genesisRlp };
  let parentHash = checkpoint.hash;
  let tally = new Map();
  const headers = [];
  const raw = [];
  schedule.forEach((step, i) => {
    const number = i + 1;
    const isEpoch = number % epoch === 0;
    if (isEpoch) tally = new Map();  // EIP-225: votes reset at each checkpoint
    const vote = !isEpoch && step.vote ? step.vote : null;
    const inTurn = signers[number % signers.length].address === step.signer.address;
    const h = {
      parentHash, coinbase: vote ? vote.candidate.address : ZERO20, stateRoot: label(`${name}/state/${number}`),
      receiptsRoot: receiptsRoots[number] ?? label(`${name}/receipts/${number}`), difficulty: inTurn ? 2 : 1, number,
      gasUsed: 0,
      timestamp: timestampBase + 5 * number, mixHash: ZERO32, nonce: vote ? (vote.add ? NONCE_AUTH : NONCE0) : NONCE0,
      baseFee: 7,
    };
    const listed = isEpoch ? signers : [];
    const { rlp, hash } = cliqueHeader(h, vanity, listed, step.signer);
    headers.push({ number, rlp, hash, signer: step.signer.address, epoch_block: isEpoch, listed: listed.map((k) => k.address) });
    raw.push({ h, signersBefore: [...signers] });
    parentHash = hash;
    if (vote) {
      const member = signers.some((k) => k.address === vote.candidate.address);
      if (vote.add !== member) {
        const voters = tally.get(vote.candidate.address) ?? new Set();
        voters.add(step.signer.address);
        tally.set(vote.candidate.address, voters);
        if (voters.size > signers.length / 2) {
          signers = vote.add ? sorted([...signers, vote.candidate]) : signers.filter((k) => k.address !== vote.candidate.address);
          tally.delete(vote.candidate.address);
        }
      }
    }
  });
  return {
    chain: { engine: "clique", epoch, checkpoint, validators: sorted(initial).map((k) => k.address), headers },
    raw, vanity,
  };
}

// ---- Chains with a gateway event ------------------------------------------------------------------
// For the EVM source's segment tests: block SENT_BLOCK of each chain holds one type-2 receipt with a
// MessageSent log of SENT_GATEWAY (PROTOCOL.md section 2 encoding, srcChain the chain's identity).
const SENT_CHAIN_ID = 1001n;
const SENT_GATEWAY = "0x" + "00".repeat(19) + "aa";
const SENT_BLOCK = 4;
// A second event (sequence 2) two blocks on: a bundle of it may start at the first one's block, a
// checkpoint the relay kept (relay/verify/checkpoints.hpp).
const LATER_SENT_BLOCK = 6;
const abi = AbiCoder.defaultAbiCoder();
const MESSAGE_TUPLE =
  "tuple(uint8 version,bytes32 srcChain,bytes32 srcGateway,bytes32 dstChain,bytes32 dstGateway," +
  "bytes32 receiver,uint64 sequence,bytes32 sender,uint64 timeout,uint64 gasLimit,uint8 flags,bytes payload)";
const ID_TYPES = ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64",
  "uint8", "bytes32"];

// The receipt and its root for a chain whose genesis hashes to `genesisHash`.
function sentReceipt(name, genesisHash, sequence = 1n) {
  const srcChain = keccak256(abi.encode(["uint8", "bytes32", "bytes32"], [1, toBeHex(SENT_CHAIN_ID, 32), genesisHash]));
  const gatewayWord = zeroPadValue(SENT_GATEWAY, 32);
  const dstChain = label(`${name}/dst-chain`);
  const fields = [1, srcChain, gatewayWord, dstChain, gatewayWord, gatewayWord, sequence, gatewayWord, 0n, 300000n, 0];
  const suffix = sequence === 1n ? "" : ` #${sequence}`;
  const payload = hexlify(toUtf8Bytes(`segment test ${name}${suffix}`));
  const messageId = keccak256(abi.encode(ID_TYPES, [...fields, keccak256(payload)]));
  const log = {
    address: SENT_GATEWAY,
    topics: [id("MessageSent(bytes32,bytes32,uint64,bytes)"), messageId, dstChain, toBeHex(sequence, 32)],
    data: abi.encode(["bytes"], [abi.encode([MESSAGE_TUPLE], [[...fields, payload]])]),
  };
  const receipt = { type: "0x2", status: "0x1", cumulativeGasUsed: "0x15f90", logsBloom: BLOOM, logs: [log] };
  const value = concat(["0x02", encodeRlp(["0x01", uint(90000), BLOOM, [[log.address, log.topics, log.data]]])]);
  // A one-receipt trie: a single leaf at key rlp(0) = 0x80, nibbles [8, 0], even leaf prefix 0x20.
  const root = keccak256(encodeRlp(["0x2080", value]));
  return { receipt, root, message_id: messageId, tx_hash: label(`${name}/tx${suffix.replace(" #", "")}`) };
}

// Builds the chain twice: once to learn the genesis hash (the event names its chain), once with
// the receipt's root in block SENT_BLOCK (the genesis does not depend on it).
function sentChain(name, build) {
  const genesisHash = build({}).chain.checkpoint.hash;
  const sent = sentReceipt(name, genesisHash);
  const later = sentReceipt(name, genesisHash, 2n);
  const { chain } = build({ [SENT_BLOCK]: sent.root, [LATER_SENT_BLOCK]: later.root });
  return {
    ...chain,
    headers: chain.headers.map((h) => ({ number: h.number, rlp: h.rlp, hash: h.hash })),
    chain_id: Number(SENT_CHAIN_ID), gateway: SENT_GATEWAY,
    event: { block: SENT_BLOCK, tx_hash: sent.tx_hash, message_id: sent.message_id, receipt: sent.receipt },
    later_event: { block: LATER_SENT_BLOCK, tx_hash: later.tx_hash, message_id: later.message_id, receipt: later.receipt },
  };
}

// ---- The data set -------------------------------------------------------------------------------
function generate() {
  const k = Object.fromEntries(["v1", "v2", "v3", "v4", "v5", "f1", "f2", "f3", "f4", "c1", "c2", "c3", "c4"].map((n) => [n, key(n)]));
  const initial = [k.v1, k.v2, k.v3, k.v4];
  const set = sorted(initial);
  // Add v5 by three votes (3 > 4/2), then drop set[1] by three votes (3 > 5/2).
  const votes = {
    2: { candidate: k.v5, add: true }, 3: { candidate: k.v5, add: true }, 4: { candidate: k.v5, add: true },
    6: { candidate: set[1], add: false }, 7: { candidate: set[1], add: false }, 8: { candidate: set[1], add: false },
  };
  const chainSpec = { initial, length: 12, votes, timestampBase: 1_700_000_000 };
  const qbft = buildBftChain("qbft", { ...chainSpec, name: "qbft", vanityText: "chain-a", baseFee: 7 });
  const ibft2 = buildBftChain("ibft2", { ...chainSpec, name: "ibft2", vanityText: "chain-a" });
  // Chain B: same validator keys, another genesis (THREATS 21).
  const qbftB = buildBftChain("qbft", { ...chainSpec, name: "qbft-b", vanityText: "chain-b", length: 3, votes: {}, baseFee: 7 });

  const cs = sorted([k.c1, k.c2, k.c3]);
  // Add c4 by two votes (2 > 3/2) mid-epoch; c4 signs only once the epoch block 4 lists it. Then
  // drop cs[2] by three votes (3 > 4/2); epoch block 8 lists the smaller set.
  const schedule = [
    { signer: cs[1], vote: { candidate: k.c4, add: true } },
    { signer: cs[2], vote: { candidate: k.c4, add: true } },
    { signer: cs[0] },
    { signer: cs[1] },
    { signer: k.c4, vote: { candidate: cs[2], add: false } },
    { signer: cs[2], vote: { candidate: cs[2], add: false } },
    { signer: cs[0], vote: { candidate: cs[2], add: false } },
    { signer: cs[1] },
    { signer: k.c4 },
    { signer: cs[0] },
  ];
  const clique = buildCliqueChain({ name: "clique", initial: cs, schedule, epoch: 4, timestampBase: 1_700_000_000 });

  const variants = [];
  const bftVariants = (engine, built) => {
    const b = built.raw[1];  // block 2: four validators, quorum 3
    const [s0, s1, s2] = b.committers;
    variants.push({
      name: `${engine}: a whole new set, sealed only by the new keys`, chain: engine, replace_from: 4,
      headers: [resealed(engine, built, 4, { validators: sorted([k.f1, k.f2, k.f3, k.f4]), sealers: sorted([k.f1, k.f2, k.f3, k.f4]) })],
      target: 5, reason: "verify.unknown_validator_set_change",
    });
    variants.push({
      name: `${engine}: a validator added without a vote, sealed by the new list`, chain: engine, replace_from: 2,
      headers: [resealed(engine, built, 2, { validators: sorted([...built.raw[2].validators, k.f1]), sealers: [...built.raw[2].validators.slice(0, 3), k.f1] })],
      target: 3, reason: "verify.unknown_validator_set_change",
    });
    variants.push({
      name: `${engine}: seals below quorum`, chain: engine, replace_from: 1,
      headers: [resealed(engine, built, 1, { sealers: [s0, s1] })], target: 2, reason: "verify.insufficient_seals",
    });
    variants.push({
      name: `${engine}: one seal repeated`, chain: engine, replace_from: 1,
      headers: [resealed(engine, built, 1, { sealsFrom: (d) => [seal(s0.signer, d), seal(s1.signer, d), seal(s0.signer, d)] })],
      target: 2, reason: "verify.duplicate_seal",
    });
    variants.push({
      name: `${engine}: one validator sealing twice with different signature bytes`, chain: engine, replace_from: 1,
      headers: [resealed(engine, built, 1, { sealsFrom: (d) => [seal(s0.signer, d), seal(s1.signer, d), sealWithEntropy(s0.signer, d)] })],
      target: 2, reason: "verify.duplicate_seal",
    });
    variants.push({
      name: `${engine}: two member seals and two non-member seals`, chain: engine, replace_from: 1,
      headers: [resealed(engine, built, 1, { sealers: [s0, s1, k.f1, k.f2] })], target: 2, reason: "verify.non_member_seal",
    });
    void s2;
  };
  bftVariants("qbft", qbft);
  bftVariants("ibft2", ibft2);
  variants.push({
    name: "qbft: chain B's block 1 (same validator keys) after chain A's checkpoint", chain: "qbft", replace_from: 0,
    headers: qbftB.chain.headers.map((h) => h.rlp), target: 1, reason: "verify.checkpoint_mismatch",
  });

  // Clique variants.
  const c = clique.raw;
  const cliqueAt = (index, { signer, listed = [], coinbase, nonce }) =>
    cliqueHeader({ ...c[index].h, ...(coinbase ? { coinbase } : {}), ...(nonce ? { nonce } : {}) }, clique.vanity, listed, signer).rlp;
  variants.push({
    name: "clique: a block sealed by a stranger", chain: "clique", replace_from: 2,
    headers: [cliqueAt(2, { signer: k.f1 })], target: 1, reason: "verify.non_member_seal",
  });
  variants.push({
    name: "clique: a signer list outside an epoch block", chain: "clique", replace_from: 2,
    headers: [cliqueAt(2, { signer: cs[0], listed: cs })], target: 1, reason: "verify.clique_bad_extra_data",
  });
  // One authorized signer lists keys of its own at the epoch block, and those keys seal on.
  const fakes = sorted([k.f1, k.f2, k.f3]);
  const forged = [];
  let parent = clique.chain.headers[2].hash;
  for (let index = 3; index <= 6; ++index) {
    const h = { ...c[index].h, parentHash: parent, coinbase: ZERO20, nonce: NONCE0 };
    const out = cliqueHeader(h, clique.vanity, index === 3 ? fakes : [], index === 3 ? cs[1] : fakes[index - 4]);
    forged.push(out.rlp);
    parent = out.hash;
  }
  variants.push({
    name: "clique: an epoch block listing a forged set, then sealed on by it", chain: "clique", replace_from: 3,
    headers: forged, target: 6, reason: "verify.header_not_final",
  });

  const sentSpec = { initial, length: 8, votes: {}, timestampBase: 1_700_100_000 };
  const sentChains = {
    qbft: sentChain("sent-qbft", (receiptsRoots) =>
      buildBftChain("qbft", { ...sentSpec, name: "sent-qbft", vanityText: "sent-qbft", baseFee: 7, receiptsRoots })),
    ibft2: sentChain("sent-ibft2", (receiptsRoots) =>
      buildBftChain("ibft2", { ...sentSpec, name: "sent-ibft2", vanityText: "sent-ibft2", receiptsRoots })),
    // Three signers in turn: any two consecutive blocks have two distinct signers, floor(3/2)+1.
    clique: sentChain("sent-clique", (receiptsRoots) => buildCliqueChain({
      name: "sent-clique", initial: cs, epoch: 100, timestampBase: 1_700_100_000, receiptsRoots,
      schedule: Array.from({ length: 8 }, (_, i) => ({ signer: cs[(i + 1) % cs.length] })),
    })),
  };

  return {
    _comment: "Derived by tests/unit/verify/gen_bft_chains.mjs (node + ethers only, deterministic keys derived from labels; " +
      "regenerate with `node tests/unit/verify/gen_bft_chains.mjs`, ctest verify.derived_chains_regenerate checks it). " +
      "BFT chains follow Besu semantics: header N lists the set that seals it; a vote tipping a majority in N changes the list from N+1. " +
      "Clique: epoch 4, a signer added mid-epoch signs only after the epoch block lists it. Variants replace headers from replace_from (0-based segment index). " +
      "sent_chains: chain id 1001, no votes, block event.block holds one receipt with a MessageSent log of the gateway (the EVM source's segment tests), " +
      "block later_event.block another (sequence 2; the relay-kept checkpoint tests).",
    generator: "tests/unit/verify/gen_bft_chains.mjs",
    ethers: ethersVersion,
    chains: { qbft: qbft.chain, ibft2: ibft2.chain, qbft_b: qbftB.chain, clique: clique.chain },
    variants,
    sent_chains: sentChains,
  };
}

const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const out = outIndex >= 0 ? args[outIndex + 1] : fileURLToPath(new URL("./data/derived_chains.json", import.meta.url));
writeFileSync(out, JSON.stringify(generate(), null, 1) + "\n");
