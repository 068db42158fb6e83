// Derives the FISCO BCOS vectors the real fixtures lack (PROOF_FORMATS.md B.2, B.3): GM-mode (SM3 +
// SM2) 2.x headers, 2.x signature lists in both modes, a >= 3.0.0 header signed by weighted sealers,
// and 3.x binary-tree proofs. An implementation independent of the C++ one: ethers for RLP,
// Keccak-256 and secp256k1, npm sm-crypto 0.5.8 for SM3 and SM2.
//   node tests/unit/verify/data/fisco_derive.mjs [--out <file>]   (default: data/fisco_derived.json)
// SM2 nonces are derived from the key and the hash (test-only, like RFC 6979 in spirit) so that the
// output is reproducible byte for byte; every SM2 signature is verified with sm-crypto before use.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../../../../deploy/devnet/package.json', import.meta.url));
const { ethers } = require('ethers');
const { sm2, sm3 } = require('sm-crypto');

const strip = (hex) => hex.replace(/^0x/, '');
const bytes = (hex) => Array.from(ethers.getBytes('0x' + strip(hex)));
const H = (crypto, hex) => '0x' + (crypto === 'sm' ? sm3(bytes(hex)) : strip(ethers.keccak256('0x' + strip(hex))));
const rlpUint = (n) => (BigInt(n) === 0n ? '0x' : ethers.toBeHex(BigInt(n)));
const seed = (label) => strip(ethers.keccak256(ethers.toUtf8Bytes(label)));
const be = (n, width) => BigInt(n).toString(16).padStart(width * 2, '0');

function sealer(crypto, i) {
  const priv = seed(`causeway fisco ${crypto} sealer ${i}`);
  if (crypto === 'sm') return { priv, id: strip(sm2.getPublicKeyFromPrivateKey(priv)).slice(2) };
  return { priv, id: strip(new ethers.SigningKey('0x' + priv).publicKey).slice(2) };
}

// FISCO signs the 32-byte header hash itself as the message (SM2 with the default user id).
function sign(crypto, s, hash, withKey) {
  if (crypto === 'sm') {
    // sm-crypto takes its nonce from a point pool: one fixed point (k, x1 of k·G) per signature.
    const nonce = sm2.generateKeyPairHex(seed(`nonce ${s.priv} ${hash}`), 16);
    const BigInteger = sm2.getPoint().k.constructor;
    const point = { k: new BigInteger(nonce.privateKey, 16), x1: new BigInteger(nonce.publicKey.slice(2, 66), 16) };
    const rs = sm2.doSignature(bytes(hash), s.priv, { hash: true, der: false, publicKey: '04' + s.id, pointPool: [point] });
    if (!sm2.doVerifySignature(bytes(hash), rs, '04' + s.id, { hash: true, der: false })) throw new Error('sm2');
    return '0x' + rs.padStart(128, '0') + (withKey ? s.id : '');
  }
  const sig = new ethers.SigningKey('0x' + s.priv).sign(hash);
  return '0x' + strip(sig.r) + strip(sig.s) + (sig.yParity ? '01' : '00');
}

function bcos2Header(crypto) {
  const sealers = [0, 1, 2, 3].map((i) => sealer(crypto, i));
  const fields = {
    parentHash: H(crypto, '01'), stateRoot: H(crypto, '02'), transactionsRoot: H(crypto, '03'),
    receiptsRoot: H(crypto, '04'), dbHash: H(crypto, '05'), logsBloom: '0x' + '00'.repeat(256),
    number: 1234, gasLimit: 300000000, gasUsed: 21000, timestamp: 1700000000123,
    extraData: ['0x' + Buffer.from('causeway').toString('hex')], sealer: 2,
    sealerList: sealers.map((s) => '0x' + s.id),
  };
  const rlp = ethers.encodeRlp([
    fields.parentHash, fields.stateRoot, fields.transactionsRoot, fields.receiptsRoot, fields.dbHash,
    fields.logsBloom, rlpUint(fields.number), rlpUint(fields.gasLimit), rlpUint(fields.gasUsed),
    rlpUint(fields.timestamp), fields.extraData, rlpUint(fields.sealer), fields.sealerList,
  ]);
  const hash = H(crypto, rlp);
  const signatureList = [3, 0, 1, 2].map((i) => ({ index: i, signature: sign(crypto, sealers[i], hash, true) }));
  return { name: `bcos2 ${crypto}`, crypto, fields, header_rlp: rlp, header_hash: hash, signatureList };
}

function bcos3Header(crypto) {
  const sealers = [0, 1, 2, 3].map((i) => sealer(crypto, i));
  const h = {
    version: 0x3000000, parentInfo: [{ blockNumber: 99, blockHash: H(crypto, '10') }],
    txsRoot: H(crypto, '11'), receiptsRoot: H(crypto, '12'), stateRoot: H(crypto, '13'), number: 100,
    gasUsed: '24363', timestamp: 1700000000456, sealer: 1, sealerList: sealers.map((s) => '0x' + s.id),
    extraData: '0x0102', consensusWeights: [1, 2, 3, 4],
  };
  // >= 3.0.0 layout: be32(version), be64 for every other integer, no length prefixes.
  const preimage = be(h.version, 4) + h.parentInfo.map((p) => be(p.blockNumber, 8) + strip(p.blockHash)).join('') +
    strip(h.txsRoot) + strip(h.receiptsRoot) + strip(h.stateRoot) + be(h.number, 8) +
    Buffer.from(h.gasUsed).toString('hex') + be(h.timestamp, 8) + be(h.sealer, 8) +
    h.sealerList.map(strip).join('') + strip(h.extraData) + h.consensusWeights.map((w) => be(w, 8)).join('');
  const hash = H(crypto, preimage);
  // Weights 4 + 3 = 7 = quorum of total 10; 3.x SM2 signatures may omit the key, so mix both forms.
  const signatureList = [3, 2].map((i) => ({ sealerIndex: i, signature: sign(crypto, sealers[i], hash, i === 3) }));
  return { name: `bcos3 ${crypto}`, crypto, layout: 'v3', header: h, preimage: '0x' + preimage, hash, signatureList };
}

// 2.x: leaves rlp(i) ‖ hash, groups of 16 hashed, one extra hash on top.
function bcos2Tree(crypto, count) {
  const hashes = Array.from({ length: count }, (_, i) => H(crypto, be(i, 4)));
  let level = hashes.map((h, i) => strip(ethers.encodeRlp(rlpUint(i))) + strip(h));
  const levels = [level];
  while (level.length > 1) {
    const next = [];
    for (let k = 0; k < level.length; k += 16) next.push(strip(H(crypto, level.slice(k, k + 16).join(''))));
    level = next;
    levels.push(level);
  }
  const root = H(crypto, level[0]);
  const proofs = [0, 5, count - 1].filter((i, j, a) => i < count && a.indexOf(i) === j).map((index) => {
    const units = [];
    let pos = index;
    for (const lv of levels.slice(0, -1)) {
      const start = pos - (pos % 16);
      const group = lv.slice(start, start + 16);
      units.push({ left: group.slice(0, pos - start), right: group.slice(pos - start + 1) });
      pos = Math.floor(pos / 16);
    }
    units.push({ left: [], right: [] });
    return { index, proof: units };
  });
  return { crypto, hashes, root, proofs };
}

// 3.x: binary, the odd node hashed alone, no extra top hash; proof = [count, group…] per level.
function bcos3Tree(crypto, count) {
  const leaves = Array.from({ length: count }, (_, i) => strip(H(crypto, 'aa' + be(i, 4))));
  const levels = [leaves];
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let k = 0; k < level.length; k += 2) next.push(strip(H(crypto, level.slice(k, k + 2).join(''))));
    level = next;
    levels.push(level);
  }
  const root = '0x' + level[0];
  const proofs = leaves.map((_, index) => {
    if (count === 1) return { index, proof: [root] };
    const items = [];
    let pos = index;
    for (const lv of levels.slice(0, -1)) {
      const start = pos - (pos % 2);
      const group = lv.slice(start, start + 2);
      items.push('0x' + be(group.length, 4) + '00'.repeat(28), ...group.map((g) => '0x' + g));
      pos = Math.floor(pos / 2);
    }
    return { index, proof: items };
  });
  return { crypto, leaves: leaves.map((l) => '0x' + l), root, proofs };
}

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : fileURLToPath(new URL('./fisco_derived.json', import.meta.url));
writeFileSync(out, JSON.stringify({
  _comment: 'Derived by tests/unit/verify/data/fisco_derive.mjs (computed by us, not from a FISCO node): ethers for RLP/Keccak/secp256k1, sm-crypto 0.5.8 for SM3/SM2. 0x hex.',
  bcos2_headers: [bcos2Header('ecdsa'), bcos2Header('sm')],
  bcos3_headers: [bcos3Header('sm'), bcos3Header('ecdsa')],
  bcos2_trees: [bcos2Tree('sm', 20), bcos2Tree('ecdsa', 1)],
  bcos3_trees: [1, 2, 5, 7].flatMap((n) => [bcos3Tree('ecdsa', n), bcos3Tree('sm', n)]),
}, null, 1) + '\n');
