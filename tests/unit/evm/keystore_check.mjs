// Differential check: keystores written by our C++ (evm_tests "[keystore-export]") must decrypt
// with ethers to the address we claim. TEST-ONLY passwords; run by ctest (evm.keystore_ethers).
// Usage: node keystore_check.mjs <dir with manifest.json>
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const nodeTools = createRequire(new URL('../../../deploy/devnet/package.json', import.meta.url));
const ethers = nodeTools('ethers');

const dir = process.argv[2];
if (!dir) throw new Error('usage: node keystore_check.mjs <dir>');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
let failures = 0;
for (const entry of manifest) {
  const json = readFileSync(join(dir, entry.file), 'utf8');
  try {
    const account = ethers.decryptKeystoreJsonSync(json, entry.password);
    if (account.address !== entry.address) {
      console.error(`${entry.file}: ethers decrypts to ${account.address}, we claimed ${entry.address}`);
      ++failures;
    }
  } catch (error) {
    console.error(`${entry.file}: ethers refuses it: ${error.shortMessage ?? error.message}`);
    ++failures;
  }
  // A wrong password must fail in ethers too (our MAC is what ethers checks).
  try {
    ethers.decryptKeystoreJsonSync(json, entry.password + 'x');
    console.error(`${entry.file}: ethers accepted a wrong password`);
    ++failures;
  } catch { /* expected */ }
}
console.log(`[vectors] differential.keystore (ethers ${ethers.version}): ${manifest.length} cases executed`);
if (manifest.length === 0 || failures > 0) process.exit(1);
