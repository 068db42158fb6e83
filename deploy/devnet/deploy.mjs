#!/usr/bin/env node
// Deploys the Causeway gateways and examples onto the chains devnet.sh started and writes the
// deployment manifest (schemas/deployment.schema.json); `verify` checks a manifest still matches them.
//
//   node deploy.mjs deploy|verify --state DIR --chain NAME:CHAINID:PORT... --block-time S
//                                 --attesters N --threshold T [--contracts DIR]
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ethers } from "ethers";
import { validate } from "./schema-check.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const contractsSource = path.join(root, "adapters/evm/contracts");
const schemaPath = path.join(root, "schemas/deployment.schema.json");
const manifestVersion = 1;
const evmFamily = 1; // PROTOCOL.md section 1

// anvil's funded development accounts come from this well-known mnemonic; devnet use only.
const devMnemonic = "test test test test test test test test test test test junk";
const deployerIndex = 0; // deploys, is the guardian, holds the test tokens
const firstGasKeyIndex = 1; // chain i pays relay gas with account firstGasKeyIndex + i

// Bounds of the lanes each gateway opens to the other (configure).
const laneMaxPayload = 16 * 1024;
const laneMaxGas = 2_000_000n;
// Test tokens minted to the dev account on chain a, and MintBridge's mint cap on chain b.
const testTokenMint = ethers.parseUnits("1000000", 18);
const mintCapPerPeriod = ethers.parseUnits("100000", 18);
const mintPeriodSeconds = 3600;

class DeployError extends Error {}

function fail(message) {
  throw new DeployError(message);
}

// ---------------------------------------------------------------------------------------------
// Settings, as devnet.sh passes them.

function readSettings(argv) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      state: { type: "string" },
      chain: { type: "string", multiple: true },
      "block-time": { type: "string" },
      attesters: { type: "string" },
      threshold: { type: "string" },
      contracts: { type: "string" },
    },
  });
  const mode = positionals[0];
  if (positionals.length !== 1 || !["deploy", "verify"].includes(mode)) fail("usage: deploy.mjs deploy|verify --state DIR --chain NAME:CHAINID:PORT ...");
  if (!values.state) fail("--state is required");
  const chains = (values.chain ?? []).map((spec) => {
    const m = /^([a-z][a-z0-9-]*):([1-9][0-9]*):([0-9]{1,5})$/.exec(spec);
    if (!m) fail(`--chain ${spec}: expected NAME:CHAINID:PORT`);
    return { name: m[1], chainId: BigInt(m[2]), http: `http://127.0.0.1:${m[3]}`, ws: `ws://127.0.0.1:${m[3]}` };
  });
  if (chains.length !== 2) fail("exactly two --chain options are expected");
  const attesters = wholeNumber("CAUSEWAY_DEVNET_ATTESTERS", values.attesters ?? "1", 1, 32);
  const threshold = wholeNumber("CAUSEWAY_DEVNET_THRESHOLD", values.threshold ?? "1", 1, attesters);
  const stateDir = path.resolve(values.state);
  return {
    mode,
    stateDir,
    keysDir: path.join(stateDir, "keys"),
    manifestPath: path.join(stateDir, "manifest.json"),
    contractsDir: values.contracts ? path.resolve(values.contracts) : undefined,
    blockTime: wholeNumber("CAUSEWAY_DEVNET_BLOCK_TIME", values["block-time"] ?? "1", 0, 3600),
    attesters,
    threshold,
    chains,
  };
}

function wholeNumber(knob, text, min, max) {
  if (!/^[0-9]+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(`${knob}=${text}: expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

// ---------------------------------------------------------------------------------------------
// Chain identity (PROTOCOL.md section 1), from the real block 0 of the node.

function chainIdentity(chainId, genesisHash) {
  const encoded = ethers.AbiCoder.defaultAbiCoder().encode(["uint8", "uint256", "bytes32"], [evmFamily, chainId, genesisHash]);
  return ethers.keccak256(encoded);
}

async function readGenesis(provider) {
  const block = await provider.send("eth_getBlockByNumber", ["0x0", false]);
  if (!block?.hash) fail("the node returned no block 0");
  return { hash: block.hash.toLowerCase(), timestamp: Number(block.timestamp) };
}

function connect(chain) {
  const network = ethers.Network.from(chain.chainId);
  return new ethers.JsonRpcProvider(chain.http, network, { staticNetwork: network, pollingInterval: 200 });
}

// Waits until the node answers eth_chainId, and requires the answer to be the expected chain id
// (another program listening on the port answers differently, or not at all).
async function awaitChain(chain, provider, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    try {
      const id = BigInt(await provider.send("eth_chainId", []));
      if (id !== chain.chainId) fail(`${chain.http} answers chain id ${id}, expected ${chain.chainId} for chain ${chain.name}`);
      return;
    } catch (e) {
      if (e instanceof DeployError) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  fail(`chain ${chain.name} at ${chain.http} did not answer eth_chainId within ${seconds} s (${last?.shortMessage ?? last?.message})`);
}

// ---------------------------------------------------------------------------------------------
// Keys: raw 0x-hex private keys in files of mode 0600 under state/keys.

const keyPattern = /^0x[0-9a-fA-F]{64}$/;

function readKeyFile(file) {
  const text = fs.readFileSync(file, "utf8").trim();
  if (!keyPattern.test(text)) fail(`${file} does not hold a raw 0x-hex private key`);
  if ((fs.statSync(file).mode & 0o077) !== 0) {
    fs.chmodSync(file, 0o600);
    console.error(`deploy: ${file} was readable by others; set its mode to 0600`);
  }
  return new ethers.Wallet(text);
}

function writeKeyFile(file, privateKey) {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, `${privateKey}\n`, { mode: 0o600, flag: "wx" });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}

function devAccount(index) {
  return ethers.HDNodeWallet.fromPhrase(devMnemonic, undefined, `m/44'/60'/0'/0/${index}`);
}

// Vote keys are random and kept for the life of the state directory (new chains reuse them);
// gas keys are funded development accounts, one per chain, distinct from the deployer.
function prepareKeys(settings) {
  fs.mkdirSync(settings.keysDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(settings.keysDir, 0o700);
  const vote = [];
  for (let i = 1; i <= settings.attesters; i++) {
    const file = path.join(settings.keysDir, `vote-${i}.key`);
    if (!fs.existsSync(file)) writeKeyFile(file, ethers.Wallet.createRandom().privateKey);
    vote.push({ file, wallet: readKeyFile(file) });
  }
  const gas = settings.chains.map((chain, i) => {
    const file = path.join(settings.keysDir, `gas-${chain.name}.key`);
    const wallet = devAccount(firstGasKeyIndex + i);
    if (!fs.existsSync(file) || readKeyFile(file).address !== wallet.address) writeKeyFile(file, wallet.privateKey);
    return { chain: chain.name, file, wallet };
  });
  const voteAddresses = new Set(vote.map((k) => k.wallet.address));
  if (gas.some((k) => voteAddresses.has(k.wallet.address))) fail("a vote key equals a gas key");
  return { vote, gas };
}

// ---------------------------------------------------------------------------------------------
// Contracts: compiled by adapters/evm/contracts/compile.mjs, cached by a hash of their sources.

function sourceHash() {
  const hash = crypto.createHash("sha256");
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(path.join(contractsSource, "src"));
  files.push(path.join(contractsSource, "compile.mjs"));
  for (const file of files) hash.update(path.relative(contractsSource, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function compiledContracts(settings) {
  if (settings.contractsDir) return settings.contractsDir;
  const compiler = path.join(contractsSource, "compile.mjs");
  if (!fs.existsSync(compiler)) fail(`${compiler} not found: the contracts are missing from this checkout`);
  const out = path.join(settings.stateDir, "contracts");
  const stamp = path.join(out, ".source-hash");
  const wanted = sourceHash();
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === wanted) return out;
  console.log("deploy: compiling the contracts");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  try {
    execFileSync(process.execPath, [compiler, out], { stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    fail(`compiling the contracts failed (node ${path.relative(root, compiler)} ${out})`);
  }
  fs.writeFileSync(stamp, wanted);
  return out;
}

function loadArtifact(dir, name) {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) fail(`${file} not found: the compiled contracts lack ${name}`);
  const artifact = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(artifact.abi) || !/^(0x)?[0-9a-fA-F]+$/.test(artifact.bytecode ?? "")) fail(`${file} has no abi or bytecode`);
  return artifact;
}

// ---------------------------------------------------------------------------------------------
// Sending: every transaction of a phase goes out at once with explicit nonces (so a phase costs
// about one block), then `settle` waits for all of them and names the first that failed.

class Sender {
  constructor(chain, wallet) {
    this.chain = chain;
    this.wallet = wallet;
    this.pending = [];
  }

  async begin() {
    this.nonce = await this.wallet.getNonce("pending");
  }

  deploy(label, artifact, args) {
    const nonce = this.nonce++;
    const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, this.wallet);
    this.track(label, factory.getDeployTransaction(...args).then((tx) => this.wallet.sendTransaction({ ...tx, nonce })));
    const address = ethers.getCreateAddress({ from: this.wallet.address, nonce });
    return new ethers.Contract(address, artifact.abi, this.wallet);
  }

  call(label, contract, method, args) {
    const nonce = this.nonce++;
    this.track(label, contract.getFunction(method).send(...args, { nonce }));
  }

  track(label, sent) {
    this.pending.push({ label, outcome: sent.then((tx) => ({ tx }), (error) => ({ error })) });
  }

  // Returns the receipts by label.
  async settle() {
    const pending = this.pending;
    this.pending = [];
    const sent = await Promise.all(pending.map((p) => p.outcome));
    const mined = await Promise.all(sent.map(({ tx, error }, i) => {
      const what = `chain ${this.chain.name}: ${pending[i].label}`;
      if (error) fail(`${what} failed: ${error.shortMessage ?? error.message}`);
      return tx.wait(1, 60_000).catch((e) => fail(`${what} failed: ${e.shortMessage ?? e.message}`));
    }));
    return Object.fromEntries(mined.map((receipt, i) => [pending[i].label, receipt]));
  }
}

// ---------------------------------------------------------------------------------------------
// Votes: EIP-712 Configure votes of the attesters (PROTOCOL.md section 5).

function voteDomain(chain, gatewayAddress) {
  return { name: "Causeway", version: "1", chainId: chain.chainId, verifyingContract: gatewayAddress, salt: chain.identity };
}

const configureTypes = {
  Configure: [
    { name: "srcChain", type: "bytes32" },
    { name: "srcGateway", type: "bytes32" },
    { name: "trusted", type: "bool" },
    { name: "maxPayload", type: "uint32" },
    { name: "maxGas", type: "uint64" },
    { name: "epoch", type: "uint64" },
  ],
};

// Signatures of the first `threshold` attesters (in increasing address order), as the gateway
// wants them: 65-byte r‖s‖v, signers strictly increasing.
async function signVotes(voteWallets, threshold, domain, types, value) {
  const signers = [...voteWallets].sort(byAddress).slice(0, threshold);
  return Promise.all(signers.map((w) => w.signTypedData(domain, types, value)));
}

function byAddress(x, y) {
  const a = BigInt(x.address);
  const b = BigInt(y.address);
  return a < b ? -1 : a > b ? 1 : 0;
}

const asBytes32 = (address) => ethers.zeroPadValue(address, 32);

// ---------------------------------------------------------------------------------------------
// Deployment.

async function deploy(settings) {
  const chains = settings.chains.map((chain) => ({ ...chain, provider: connect(chain) }));
  try {
    await Promise.all(chains.map((c) => awaitChain(c, c.provider)));
    // Deploy under automine (each transaction mined at once, not one block time per phase), then
    // hand the chains back to interval mining: several seconds less per devnet start.
    if (settings.blockTime > 0) await Promise.all(chains.map((c) => c.provider.send("evm_setAutomine", [true])));
    const contractsDir = compiledContracts(settings);
    const artifacts = Object.fromEntries(
      ["Gateway", "PingEcho", "TestToken", "LockBox", "MintBridge"].map((name) => [name, loadArtifact(contractsDir, name)]),
    );
    const keys = prepareKeys(settings);
    const voteWallets = keys.vote.map((k) => k.wallet);
    const attesters = [...voteWallets].sort(byAddress).map((w) => w.address);
    const deployer = devAccount(deployerIndex);

    await Promise.all(chains.map(async (c, i) => {
      const accounts = (await c.provider.send("eth_accounts", [])).map((a) => a.toLowerCase());
      for (const wallet of [deployer, keys.gas[i].wallet]) {
        if (!accounts.includes(wallet.address.toLowerCase())) fail(`chain ${c.name}: ${wallet.address} is not one of the node's funded accounts`);
      }
      const genesis = await readGenesis(c.provider);
      c.genesisHash = genesis.hash;
      c.identity = chainIdentity(c.chainId, genesis.hash);
      // The genesis timestamp is fixed (for a stable identity); move the clock to now so block
      // timestamps, and message timeouts measured against them, follow the wall clock.
      const latest = await c.provider.send("eth_getBlockByNumber", ["latest", false]);
      const now = Math.floor(Date.now() / 1000);
      if (now > Number(latest.timestamp)) await c.provider.send("evm_setTime", [now]);
      c.sender = new Sender(c, deployer.connect(c.provider));
      await c.sender.begin();
    }));
    if (new Set(chains.map((c) => c.identity)).size !== chains.length) fail("the chains have equal identities");

    // Phase 1: the gateways and the contracts that need nothing but a gateway address.
    for (const c of chains) {
      c.gateway = c.sender.deploy("deploy Gateway", artifacts.Gateway, [c.identity, attesters, settings.threshold, deployer.address]);
      c.contracts = {};
    }
    const [a, b] = chains;
    examples.deploy(a, b, artifacts);
    const phase1 = await Promise.all(chains.map((c) => c.sender.settle()));
    chains.forEach((c, i) => { c.deployBlock = phase1[i]["deploy Gateway"].blockNumber; });

    // Phase 2: each gateway trusts the other, the examples learn their peers, tokens are minted.
    for (const [dst, src] of [[a, b], [b, a]]) {
      const epoch = await dst.gateway.epoch();
      const vote = { srcChain: src.identity, srcGateway: asBytes32(src.gateway.target), trusted: true, maxPayload: laneMaxPayload, maxGas: laneMaxGas, epoch };
      const signatures = await signVotes(voteWallets, settings.threshold, voteDomain(dst, dst.gateway.target), configureTypes, vote);
      dst.sender.call(`configure Gateway to trust chain ${src.name}`, dst.gateway, "configure",
        [vote.srcChain, vote.srcGateway, vote.trusted, vote.maxPayload, vote.maxGas, signatures]);
      dst.trustedSources = [{ chain: src.name, chainIdentity: src.identity, gateway: src.gateway.target, maxPayload: laneMaxPayload, maxGas: Number(laneMaxGas) }];
    }
    examples.wire(a, b, deployer);
    await Promise.all(chains.map((c) => c.sender.settle()));
    // configure() below the threshold only records the votes, so read back what took effect.
    await Promise.all(chains.map((c) => requireTrusted(c, c.gateway)));
    await examples.collect(a, b);

    if (settings.blockTime > 0) {
      await Promise.all(chains.map((c) => c.provider.send("evm_setIntervalMining", [settings.blockTime])));
    }

    const epochs = await Promise.all(chains.map((c) => c.gateway.epoch()));
    if (new Set(epochs.map(String)).size !== 1) fail(`the gateways report different epochs: ${epochs.join(", ")}`);

    const manifest = {
      version: manifestVersion,
      createdAt: new Date().toISOString(),
      contractsDir,
      chains: chains.map((c) => ({
        name: c.name,
        family: "evm",
        chainId: c.chainId.toString(),
        rpc: { http: c.http, ws: c.ws },
        genesisHash: c.genesisHash,
        chainIdentity: c.identity,
        blockTime: settings.blockTime,
        gateway: c.gateway.target,
        deployBlock: c.deployBlock,
        devAccount: deployer.address,
        contracts: Object.fromEntries(Object.entries(c.contracts).map(([name, contract]) => [name, contract.target])),
        trustedSources: c.trustedSources,
      })),
      attesters: { addresses: attesters, threshold: settings.threshold, epoch: Number(epochs[0]) },
      keys: {
        vote: keys.vote.map((k) => ({ file: k.file, address: k.wallet.address })),
        gas: keys.gas.map((k) => ({ chain: k.chain, file: k.file, address: k.wallet.address })),
      },
    };
    const problems = manifestProblems(manifest);
    if (problems.length > 0) fail(`the manifest written would be invalid:\n  ${problems.join("\n  ")}`);
    const temporary = `${settings.manifestPath}.tmp-${process.pid}`;
    fs.writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.renameSync(temporary, settings.manifestPath);
    for (const c of manifest.chains) {
      console.log(`deploy: chain ${c.name} (id ${c.chainId}) gateway ${c.gateway}, identity ${c.chainIdentity}`);
    }
  } finally {
    for (const c of chains) c.provider.destroy();
  }
}

async function requireTrusted(chain, gateway) {
  for (const t of chain.trustedSources) {
    const [trusted, maxPayload, maxGas] = await gateway.peer(t.chainIdentity, asBytes32(t.gateway));
    if (!trusted || Number(maxPayload) !== t.maxPayload || Number(maxGas) !== t.maxGas) {
      fail(`chain ${chain.name}: the gateway does not trust chain ${t.chain}'s gateway with the configured bounds`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The example contracts, as the head of each adapters/evm/contracts/src/*.sol documents them:
// PingEcho on both chains, lock-and-mint with TestToken + LockBox on a and MintBridge on b.

const examples = {
  // Phase 1: deployments, which need only the (predicted) gateway addresses.
  deploy(a, b, artifacts) {
    for (const c of [a, b]) c.contracts.PingEcho = c.sender.deploy("deploy PingEcho", artifacts.PingEcho, [c.gateway.target]);
    a.contracts.TestToken = a.sender.deploy("deploy TestToken", artifacts.TestToken, ["Causeway Test Token", "CTT"]);
    a.contracts.LockBox = a.sender.deploy("deploy LockBox", artifacts.LockBox, [a.gateway.target, a.contracts.TestToken.target]);
    b.contracts.MintBridge = b.sender.deploy("deploy MintBridge", artifacts.MintBridge,
      [b.gateway.target, "Wrapped Causeway Test Token", "wCTT", mintCapPerPeriod, mintPeriodSeconds]);
  },
  // Phase 2: each example learns its peer; the dev account gets test tokens.
  wire(a, b, deployer) {
    for (const [c, other] of [[a, b], [b, a]]) {
      c.sender.call(`PingEcho.setRemoteGateway(chain ${other.name})`, c.contracts.PingEcho, "setRemoteGateway", [other.identity, asBytes32(other.gateway.target)]);
    }
    a.sender.call("LockBox.register(MintBridge)", a.contracts.LockBox, "register",
      [b.identity, asBytes32(b.gateway.target), asBytes32(b.contracts.MintBridge.target)]);
    b.sender.call("MintBridge.register(LockBox)", b.contracts.MintBridge, "register",
      [a.identity, asBytes32(a.gateway.target), asBytes32(a.contracts.LockBox.target)]);
    a.sender.call("TestToken.mint(dev account)", a.contracts.TestToken, "mint", [deployer.address, testTokenMint]);
  },
  // The wrapped token MintBridge created in its constructor.
  async collect(a, b) {
    b.contracts.WrappedToken = { target: await b.contracts.MintBridge.token() };
  },
};

// ---------------------------------------------------------------------------------------------
// Manifest checks: the schema, then what a schema cannot say.

function manifestProblems(manifest) {
  const problems = validate(JSON.parse(fs.readFileSync(schemaPath, "utf8")), manifest);
  if (problems.length > 0) return problems;
  const { chains, attesters, keys } = manifest;
  const distinct = (values) => new Set(values).size === values.length;
  const names = chains.map((c) => c.name);
  if (!distinct(names)) problems.push("/chains: chain names repeat");
  if (!distinct(chains.map((c) => c.chainIdentity))) problems.push("/chains: chain identities repeat");
  chains.forEach((c, i) => {
    if (chainIdentity(BigInt(c.chainId), c.genesisHash) !== c.chainIdentity) problems.push(`/chains/${i}/chainIdentity: does not follow from chainId and genesisHash`);
    c.trustedSources.forEach((t, j) => {
      const source = chains.find((s) => s.name === t.chain);
      if (!source || source.chainIdentity !== t.chainIdentity || source.gateway !== t.gateway) problems.push(`/chains/${i}/trustedSources/${j}: does not name a chain and gateway of this manifest`);
    });
  });
  const numeric = attesters.addresses.map((x) => BigInt(x));
  if (numeric.some((x, i) => i > 0 && x <= numeric[i - 1])) problems.push("/attesters/addresses: not strictly increasing");
  if (attesters.threshold > attesters.addresses.length) problems.push("/attesters/threshold: larger than the attester set");
  const voteAddresses = keys.vote.map((k) => k.address.toLowerCase());
  if (voteAddresses.length !== attesters.addresses.length || !attesters.addresses.every((x) => voteAddresses.includes(x.toLowerCase()))) {
    problems.push("/keys/vote: not the attester set");
  }
  keys.gas.forEach((k, i) => {
    if (!names.includes(k.chain)) problems.push(`/keys/gas/${i}/chain: no chain ${k.chain}`);
    if (voteAddresses.includes(k.address.toLowerCase())) problems.push(`/keys/gas/${i}: a gas key is also a vote key`);
  });
  return problems;
}

// Checks that the manifest describes these settings and the chains now running; fails with the
// first difference.
async function verify(settings) {
  if (!fs.existsSync(settings.manifestPath)) fail("no manifest");
  const manifest = JSON.parse(fs.readFileSync(settings.manifestPath, "utf8"));
  const problems = manifestProblems(manifest);
  if (problems.length > 0) fail(`invalid manifest: ${problems[0]}`);
  if (manifest.attesters.addresses.length !== settings.attesters || manifest.attesters.threshold !== settings.threshold) {
    fail("the attester count or threshold differ from the settings");
  }
  for (const k of [...manifest.keys.vote, ...manifest.keys.gas]) {
    if (!fs.existsSync(k.file)) fail(`key file ${k.file} is missing`);
    if (readKeyFile(k.file).address !== k.address) fail(`key file ${k.file} no longer holds ${k.address}`);
  }
  if (manifest.chains.length !== settings.chains.length) fail("the chains differ from the settings");
  const gatewayAbi = [
    "function epoch() view returns (uint64)",
    "function chainIdentity() view returns (bytes32)",
    "function peer(bytes32, bytes32) view returns (bool, uint32, uint64)",
  ];
  for (const chain of settings.chains) {
    const m = manifest.chains.find((c) => c.name === chain.name);
    if (!m || m.chainId !== chain.chainId.toString() || m.rpc.http !== chain.http || m.blockTime !== settings.blockTime) {
      fail(`chain ${chain.name} differs from the settings`);
    }
    const provider = connect(chain);
    try {
      await awaitChain(chain, provider, 5);
      if ((await readGenesis(provider)).hash !== m.genesisHash) fail(`chain ${chain.name} has another genesis block`);
      if ((await provider.getCode(m.gateway)) === "0x") fail(`chain ${chain.name} has no gateway at ${m.gateway}`);
      for (const [name, address] of Object.entries(m.contracts)) {
        if ((await provider.getCode(address)) === "0x") fail(`chain ${chain.name} has no ${name} at ${address}`);
      }
      const gateway = new ethers.Contract(m.gateway, gatewayAbi, provider);
      if ((await gateway.chainIdentity()) !== m.chainIdentity) fail(`chain ${chain.name}: the gateway holds another chain identity`);
      const epoch = await gateway.epoch();
      if (Number(epoch) !== manifest.attesters.epoch) fail(`chain ${chain.name}: the gateway is at epoch ${epoch}`);
      await requireTrusted({ name: chain.name, trustedSources: m.trustedSources }, gateway);
    } finally {
      provider.destroy();
    }
  }
}

try {
  const settings = readSettings(process.argv.slice(2));
  await (settings.mode === "deploy" ? deploy(settings) : verify(settings));
} catch (e) {
  if (!(e instanceof DeployError)) throw e;
  console.error(`deploy: ${e.message}`);
  process.exitCode = 1;
}
