// Differential oracle for adapters/evm: seeded random legacy (EIP-155) and EIP-1559 transactions
// signed by ethers' Wallet.signTransaction, and EIP-712 votes signed by Wallet.signTypedData, written
// to <output-dir>/evm.json for evm_tests "[differential]". TEST-ONLY random keys.
//
// Usage: node evm_oracle.mjs <output-dir> [--seed <seed>]
// The seed is --seed, else $CAUSEWAY_DIFFERENTIAL_SEED, else a fixed default; "random" draws one.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const nodeTools = createRequire(new URL('../../../deploy/devnet/package.json', import.meta.url));
const ethers = nodeTools('ethers');

const args = { outDir: null, seed: null };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === '--seed') args.seed = process.argv[++i];
  else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
  else args.outDir = a;
}
if (!args.outDir) throw new Error('usage: node evm_oracle.mjs <output-dir> [--seed S]');
if (args.seed === null) {
  const env = process.env.CAUSEWAY_DIFFERENTIAL_SEED;
  args.seed = env !== undefined && env !== '' ? env : 'causeway-evm-differential-1';
}
if (args.seed === 'random') args.seed = randomBytes(8).toString('hex');

// Deterministic byte stream: keccak256(seed ‖ counter), so the same seed gives the same file.
class Stream {
  constructor(seed, family) { this.prefix = ethers.toUtf8Bytes(`${seed}/${family}/`); this.counter = 0; this.buf = []; }
  byte() {
    if (this.buf.length === 0) {
      this.buf = Array.from(ethers.getBytes(ethers.keccak256(ethers.concat([this.prefix, ethers.toBeArray(++this.counter)]))));
    }
    return this.buf.shift();
  }
  bytes(n) { const out = new Uint8Array(n); for (let i = 0; i < n; ++i) out[i] = this.byte(); return out; }
  int(lo, hi) { // inclusive, hi - lo < 2^32
    const v = (this.byte() << 24 | this.byte() << 16 | this.byte() << 8 | this.byte()) >>> 0;
    return lo + (v % (hi - lo + 1));
  }
  chance(p) { return this.int(0, 9999) < p * 10000; }
  // A bigint of up to `maxBytes` bytes, biased to small, zero and all-ones edges.
  big(maxBytes) {
    const r = this.int(0, 9);
    if (r === 0) return 0n;
    if (r === 1) return (1n << BigInt(8 * maxBytes)) - 1n;
    const n = r < 5 ? this.int(1, Math.min(4, maxBytes)) : this.int(1, maxBytes);
    return ethers.toBigInt(this.bytes(n));
  }
  key() {
    for (;;) {
      const k = this.bytes(32);
      const v = ethers.toBigInt(k);
      if (v > 0n && v < ethers.N) return ethers.hexlify(k);
    }
  }
  address() { return ethers.getAddress(ethers.hexlify(this.bytes(20))); }
  word() { return ethers.hexlify(this.bytes(32)); }
}

const s = new Stream(args.seed, 'tx');
const txs = [];
for (let i = 0; i < 300; ++i) {
  const type = i % 2 === 0 ? 0 : 2;
  const privateKey = s.key();
  const wallet = new ethers.Wallet(privateKey);
  // Legacy v = recid + 35 + 2·chainId must fit 64 bits in our encoder; keep chain ids ≤ 2^40.
  const chainId = s.chance(0.3) ? BigInt(s.int(1, 5000)) : ethers.toBigInt(s.bytes(s.int(1, 5)));
  const req = {
    type,
    chainId: chainId === 0n ? 1n : chainId,
    nonce: Number(s.chance(0.2) ? 0n : BigInt(s.int(0, 2 ** 31))),
    gasLimit: s.big(8),
    to: s.chance(0.1) ? null : s.address(),
    value: s.big(32),
    data: ethers.hexlify(s.bytes(s.chance(0.3) ? 0 : s.int(1, 300))),
  };
  if (type === 0) {
    req.gasPrice = s.big(32);
  } else {
    req.maxFeePerGas = s.big(32);
    req.maxPriorityFeePerGas = req.maxFeePerGas === 0n ? 0n : ethers.toBigInt(s.bytes(32)) % (req.maxFeePerGas + 1n);
    const entries = s.int(0, 3);
    req.accessList = [];
    for (let e = 0; e < entries; ++e) {
      const keys = [];
      for (let k = s.int(0, 3); k > 0; --k) keys.push(s.word());
      req.accessList.push({ address: s.address(), storageKeys: keys });
    }
  }
  const raw = await wallet.signTransaction(req);
  const parsed = ethers.Transaction.from(raw);
  if (parsed.from !== wallet.address) throw new Error('ethers round trip failed');
  txs.push({
    private_key: privateKey,
    type,
    chain_id: req.chainId.toString(),
    nonce: req.nonce,
    gas_limit: req.gasLimit.toString(),
    gas_price: type === 0 ? ethers.toBeHex(req.gasPrice, 32) : null,
    max_fee_per_gas: type === 2 ? ethers.toBeHex(req.maxFeePerGas, 32) : null,
    max_priority_fee_per_gas: type === 2 ? ethers.toBeHex(req.maxPriorityFeePerGas, 32) : null,
    to: req.to ? req.to.toLowerCase() : null,
    value: ethers.toBeHex(req.value, 32),
    data: req.data,
    access_list: type === 2 ? req.accessList.map((e) => ({ address: e.address.toLowerCase(), storage_keys: e.storageKeys })) : [],
    // Encodable, but a node refuses it (gas × price beyond 256 bits): our decoder must too.
    fee_product_overflows: req.gasLimit * (type === 0 ? req.gasPrice : req.maxFeePerGas) >= (1n << 256n),
    signing_hash: parsed.unsignedHash,
    raw,
    hash: ethers.keccak256(raw),
    sender: wallet.address.toLowerCase(),
  });
}

const TYPES = {
  Deliver: [{ name: 'id', type: 'bytes32' }, { name: 'claim', type: 'bytes32' }, { name: 'epoch', type: 'uint64' }],
  Ack: [{ name: 'id', type: 'bytes32' }, { name: 'status', type: 'uint8' }, { name: 'claim', type: 'bytes32' },
    { name: 'epoch', type: 'uint64' }],
  Skip: [{ name: 'id', type: 'bytes32' }, { name: 'epoch', type: 'uint64' }],
  Rotate: [{ name: 'attesters', type: 'address[]' }, { name: 'threshold', type: 'uint16' }, { name: 'newEpoch', type: 'uint64' }],
  Configure: [{ name: 'srcChain', type: 'bytes32' }, { name: 'srcGateway', type: 'bytes32' }, { name: 'trusted', type: 'bool' },
    { name: 'maxPayload', type: 'uint32' }, { name: 'maxGas', type: 'uint64' }, { name: 'epoch', type: 'uint64' }],
};

const v = new Stream(args.seed, 'vote');
const votes = [];
const kinds = Object.keys(TYPES);
for (let i = 0; i < 200; ++i) {
  const kind = kinds[i % kinds.length];
  const privateKey = v.key();
  const wallet = new ethers.Wallet(privateKey);
  const domain = {
    name: 'Causeway', version: '1', chainId: v.chance(0.5) ? BigInt(v.int(1, 100000)) : v.big(8),
    verifyingContract: v.address(), salt: v.word(),
  };
  const epoch = v.big(8);
  let value;
  if (kind === 'Deliver') value = { id: v.word(), claim: v.word(), epoch };
  else if (kind === 'Ack') value = { id: v.word(), status: v.int(1, 4), claim: v.word(), epoch };
  else if (kind === 'Skip') value = { id: v.word(), epoch };
  else if (kind === 'Rotate') {
    const attesters = [];
    for (let n = v.int(0, 7); n > 0; --n) attesters.push(v.address());
    value = { attesters, threshold: v.int(0, 65535), newEpoch: epoch };
  } else {
    value = { srcChain: v.word(), srcGateway: v.word(), trusted: v.chance(0.5), maxPayload: v.int(0, 2 ** 32 - 1), maxGas: v.big(8), epoch };
  }
  const types = { [kind]: TYPES[kind] };
  const signature = await wallet.signTypedData(domain, types, value);
  const plain = JSON.parse(JSON.stringify(value, (_, x) => (typeof x === 'bigint' ? x.toString() : x)));
  if (kind === 'Rotate') plain.attesters = value.attesters.map((a) => a.toLowerCase());
  votes.push({
    private_key: privateKey,
    kind,
    domain: { chain_id: domain.chainId.toString(), verifying_contract: domain.verifyingContract.toLowerCase(), salt: domain.salt },
    value: plain,
    digest: ethers.TypedDataEncoder.hash(domain, types, value),
    signature,
    signer: wallet.address.toLowerCase(),
  });
}

const outDir = resolve(args.outDir);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'evm.json'), JSON.stringify({
  family: 'evm', seed: args.seed, oracle: `ethers ${ethers.version}`, txs, votes,
}));
console.log(`evm oracle: ${txs.length} transactions, ${votes.length} votes (seed ${args.seed}) -> ${join(outDir, 'evm.json')}`);
