#!/usr/bin/env node
// Compiles every .sol under src/ (and any extra source folders given after OUT_DIR) with the
// pinned solc (deploy/devnet/package.json), evmVersion paris, optimizer 200 runs, and writes
// OUT_DIR/<ContractName>.json = { contractName, abi, bytecode, deployedBytecode } per contract.
//
//   node adapters/evm/contracts/compile.mjs OUT_DIR [EXTRA_SRC_DIR...]
//
// Also importable: compileSources(dirs) returns { name: artifact } without touching the disk.
// CAUSEWAY_NODE_TOOLS overrides where the pinned node_modules live (default: deploy/devnet).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = path.join(here, "src");
export const EVM_VERSION = "paris";
const nodeTools = process.env.CAUSEWAY_NODE_TOOLS || path.resolve(here, "../../../deploy/devnet");

function loadSolc() {
  const require = createRequire(path.join(nodeTools, "package.json"));
  return require("solc");
}

function listSol(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSol(full));
    else if (entry.name.endsWith(".sol")) out.push(full);
  }
  return out.sort();
}

// Source units are named relative to the folder that holds src/ so that "../../src/X.sol"
// style imports from test mocks resolve the same way on every machine.
function unitName(file) {
  return path.relative(here, file).split(path.sep).join("/");
}

/// Compiles the .sol files under `dirs`; throws an Error carrying solc's messages on failure.
/// Warnings go to `onWarning` (the command line prints them; the tree is kept warning-free).
export function compileSources(dirs = [SOURCE_DIR], { onWarning = () => {} } = {}) {
  const solc = loadSolc();
  const sources = {};
  for (const dir of dirs) {
    for (const file of listSol(dir)) sources[unitName(file)] = { content: fs.readFileSync(file, "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const findImports = (name) => {
    const file = path.resolve(here, name);
    if (!file.startsWith(here + path.sep) || !fs.existsSync(file)) return { error: `not found: ${name}` };
    return { contents: fs.readFileSync(file, "utf8") };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const w of (output.errors || []).filter((e) => e.severity !== "error")) onWarning(w.formattedMessage);
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const artifacts = {};
  for (const [unit, contracts] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(contracts)) {
      if (artifacts[name]) throw new Error(`contract name ${name} defined twice (${unit})`);
      artifacts[name] = {
        contractName: name,
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      };
    }
  }
  return artifacts;
}

export function writeArtifacts(outDir, artifacts) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, artifact] of Object.entries(artifacts)) {
    const file = path.join(outDir, `${name}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(artifact, null, 2) + "\n");
    fs.renameSync(tmp, file); // readers never see a half-written artifact
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, ...extra] = process.argv.slice(2);
  if (!outDir) {
    console.error("usage: node compile.mjs OUT_DIR [EXTRA_SRC_DIR...]");
    process.exit(2);
  }
  try {
    const artifacts = compileSources([SOURCE_DIR, ...extra.map((d) => path.resolve(d))], {
      onWarning: (text) => console.error(text),
    });
    writeArtifacts(path.resolve(outDir), artifacts);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
