// Real proof bundles from live anvil nodes for the inclusion / verify tests: gateways send several
// messages (several in one transaction and one block, next to another contract's logs and a failed
// transaction), a second chain executes them; headers and receipts are rebuilt from JSON-RPC
// (PROOF_FORMATS A.2, A.4) and receipt proofs built with @ethereumjs/trie. Run once, commit output:
//   node tests/unit/verify/make_bundles.mjs [--out tests/unit/verify/data/anvil_bundles.json]
// Timing-dependent (timestamps, hashes): there is no regeneration check.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  artifacts, attesterKeys, deploy, deployGateway, ethers, pad, startChain,
} from "../../../adapters/evm/contracts/test/harness.mjs";
import { compileSources } from "../../../adapters/evm/contracts/compile.mjs";
// The header, receipt, trie-proof and bundle code the reference adapter serves bundles with.
import {
  EXECUTED_TOPIC, SENT_TOPIC, blockReceipts, chainIdentity, claimOf, evmBundle, headerRlp, receiptProof, sentMessage,
  uint,
} from "../../../adapters/external/examples/evm-node/evm.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { keccak256, encodeRlp, hexlify, toBeHex, concat, AbiCoder, SigningKey, toUtf8Bytes } = ethers;
const coder = AbiCoder.defaultAbiCoder();
const outFile = process.argv.includes("--out")
  ? process.argv[process.argv.indexOf("--out") + 1]
  : path.join(here, "data/anvil_bundles.json");

// A contract that sends several messages in one transaction, with its own log between them, so
// a receipt holds gateway and non-gateway logs and the log index in the receipt differs from the
// block-global logIndex (THREATS 16, 17).
const MULTI_SEND = `// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;
interface IGatewaySend {
  function send(bytes32 dstChain, bytes32 dstGateway, bytes32 receiver, uint64 timeout, uint64 gasLimit, bool ordered,
                bytes calldata payload) external returns (bytes32);
}
contract MultiSend {
  event Noise(uint256 n);
  function sendMany(address gw, bytes32 dstChain, bytes32 dstGateway, bytes32 receiver, uint256 count) external {
    for (uint256 i = 0; i < count; i++) {
      emit Noise(i);
      IGatewaySend(gw).send(dstChain, dstGateway, receiver, 0, 100000, i == 1, abi.encodePacked(uint16(0xbe00 + i)));
    }
  }
}
`;

async function receiptsOf(chain, number) {
  const block = await chain.rpc("eth_getBlockByNumber", [toBeHex(number), false]);
  return { block, ...(await blockReceipts(chain.rpc, block, number)) };
}

async function headersUpTo(chain, number) {
  const out = [];
  for (let n = 1; n < number; n++) out.push(headerRlp(await chain.rpc("eth_getBlockByNumber", [toBeHex(n), false])));
  return out;
}

// Every gateway log of `topic` in the block, with its index in the receipt.
function gatewayLogs(receipts, gateway, topic) {
  const out = [];
  receipts.forEach((r, tx) =>
    r.logs.forEach((l, inReceipt) => {
      if (l.address.toLowerCase() === gateway.toLowerCase() && l.topics[0] === topic) out.push({ tx, inReceipt, log: l });
    }));
  return out;
}

async function bundle({ kind, identity, blockHash, blockNumber, header, segment, trie, values, tx, inReceipt, message, claim }) {
  return evmBundle({ kind, claim, message, identity, number: blockNumber, blockHash, header, segment, tx, inReceipt,
    receipt: values[tx], proof: await receiptProof(trie, tx) });
}

// ---- A synthetic QBFT chain that hosts chain A's real receipts root (PROOF_FORMATS A.6.5) ------
const ISTANBUL_MIX = hexlify(toUtf8Bytes("ctical byzantine fault tolerance"));
const qbftKeys = (label) =>
  [0, 1, 2, 3].map((i) => new SigningKey(keccak256(toUtf8Bytes(`causeway/verify/bundles/${label}/${i}`))))
    .map((k) => ({ k, address: ethers.computeAddress(k.publicKey).toLowerCase() }))
    .sort((a, b) => (a.address < b.address ? -1 : 1));

function qbftHeader(fields, validators, seals) {
  const extra = (s) => encodeRlp(["0x" + "00".repeat(32), validators.map((v) => v.address), [], "0x", s]);
  const items = (e) => [
    fields.parent, keccak256("0xc0"), validators[0].address, fields.stateRoot, fields.txRoot, fields.receiptsRoot,
    "0x" + "00".repeat(256), "0x01", uint(fields.number), uint(30_000_000), uint(0), uint(fields.timestamp), e,
    ISTANBUL_MIX, "0x0000000000000000", uint(7),
  ];
  // Round 0 with no seals: the commit digest equals the block hash.
  const hash = keccak256(encodeRlp(items(extra([]))));
  const sealList = seals.map((v) => {
    const sig = v.k.sign(hash);
    return concat([sig.r, sig.s, sig.v === 27 ? "0x00" : "0x01"]);
  });
  return { rlp: encodeRlp(items(extra(sealList))), hash };
}

function qbftChain(label, receiptsRoot, genesisTimestamp) {
  const validators = qbftKeys(label);
  const empty = keccak256("0x80");
  const genesis = qbftHeader({ parent: "0x" + "00".repeat(32), stateRoot: empty, txRoot: empty, receiptsRoot: empty,
    number: 0, timestamp: genesisTimestamp }, validators, []);
  const headers = [];
  let parent = genesis.hash;
  for (let n = 1; n <= 3; n++) {
    const h = qbftHeader({ parent, stateRoot: empty, txRoot: empty, receiptsRoot: n === 2 ? receiptsRoot : empty,
      number: n, timestamp: genesisTimestamp + 2 * n }, validators, validators.slice(0, 3));
    headers.push(h);
    parent = h.hash;
  }
  return { validators, genesis, headers };
}

// ---- Main ---------------------------------------------------------------------------------------
const QBFT_CHAIN_ID = 4242;
const chainA = await startChain({ chainId: 31337 });
const chainB = await startChain({ chainId: 31338 });
try {
  // The QBFT chain's genesis does not depend on the receipts, so its identity is known up front.
  const qbftGenesis = qbftChain("qbft", keccak256("0x80"), 1_700_000_000).genesis;
  const qbftIdentity = chainIdentity(QBFT_CHAIN_ID, qbftGenesis.hash);

  const gwA = await deployGateway(chainA);
  const gwQ = await deployGateway(chainA, { identity: qbftIdentity });
  const gwB = await deployGateway(chainB, { keys: attesterKeys(1, "dst") });
  await gwB.trust(chainA.identity, pad(gwA.address));
  const receiver = await deploy(chainB, "NoopReceiver", []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "causeway-multisend-"));
  fs.writeFileSync(path.join(dir, "MultiSend.sol"), MULTI_SEND);
  const ms = compileSources([dir]).MultiSend;
  fs.rmSync(dir, { recursive: true, force: true });
  const multi = await new ethers.ContractFactory(ms.abi, ms.bytecode, await chainA.signer(0)).deploy();
  await multi.waitForDeployment();
  const gwAbi = (await artifacts()).Gateway.abi;

  // One block on chain A: a plain send, a multi-send (3 messages between Noise logs), a send via
  // the QBFT-hosted gateway and a reverted send (status 0).
  await chainA.rpc("evm_setAutomine", [false]);
  const to = [chainB.identity, pad(gwB.address), pad(receiver.target)];
  const txs = [];
  const s1 = await chainA.signer(1), s2 = await chainA.signer(2), s3 = await chainA.signer(3), s4 = await chainA.signer(4);
  txs.push(await new ethers.Contract(gwA.address, gwAbi, s1).send(...to, 0, 150000, false, "0xc0ffee", { gasLimit: 500000 }));
  txs.push(await multi.connect(s2).sendMany(gwA.address, ...to, 3, { gasLimit: 2000000 }));
  txs.push(await new ethers.Contract(gwQ.address, gwAbi, s3).send(...to, 0, 150000, false, "0x0a0b", { gasLimit: 500000 }));
  txs.push(await new ethers.Contract(gwA.address, gwAbi, s4).send(ethers.ZeroHash, ...to.slice(1), 0, 1, false, "0x",
    { gasLimit: 500000 }));
  await chainA.rpc("evm_mine", []);
  await chainA.rpc("evm_setAutomine", [true]);
  const minedA = await Promise.all(txs.map((t) => chainA.provider.getTransactionReceipt(t.hash)));
  const numberA = minedA[0].blockNumber;
  if (!minedA.every((r) => r.blockNumber === numberA)) throw new Error("the transactions did not share a block");
  if (minedA[3].status !== 0) throw new Error("the reverted send did not fail");
  for (let i = 0; i < 3; i++) await chainA.rpc("evm_mine", []);

  const a = await receiptsOf(chainA, numberA);
  const headerA = headerRlp(a.block);
  const segmentA = await headersUpTo(chainA, numberA);
  const bundles = [];
  const sentA = gatewayLogs(a.receipts, gwA.address, SENT_TOPIC);
  for (const s of sentA) {
    const claim = claimOf(s.log.topics[1], a.block.hash, numberA, s.tx, s.inReceipt);
    bundles.push({
      name: `a_sent_tx${s.tx}_log${s.inReceipt}`,
      global_log_index: Number(s.log.logIndex),
      bundle: await bundle({ kind: "message", identity: chainA.identity, blockHash: a.block.hash, blockNumber: numberA,
        header: headerA, segment: s.tx === 0 ? [] : segmentA, trie: a.trie, values: a.values, tx: s.tx,
        inReceipt: s.inReceipt, message: sentMessage(s.log.data), claim }),
    });
  }
  const failedTx = minedA[3].index;

  // Chain B executes the multi-send's three messages in one deliver transaction.
  const multiMsgs = bundles.filter((b) => b.bundle.inclusion.tx_index === minedA[1].index).map((b) => b.bundle);
  const toStruct = (j) => ({ ...j, sequence: BigInt(j.sequence), timeout: BigInt(j.timeout), gasLimit: BigInt(j.gasLimit) });
  const sigs = await Promise.all(multiMsgs.map((b) => gwB.deliverSigs(gwB.keys, coderId(b.message), b.claim)));
  const deliverTx = await gwB.contract.deliver(multiMsgs.map((b) => toStruct(b.message)), multiMsgs.map((b) => b.claim), sigs);
  const deliverReceipt = await deliverTx.wait();
  for (let i = 0; i < 3; i++) await chainB.rpc("evm_mine", []);
  const numberB = deliverReceipt.blockNumber;
  const bB = await receiptsOf(chainB, numberB);
  const headerB = headerRlp(bB.block);
  for (const e of gatewayLogs(bB.receipts, gwB.address, EXECUTED_TOPIC)) {
    const original = multiMsgs.find((b) => coderId(b.message) === e.log.topics[1]);
    bundles.push({
      name: `b_executed_tx${e.tx}_log${e.inReceipt}`,
      global_log_index: Number(e.log.logIndex),
      bundle: await bundle({ kind: "execution", identity: chainB.identity, blockHash: bB.block.hash, blockNumber: numberB,
        header: headerB, segment: [], trie: bB.trie, values: bB.values, tx: e.tx, inReceipt: e.inReceipt,
        message: original.message, claim: claimOf(e.log.topics[1], bB.block.hash, numberB, e.tx, e.inReceipt) }),
    });
  }

  // The QBFT chain's block 2 carries chain A's receipts root; its gateway is gwQ. A twin chain with
  // the same validator keys but another genesis carries it too (THREATS 21).
  const q = qbftChain("qbft", a.block.receiptsRoot, 1_700_000_000);
  const twin = qbftChain("qbft", a.block.receiptsRoot, 1_700_000_100);
  const sentQ = gatewayLogs(a.receipts, gwQ.address, SENT_TOPIC);
  for (const [label, chain] of [["q", q], ["q_twin", twin]]) {
    for (const s of sentQ) {
      const target = chain.headers[1];
      bundles.push({
        name: `${label}_sent_tx${s.tx}_log${s.inReceipt}`,
        global_log_index: Number(s.log.logIndex),
        bundle: await bundle({ kind: "message", identity: qbftIdentity, blockHash: target.hash, blockNumber: 2,
          header: target.rlp, segment: [chain.headers[0].rlp, chain.headers[2].rlp], trie: a.trie, values: a.values,
          tx: s.tx, inReceipt: s.inReceipt, message: sentMessage(s.log.data),
          claim: claimOf(s.log.topics[1], target.hash, 2, s.tx, s.inReceipt) }),
      });
    }
  }

  const headA = Number(await chainA.rpc("eth_blockNumber", []));
  const headB = Number(await chainB.rpc("eth_blockNumber", []));
  const genesisOf = async (c) => (await c.rpc("eth_getBlockByNumber", ["0x0", false])).hash;
  const anchors = {
    version: 1,
    chains: [
      { name: "anvil-a", family: "evm", chain_id: "31337", genesis_hash: await genesisOf(chainA),
        chain_identity: chainA.identity, gateway: gwA.address.toLowerCase(),
        consensus: { mode: "confirmations", checkpoint: { number: "0", hash: await genesisOf(chainA) }, confirmations: 2 },
        limits: { max_payload: 32768 } },
      { name: "anvil-b", family: "evm", chain_id: "31338", genesis_hash: await genesisOf(chainB),
        chain_identity: chainB.identity, gateway: gwB.address.toLowerCase(),
        consensus: { mode: "confirmations", confirmations: 2 }, limits: { max_payload: 32768 } },
      { name: "qbft-q", family: "evm", chain_id: String(QBFT_CHAIN_ID), genesis_hash: q.genesis.hash,
        chain_identity: qbftIdentity, gateway: gwQ.address.toLowerCase(),
        consensus: { mode: "qbft", checkpoint: { number: "0", hash: q.genesis.hash },
          validator_sets: [{ from_height: "1", members: q.validators.map((v) => v.address) }] },
        limits: { max_payload: 32768 } },
    ],
  };
  const out = {
    _comment:
      "Made by tests/unit/verify/make_bundles.mjs (ethers + @ethereumjs/trie, anvil " +
      "default hardfork) from two throwaway anvil nodes: chain A (31337) block " + numberA + " holds a plain send (tx 0), " +
      "a MultiSend contract's three sends between its own Noise logs (tx 1), a send through a second gateway whose " +
      "identity is a synthetic QBFT chain's (tx 2) and a reverted send (tx " + failedTx + ", status 0). Chain B (31338) " +
      "block " + numberB + " executes tx 1's three messages in one deliver. The QBFT chain (id 4242, 4 validators, keys " +
      "from labels) is built here: its block 2 carries chain A's block receiptsRoot; q_twin is a chain with the same " +
      "keys and another genesis. Headers and receipts were rebuilt from JSON-RPC and checked against the block hash and " +
      "receiptsRoot. Canonical hashes (confirmations mode) are in `canonical`; all receipts of each block in `blocks`. " +
      "Timing-dependent: regenerate only on purpose.",
    anchors,
    canonical: [
      { chain_identity: chainA.identity, number: String(numberA), hash: a.block.hash, head: String(headA) },
      { chain_identity: chainB.identity, number: String(numberB), hash: bB.block.hash, head: String(headB) },
    ],
    blocks: [
      { chain_identity: chainA.identity, number: String(numberA), failed_tx: failedTx, multi_send_tx: minedA[1].index,
        multi_send_contract: multi.target.toLowerCase(), receipts: a.values },
      { chain_identity: chainB.identity, number: String(numberB), receipts: bB.values },
    ],
    qbft_validators: q.validators.map((v) => v.address),
    bundles,
  };
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + "\n");
  console.log(`wrote ${bundles.length} bundles to ${outFile}`);
} finally {
  await chainA.stop();
  await chainB.stop();
}

function coderId(m) {
  return keccak256(coder.encode(
    ["uint8", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint64", "bytes32", "uint64", "uint64", "uint8", "bytes32"],
    [m.version, m.srcChain, m.srcGateway, m.dstChain, m.dstGateway, m.receiver, m.sequence, m.sender, m.timeout,
      m.gasLimit, m.flags, keccak256(m.payload)]));
}
