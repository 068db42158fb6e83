// Captures real anvil block and receipt JSON for header_json_test.cpp and receipt_json_test.cpp:
// one file per hardfork (anvil_blocks_<fork>.json), each with blocks of mixed transactions.
// Usage: node capture_anvil_blocks.mjs [anvil binary]   (writes into this directory)
// Each fork runs on its own anvil, on a free non-default port, stopped before the next one.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';

const here = new URL('.', import.meta.url);
const anvil = process.argv[2] ?? new URL('../../../../deploy/devnet/node_modules/.bin/anvil', import.meta.url).pathname;

// anvil's default (latest) fork is captured as "prague", the fork its headers follow.
const forks = [
  { name: 'london', flag: 'london' },
  { name: 'shanghai', flag: 'shanghai' },
  { name: 'cancun', flag: 'cancun' },
  { name: 'prague', flag: null },
];

// Runtime code that copies its calldata to memory and emits it in `count` LOG2 events
// (topic0 fixed, topic1 = the log's number), so one call gives a receipt with many logs.
function emitterInitCode(count) {
  const topic0 = 'c0ffee'.padEnd(64, '0');
  let runtime = '366000600037';  // CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY
  for (let i = 0; i < count; i++) {
    runtime += '60' + i.toString(16).padStart(2, '0') + '7f' + topic0 + '36' + '6000' + 'a2';
  }
  runtime += '00';
  return initCodeFor(runtime);
}
// Runtime code that always reverts: calls to it give status-0 receipts.
const reverterInitCode = () => initCodeFor('60006000fd');

function initCodeFor(runtimeHex) {
  const len = (runtimeHex.length / 2).toString(16).padStart(4, '0');
  // PUSH2 len PUSH1 14 PUSH1 0 CODECOPY PUSH2 len PUSH1 0 RETURN, then the runtime (at offset 14).
  return '0x61' + len + '600e600039' + '61' + len + '6000f3' + runtimeHex;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let rpcId = 0;
async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

async function waitReady(url) {
  for (let i = 0; i < 100; i++) {
    try { return await rpc(url, 'eth_chainId'); } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('anvil did not start');
}

async function mined(url, hash) {
  for (let i = 0; i < 100; i++) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [hash]);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`tx ${hash} not mined`);
}

async function capture(url, number) {
  const tag = '0x' + number.toString(16);
  const block = await rpc(url, 'eth_getBlockByNumber', [tag, false]);
  const receipts = await rpc(url, 'eth_getBlockReceipts', [tag]);
  return { block, receipts };
}

async function captureFork(fork) {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--timestamp', '1704067200', '--silent'];
  if (fork.flag) args.push('--hardfork', fork.flag);
  const child = spawn(anvil, args, { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url);
    const accounts = await rpc(url, 'eth_accounts');
    const [a0, a1, a2, a3] = accounts;
    const blocks = [await capture(url, 0)];

    // Contracts, automined one per block.
    const deploy = async (data) => (await mined(url, await rpc(url, 'eth_sendTransaction', [{ from: a0, data, gas: '0x100000' }]))).contractAddress;
    const emitter = await deploy(emitterInitCode(24));
    const reverter = await deploy(reverterInitCode());
    const small = await deploy(emitterInitCode(2));
    blocks.push(await capture(url, Number(await rpc(url, 'eth_blockNumber'))));

    // One block of mixed transactions: legacy (type 0), access list (type 1), EIP-1559 (type 2),
    // a failed call (status 0) and calls that emit many logs.
    await rpc(url, 'evm_setAutomine', [false]);
    const gasPrice = '0x' + (10n ** 10n).toString(16);
    const sends = [
      { from: a1, to: a2, value: '0x1', gasPrice, gas: '0x5208' },
      { from: a2, to: emitter, data: '0x' + 'ab'.repeat(40), gasPrice, gas: '0x100000', accessList: [{ address: emitter, storageKeys: ['0x' + '00'.repeat(32)] }], type: '0x1' },
      { from: a3, to: emitter, data: '0x' + '12'.repeat(3), maxFeePerGas: gasPrice, maxPriorityFeePerGas: '0x1', gas: '0x100000', type: '0x2' },
      { from: a1, to: reverter, data: '0x', gasPrice, gas: '0x30000' },
      { from: a2, to: a3, value: '0x2', maxFeePerGas: gasPrice, maxPriorityFeePerGas: '0x1', gas: '0x5208', type: '0x2' },
      { from: a3, to: emitter, data: '0x', gasPrice, gas: '0x100000' },
      { from: a1, to: reverter, data: '0x01', maxFeePerGas: gasPrice, maxPriorityFeePerGas: '0x1', gas: '0x30000', type: '0x2' },
    ];
    for (const tx of sends) await rpc(url, 'eth_sendTransaction', [tx]);
    await rpc(url, 'evm_mine');
    blocks.push(await capture(url, Number(await rpc(url, 'eth_blockNumber'))));

    // Prague only: one block of 130 transactions, so receipt keys pass rlp(127) -> rlp(128).
    if (!fork.flag) {
      for (let i = 0; i < 130; i++) {
        const from = accounts[4 + (i % 5)];
        const tx = i % 3 === 0
          ? { from, to: small, data: '0x' + (i & 0xff).toString(16).padStart(2, '0'), gasPrice, gas: '0x100000' }
          : { from, to: a0, value: '0x' + (i + 1).toString(16), maxFeePerGas: gasPrice, maxPriorityFeePerGas: '0x1', gas: '0x5208', type: '0x2' };
        await rpc(url, 'eth_sendTransaction', [tx]);
      }
      await rpc(url, 'evm_mine');
      blocks.push(await capture(url, Number(await rpc(url, 'eth_blockNumber'))));
    }
    // An empty block (empty receipts root).
    await rpc(url, 'evm_mine');
    blocks.push(await capture(url, Number(await rpc(url, 'eth_blockNumber'))));

    const version = (await rpc(url, 'web3_clientVersion'));
    const out = { fork: fork.name, anvil_flag: fork.flag, client: version, blocks };
    writeFileSync(new URL(`anvil_blocks_${fork.name}.json`, here), JSON.stringify(out) + '\n');
    const counts = blocks.map((b) => b.receipts.length).join(',');
    console.log(`${fork.name}: ${blocks.length} blocks (receipts ${counts}), header fields ${Object.keys(blocks[0].block).length}`);
  } finally {
    child.kill('SIGTERM');
  }
}

for (const fork of forks) await captureFork(fork);
