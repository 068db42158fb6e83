// Regenerates the keystore fixtures of keystore_test.cpp with ethers (scrypt) and node:crypto
// (pbkdf2). TEST-ONLY: the keys and passwords below are throwaway values, never fund them.
// Usage: node make_fixtures.mjs   (writes into this directory; output is random each run)
import { createRequire } from 'node:module';
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const nodeTools = createRequire(new URL('../../../../deploy/devnet/package.json', import.meta.url));
const ethers = nodeTools('ethers');
const here = new URL('.', import.meta.url);

const password = 'causeway-test-only-password';
const wallet = ethers.Wallet.createRandom();
const scryptJson = ethers.encryptKeystoreJsonSync(
  { address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: 1024, r: 8, p: 1 } });

// pbkdf2 (hmac-sha256) V3 keystore, assembled by hand: ethers only writes scrypt.
const salt = randomBytes(32);
const iv = randomBytes(16);
const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 1000, 32, 'sha256');
const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
const ciphertext = Buffer.concat([cipher.update(Buffer.from(wallet.privateKey.slice(2), 'hex')), cipher.final()]);
const mac = ethers.keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2);
const pbkdf2Json = JSON.stringify({
  address: wallet.address.slice(2).toLowerCase(),
  crypto: {
    cipher: 'aes-128-ctr', cipherparams: { iv: iv.toString('hex') }, ciphertext: ciphertext.toString('hex'),
    kdf: 'pbkdf2', kdfparams: { c: 1000, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex') }, mac,
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
});

writeFileSync(new URL('keystore_ethers_scrypt.json', here), scryptJson + '\n');
writeFileSync(new URL('keystore_pbkdf2.json', here), pbkdf2Json + '\n');
writeFileSync(new URL('keystore_fixture.json', here), JSON.stringify({
  _comment: 'TEST-ONLY throwaway key material for keystore_test.cpp; made by make_fixtures.mjs with ethers ' +
    ethers.version + '. Never use or fund this key.',
  password,
  address: wallet.address,
  private_key: wallet.privateKey,
}, null, 1) + '\n');
console.log('wrote fixtures for', wallet.address);
