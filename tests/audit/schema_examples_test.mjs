#!/usr/bin/env node
// audit.schema_examples_agree: every file under schemas/examples/ is judged twice, by the JSON
// Schema its name's prefix names (ajv 2020-12, strict, through deploy/devnet/schema-check.mjs)
// and by the C++ loader of that kind (schema_loader_tool); checkpoints, which are C2SP signed
// notes and not JSON, by the note grammar below instead of a schema. Both verdicts must be the
// one the name says (KIND.valid*.EXT or KIND.invalid-RULE.EXT), an invalid example must be refused
// for the rule its name says and no other (the `invalid` table pins where each side refuses it),
// and every valid proof bundle must verify with causeway-verify against its example anchors.
// node schema_examples_test.mjs --tool schema_loader_tool --verify causeway-verify --examples DIR
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { schemaRegistry, describe } from "../../deploy/devnet/schema-check.mjs";

const { values: args } = parseArgs({
  options: { tool: { type: "string" }, verify: { type: "string" }, examples: { type: "string" } },
});
if (!args.tool || !args.verify || !args.examples) {
  console.error("usage: schema_examples_test.mjs --tool TOOL --verify CAUSEWAY_VERIFY --examples DIR");
  process.exit(2);
}
const examples = path.resolve(args.examples);
const schemas = path.dirname(examples);

// The checkpoint examples' keys: the log key (its name is the log's origin) and a witness. Their
// private halves signed the notes once and were not kept; the seeds were the bytes 1..32 and
// 0x41..0x60.
const checkpointKeys = [
  "--log-key", "causeway.example/log+cb04711d+AXm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZk",
  "--witness", "witness.example/w1+5c917ff5+BK3BQBH4LRxW2VaqT51z2IWDYaYGBIUl4NCMY43HXdjH",
];

// A rule JSON Schema cannot state (it relates a field to others, or to a hash of them): the
// schema accepts the example and only the loader refuses it.
const beyondSchema = (why) => ({ accepts: why });

const chainA = "0x1d147da7d577f681537777452795995506dc41e8a2b19b5850debe715d71b1c9";

// Each invalid example: `schema` is "POINTER KEYWORD" of the ajv error it must raise (every other
// error it raises being on that pointer's path: one field broken), or the note grammar's verdict
// for checkpoints; `loader` is "REASON PATH" the loader's refusal must start with.
const invalid = {
  "adapter-protocol.invalid-error-reason-format.json": { schema: "/error/data/reason pattern" },
  "adapter-protocol.invalid-find-sent-no-sequences.json": { schema: "/params/sequences minItems" },
  "adapter-protocol.invalid-hello-unknown-family.json": { schema: "/result/family enum" },
  "adapter-protocol.invalid-poll-numeric-cursor.json": { schema: "/params/cursor/number type" },
  "adapter-protocol.invalid-poll-uppercase-tx-hash.json": { schema: "/result/tx_hashes/0 pattern" },
  "adapter-protocol.invalid-result-and-error.json": { schema: "/ oneOf" },
  "adapter-protocol.invalid-unknown-method.json": { schema: "/method enum" },

  "audit-leaf.invalid-kind.json": { schema: "/kind maximum", loader: "json.bad_field kind" },
  "audit-leaf.invalid-kind-zero.json": { schema: "/kind minimum", loader: "json.bad_field kind" },
  "audit-leaf.invalid-missing-detail.json": { schema: "/ required", loader: "json.missing_field detail" },
  "audit-leaf.invalid-numeric-time.json": { schema: "/time type", loader: "json.bad_field time" },
  "audit-leaf.invalid-short-claim.json": { schema: "/claim pattern", loader: "json.bad_field claim" },
  "audit-leaf.invalid-time-beyond-uint64.json": {
    schema: beyondSchema("the pattern bounds the digits (20), not the value (2^64 - 1)"),
    loader: "json.bad_field time",
  },
  "audit-leaf.invalid-time-leading-zero.json": { schema: "/time pattern", loader: "json.bad_field time" },
  "audit-leaf.invalid-unknown-field.json": { schema: "/ additionalProperties", loader: "json.unknown_field leaf_hash" },
  "audit-leaf.invalid-uppercase-id.json": { schema: "/id pattern", loader: "json.bad_field id" },

  "canonical-hashes.invalid-leading-zero-number.json": {
    schema: `/chains/${chainA}/blocks propertyNames`,
    loader: `json.bad_field chains.${chainA}.blocks.04`,
  },
  "canonical-hashes.invalid-numeric-head.json": {
    schema: `/chains/${chainA}/head type`,
    loader: `json.bad_field chains.${chainA}.head`,
  },
  "canonical-hashes.invalid-short-hash.json": {
    schema: `/chains/${chainA}/blocks/4 pattern`,
    loader: `json.bad_field chains.${chainA}.blocks.4`,
  },
  "canonical-hashes.invalid-unknown-field.json": {
    schema: `/chains/${chainA} additionalProperties`,
    loader: `json.unknown_field chains.${chainA}.finalized`,
  },

  "checkpoint.invalid-bad-cosignature.note": {
    schema: beyondSchema("the grammar sees a signature line, not whether it verifies"),
    loader: "checkpoint.bad_cosignature witness.example/w1",
  },
  "checkpoint.invalid-bad-signature.note": {
    schema: beyondSchema("the grammar sees a signature line, not whether it verifies"),
    loader: "checkpoint.bad_signature causeway.example/log",
  },
  "checkpoint.invalid-no-signature.note": { schema: "signatures", loader: "checkpoint.no_signatures" },
  "checkpoint.invalid-not-signed.note": {
    schema: beyondSchema("the grammar cannot tell which key made a signature"),
    loader: "checkpoint.not_signed",
  },
  "checkpoint.invalid-size-leading-zero.note": { schema: "size", loader: "checkpoint.bad_size" },
  "checkpoint.invalid-wrong-origin.note": {
    schema: beyondSchema("any origin line is well formed; whose log it is depends on the key"),
    loader: "checkpoint.bad_origin",
  },

  "config.invalid-clique-epoch-on-confirmations.json": {
    schema: "/chains/0/consensus/clique_epoch false schema",
    loader: "config.bad_field chains[0].consensus.clique_epoch",
  },
  "config.invalid-external-source-no-command.json": {
    schema: "/chains/0/source/external/command minItems",
    loader: "config.bad_field chains[0].source.external.command",
  },
  "config.invalid-identity-mismatch.json": {
    schema: beyondSchema("chain_identity is keccak256 of chain_id and genesis_hash"),
    loader: "config.identity_mismatch chains[1].chain_identity",
  },
  "config.invalid-insecure-tls.json": {
    schema: beyondSchema("an endpoint's flag needs relay.allow_insecure_tls, in another object"),
    loader: "config.unsafe chains[0].endpoints[1].insecure_skip_tls_verify",
  },
  "config.invalid-numeric-chain-id.json": { schema: "/chains/1/chain_id anyOf", loader: "config.big_integer chains[1].chain_id" },
  "config.invalid-pkcs11-two-pins.json": { schema: "/relay/vote_key/pkcs11 oneOf", loader: "config.bad_field relay.vote_key.pkcs11" },
  "config.invalid-threshold-zero.json": { schema: "/chains/0/threshold minimum", loader: "config.bad_field chains[0].threshold" },
  "config.invalid-trusted-without-insecure.json": { schema: "/chains/1 required", loader: "config.unsafe chains[1].insecure" },
  "config.invalid-two-key-sources.json": { schema: "/relay/vote_key oneOf", loader: "config.bad_field relay.vote_key" },
  "config.invalid-unknown-chain.json": {
    schema: beyondSchema("a lane's chain must be the name of an entry of chains"),
    loader: "config.unknown_chain lanes[1].from",
  },
  "config.invalid-unknown-field.json": {
    schema: "/lanes/0/batch additionalProperties",
    loader: "config.unknown_field lanes[0].batch.max_message",
  },
  "config.invalid-uppercase-genesis-hash.json": {
    schema: "/chains/1/genesis_hash pattern",
    loader: "config.bad_field chains[1].genesis_hash",
  },
  "config.invalid-witness-log-key.json": {
    schema: "/relay/witnesses/0 pattern",
    loader: "config.bad_field relay.witnesses[0]",
  },

  "deployment.invalid-hex-chain-id.json": {
    schema: "/chains/0/chainId pattern",
    loader: "json.bad_field chains[0].chainId",
  },
  "deployment.invalid-secret-in-keys.json": {
    schema: "/keys/vote/0 additionalProperties",
    loader: "json.unknown_field keys.vote[0].privateKey",
  },

  "message.invalid-numeric-sequence.json": { schema: "/sequence type", loader: "message_json.bad_field sequence" },
  "message.invalid-unknown-flag.json": { schema: "/flags maximum", loader: "message.unknown_flags flags" },
  "message.invalid-uppercase-hex.json": { schema: "/srcChain pattern", loader: "message_json.bad_field srcChain" },

  "proof-bundle.invalid-carries-validator-set.json": {
    schema: "/source additionalProperties",
    loader: "json.unknown_field source.validator_sets",
  },
  "proof-bundle.invalid-compact-without-leaf.json": {
    schema: beyondSchema("the receipt may be left out; whether the proof ends in a leaf holding it is RLP"),
    loader: "json.bad_field inclusion.receipt",
  },
  "proof-bundle.invalid-fabric-attestation-code.json": {
    schema: "/inclusion/attestations/0/validation_code maximum",
    loader: "json.bad_field inclusion.attestations[0].validation_code",
  },
  "proof-bundle.invalid-fisco-execution.json": { schema: "/kind const", loader: "json.bad_field kind" },
  "proof-bundle.invalid-fisco3-signature-index.json": {
    schema: "/source/signatures/0 additionalProperties",
    loader: "json.unknown_field source.signatures[0].index",
  },
  "proof-bundle.invalid-fisco-segment.json": {
    schema: "/source additionalProperties",
    loader: "json.unknown_field source.segment",
  },
  "proof-bundle.invalid-fisco-sibling-without-0x.json": {
    schema: "/inclusion/proof/0/left/0 pattern",
    loader: "json.bad_field inclusion.proof[0].left[0]",
  },
  "proof-bundle.invalid-inclusion-kind.json": { schema: "/inclusion/kind const", loader: "json.bad_field inclusion.kind" },
  "proof-bundle.invalid-kind.json": { schema: "/kind enum", loader: "json.bad_field kind" },
  "proof-bundle.invalid-message-unknown-field.json": {
    schema: "/message additionalProperties",
    loader: "message_json.unknown_field message: extra",
  },
  "proof-bundle.invalid-missing-claim.json": { schema: "/ required", loader: "json.missing_field claim" },
  "proof-bundle.invalid-negative-log-index.json": {
    schema: "/inclusion/log_index minimum",
    loader: "json.bad_field inclusion.log_index",
  },
  "proof-bundle.invalid-numeric-block-number.json": {
    schema: "/source/block_number type",
    loader: "json.bad_field source.block_number",
  },
  "proof-bundle.invalid-proof-bad-hex.json": { schema: "/inclusion/proof/1 pattern", loader: "json.bad_field inclusion.proof[1]" },
  "proof-bundle.invalid-short-block-hash.json": { schema: "/source/block_hash pattern", loader: "json.bad_field source.block_hash" },
  "proof-bundle.invalid-string-tx-index.json": { schema: "/inclusion/tx_index type", loader: "json.bad_field inclusion.tx_index" },
  "proof-bundle.invalid-unsupported-version.json": { schema: "/version const", loader: "bundle.unsupported_version version" },

  "trust-anchors.invalid-checkpoint-vote-on-confirmations.json": {
    schema: "/chains/0/consensus/checkpoint_vote false schema",
    loader: "json.bad_field chains[0].consensus.checkpoint_vote",
  },
  "trust-anchors.invalid-clique-epoch-on-qbft.json": {
    schema: "/chains/2/consensus/clique_epoch false schema",
    loader: "json.bad_field chains[2].consensus.clique_epoch",
  },
  "trust-anchors.invalid-confirmations-on-qbft.json": {
    schema: "/chains/2/consensus/confirmations false schema",
    loader: "json.bad_field chains[2].consensus.confirmations",
  },
  "trust-anchors.invalid-duplicate-name.json": {
    schema: beyondSchema("uniqueItems compares whole entries, not one field of them"),
    loader: "anchors.duplicate_chain chains[1]",
  },
  "trust-anchors.invalid-fabric-consenter-on-raft.json": {
    schema: "/chains/0/orderers/members/0/consenter_id false schema",
    loader: "json.unknown_field chains[0].orderers.members[0].consenter_id",
  },
  "trust-anchors.invalid-fabric-peer-quorum-zero.json": {
    schema: "/chains/0/peers/required minimum",
    loader: "verify.bad_trust_anchor chains[0].peers.required",
  },
  "trust-anchors.invalid-fisco-crypto.json": {
    schema: "/chains/0/consensus/crypto enum",
    loader: "json.bad_field chains[0].consensus.crypto",
  },
  "trust-anchors.invalid-fisco-duplicate-sealer.json": {
    schema: "/chains/0/consensus/sealers uniqueItems",
    loader: "verify.bad_trust_anchor chains[0].consensus.sealers[2]",
  },
  "trust-anchors.invalid-fisco-short-sealer.json": {
    schema: "/chains/0/consensus/sealers/1 pattern",
    loader: "json.bad_field chains[0].consensus.sealers[1]",
  },
  "trust-anchors.invalid-fisco3-no-weights.json": {
    schema: "/chains/0/consensus required",
    loader: "json.missing_field chains[0].consensus.weights",
  },
  "trust-anchors.invalid-fisco3-zero-weight.json": {
    schema: "/chains/0/consensus/weights/2 minimum",
    loader: "json.bad_field chains[0].consensus.weights[2]",
  },
  "trust-anchors.invalid-fisco-version.json": {
    schema: "/chains/0/consensus/version enum",
    loader: "anchors.unsupported_fisco_version chains[0].consensus.version",
  },
  "trust-anchors.invalid-hex-chain-id.json": { schema: "/chains/0/chain_id pattern", loader: "json.bad_field chains[0].chain_id" },
  "trust-anchors.invalid-identity-mismatch.json": {
    schema: beyondSchema("chain_identity is keccak256 of chain_id and genesis_hash"),
    loader: "anchors.identity_mismatch chains[0].chain_identity",
  },
  "trust-anchors.invalid-mode.json": { schema: "/chains/3/consensus/mode enum", loader: "json.bad_field chains[3].consensus.mode" },
  "trust-anchors.invalid-qbft-without-validator-sets.json": {
    schema: "/chains/2/consensus required",
    loader: "json.missing_field chains[2].consensus.validator_sets",
  },
  "trust-anchors.invalid-trusted-without-insecure.json": {
    schema: "/chains/3/insecure const",
    loader: "anchors.insecure_required chains[3].insecure",
  },
  "trust-anchors.invalid-unsorted-members.json": {
    schema: beyondSchema("JSON Schema has no order between array items"),
    loader: "verify.bad_trust_anchor chains[2].consensus.validator_sets[0].members",
  },
  "trust-anchors.invalid-uppercase-gateway.json": { schema: "/chains/0/gateway pattern", loader: "json.bad_field chains[0].gateway" },
  "trust-anchors.invalid-zero-checkpoint-hash.json": {
    schema: "/chains/2/consensus/checkpoint/hash not",
    loader: "verify.bad_trust_anchor chains[2].consensus.checkpoint.hash",
  },
  "trust-anchors.invalid-zero-gateway.json": { schema: "/chains/1/gateway not", loader: "json.bad_field chains[1].gateway" },
  "trust-anchors.invalid-zero-confirmations.json": {
    schema: "/chains/0/consensus/confirmations minimum",
    loader: "json.bad_field chains[0].consensus.confirmations",
  },
};

// Kinds with no loader in schema_loader_tool, so judged by their schema alone (their invalid
// entries above name no loader verdict): the adapter protocol's messages are read off the adapter's
// stdout, not from files, by adapters/external (protocol.cpp, source.cpp), whose tests mutate each
// field in tests/unit/external.
const schemaOnly = new Set(["adapter-protocol"]);

// Each valid proof bundle and the example anchors (and canonical hashes) it verifies against:
// causeway-verify must exit 0 for each pair. Where they come from: confirmations and execution are
// anvil bundles of tests/unit/verify/data/anvil_bundles.json (confirmations-compact is the same
// bundle without its receipt, which the proof's leaf holds); qbft, ibft2 and clique are the EVM
// source's bundles of the ethers-sealed "sent_chains" of tests/unit/verify/gen_bft_chains.mjs (as
// tests/unit/evm/source_segment_test.cpp builds them); ibft1 is the qbft sent chain's headers
// after the genesis re-sealed as IBFT 1.0 (proposer seal, three committed seals) by the same
// validator keys, then bundled the same way. The fisco bundles and anchors are those of
// tests/unit/verify/data/fisco_derive.mjs (a derived FISCO 2.x and 3.x block in each crypto mode). The
// fabric bundle and anchors were written once by FabricWorld (tests/unit/verify/fabric_fixtures.hpp),
// a derived channel with throwaway P-256 keys that were not kept.
const verifiesWith = {
  "proof-bundle.valid-confirmations.json": [
    ["trust-anchors.valid.json", "canonical-hashes.valid.json"],
    ["trust-anchors.valid-confirmations.json", "canonical-hashes.valid.json"],
    ["trust-anchors.valid-trusted.json", "canonical-hashes.valid.json"],
  ],
  "proof-bundle.valid-confirmations-compact.json": [["trust-anchors.valid.json", "canonical-hashes.valid.json"]],
  "proof-bundle.valid-execution.json": [["trust-anchors.valid.json", "canonical-hashes.valid.json"]],
  "proof-bundle.valid-qbft.json": [["trust-anchors.valid-qbft.json"]],
  "proof-bundle.valid-ibft2.json": [["trust-anchors.valid-ibft2.json"]],
  "proof-bundle.valid-ibft1.json": [["trust-anchors.valid-ibft1.json"]],
  "proof-bundle.valid-clique.json": [["trust-anchors.valid-clique.json"]],
  "proof-bundle.valid-fisco-ecdsa.json": [["trust-anchors.valid-fisco-ecdsa.json"]],
  "proof-bundle.valid-fisco-sm.json": [["trust-anchors.valid-fisco-sm.json"]],
  "proof-bundle.valid-fisco3-ecdsa.json": [["trust-anchors.valid-fisco3-ecdsa.json"]],
  "proof-bundle.valid-fisco3-sm.json": [["trust-anchors.valid-fisco3-sm.json"]],
  "proof-bundle.valid-fabric.json": [["trust-anchors.valid-fabric.json"]],
};

// C2SP signed-note grammar for a Causeway checkpoint (c2sp.org/signed-note, tlog-checkpoint,
// PROTOCOL.md section 7), written apart from the C++ parser: the violated part, or nothing.
function noteGrammar(text) {
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/u.test(text)) return ["encoding"];
  const blank = text.indexOf("\n\n");
  if (blank < 0) return ["signatures"];
  const lines = text.slice(0, blank + 1).split("\n").slice(0, -1);
  const signatures = text.slice(blank + 2);
  const problems = [];
  if (lines.length !== 4) return ["lines"];
  const [origin, size, root, time] = lines;
  if (origin.length === 0) problems.push("origin");
  if (!/^(0|[1-9][0-9]*)$/.test(size)) problems.push("size");
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root)) problems.push("root");
  if (!/^time (0|[1-9][0-9]*)$/.test(time)) problems.push("time");
  if (!/^(\u2014 [^\s+]+ [A-Za-z0-9+/]+=*\n)+$/u.test(signatures)) problems.push("signatures");
  return problems;
}

const ajv = schemaRegistry(schemas);
const goldenLeaves = JSON.parse(fs.readFileSync(path.join(schemas, "vectors/protocol-v1.json"), "utf8")).auditLeaves;
const failures = [];
let checks = 0;
function check(ok, what) {
  checks += 1;
  if (!ok) failures.push(what);
}

// [verdict, errors]: the schema's (or the note grammar's) view of one example.
function schemaVerdict(kind, file) {
  const text = fs.readFileSync(path.join(examples, file), "utf8");
  if (kind === "checkpoint") {
    const problems = noteGrammar(text);
    return [problems.length === 0, problems];
  }
  const validate = ajv.getSchema(`https://causeway.dev/schemas/${kind}.schema.json`);
  if (validate === undefined) throw new Error(`${file}: no schemas/${kind}.schema.json`);
  const ok = validate(JSON.parse(text));
  return [ok, ok ? [] : validate.errors];
}

function loaderVerdict(kind, file) {
  const extra = kind === "checkpoint" ? checkpointKeys : [];
  const run = spawnSync(args.tool, [kind, path.join(examples, file), ...extra], { encoding: "utf8" });
  const lines = run.stdout.trim().split("\n");
  return { status: run.status, stdout: run.stdout, last: lines[lines.length - 1], stderr: run.stderr.trim() };
}

// ajv's errors as "POINTER KEYWORD": the expected one must be among them, and every error lie on
// its pointer's path (the objects holding it, or the branches of its anyOf / oneOf below it).
function schemaRefusesFor(errors, expected) {
  const at = expected.slice(0, expected.indexOf(" "));
  const within = (outer, inner) => outer === "/" || inner === outer || inner.startsWith(`${outer}/`);
  const onIt = errors.every((e) => within(e.instancePath || "/", at) || within(at, e.instancePath || "/"));
  const named = errors.some((e) => `${e.instancePath || "/"} ${e.keyword}` === expected);
  return named && onIt;
}

const files = fs.readdirSync(examples).sort();
for (const file of files) {
  const match = /^([a-z-]+)\.(valid|invalid)(-[a-z0-9-]+)?\.(json|note)$/.exec(file);
  check(match !== null, `${file}: not named KIND.valid[-what].EXT or KIND.invalid-RULE.EXT`);
  if (match === null) continue;
  const [, kind, verdict, rule] = match;
  const before = failures.length;
  check(verdict === "valid" || rule !== undefined, `${file}: an invalid example's name says which rule it breaks`);
  const mark = () => (failures.length === before ? "ok" : "not ok");
  check((kind === "checkpoint") === file.endsWith(".note"), `${file}: checkpoints, and only they, are .note files`);
  const [schemaOk, errors] = schemaVerdict(kind, file);
  const loader = schemaOnly.has(kind) ? undefined : loaderVerdict(kind, file);
  check(!loader || loader.status === 0 || loader.status === 1, `${file}: ${args.tool} could not judge it: ${loader?.stderr}`);
  const shown = kind === "checkpoint" ? errors.join(", ") : describe(errors).join("; ");

  if (verdict === "valid") {
    check(schemaOk, `${file}: the schema refuses a valid example: ${shown}`);
    check(!loader || loader.status === 0, `${file}: the loader refuses a valid example: ${loader?.last}`);
    if (kind === "audit-leaf") {
      // Each kind's example is that kind's golden vector: the leaf the C++ side encodes must hash
      // to the vector's leafHash.
      const golden = goldenLeaves.find((l) => file === `audit-leaf.valid-${l.kindName.replaceAll("_", "-")}.json`);
      check(golden !== undefined, `${file}: no golden audit leaf of that kind`);
      check(loader.stdout.includes(`leaf_hash ${golden?.leafHash}\n`), `${file}: leaf hash is not the golden vector's`);
    }
    console.log(`${mark()}: ${file}: valid`);
    continue;
  }
  const expected = invalid[file];
  check(expected !== undefined, `${file}: not in the table of invalid examples`);
  if (expected === undefined) continue;
  if (typeof expected.schema === "object") {
    check(schemaOk, `${file}: the schema now refuses it (${shown}); the table says it cannot: ${expected.schema.accepts}`);
  } else if (kind === "checkpoint") {
    check(!schemaOk && errors.join(" ") === expected.schema, `${file}: the note grammar says [${shown}], expected [${expected.schema}]`);
  } else {
    check(!schemaOk && schemaRefusesFor(errors, expected.schema), `${file}: the schema says [${shown}], expected [${expected.schema}] alone`);
  }
  if (!loader) {
    check(!schemaOk, `${file}: an invalid example the schema, its only judge, accepts`);
    console.log(`${mark()}: ${file}: schema ${schemaOk ? "accepts" : `refuses (${shown})`}; no loader`);
    continue;
  }
  if (typeof expected.loader === "object") {
    check(loader.status === 0, `${file}: the loader now refuses it (${loader.last}); the table says it does not read it: ${expected.loader.accepts}`);
  } else {
    const [reason, ...where] = expected.loader.split(" ");
    const prefix = `invalid: ${reason}${where.length ? `: ${where.join(" ")}` : ""}`;
    check(loader.status === 1 && loader.last.startsWith(prefix), `${file}: the loader says "${loader.last}", expected "${prefix}..."`);
  }
  check(!(schemaOk && loader.status === 0), `${file}: an invalid example both sides accept`);
  console.log(`${mark()}: ${file}: schema ${schemaOk ? "accepts" : `refuses (${shown})`}; loader ${loader.last}`);
}
for (const file of Object.keys(invalid)) check(files.includes(file), `${file}: in the table, not on disk`);

// Valid bundles must verify: a bundle that parses but proves nothing would be a poor example.
const validBundles = files.filter((f) => f.startsWith("proof-bundle.valid"));
for (const bundle of validBundles) {
  const pairs = verifiesWith[bundle] ?? [];
  check(pairs.length > 0, `${bundle}: no example anchors to verify it against`);
  for (const [anchors, canonical] of pairs) {
    const argv = [path.join(examples, bundle), "--trust", path.join(examples, anchors), "--json"];
    if (canonical) argv.push("--canonical", path.join(examples, canonical));
    const run = spawnSync(args.verify, argv, { encoding: "utf8" });
    check(run.status === 0, `${bundle} with ${anchors}: causeway-verify exit ${run.status}: ${run.stdout}${run.stderr}`);
    console.log(`${run.status === 0 ? "ok" : "not ok"}: ${bundle}: verifies with ${anchors}${canonical ? ` and ${canonical}` : ""}`);
  }
}
for (const bundle of Object.keys(verifiesWith)) check(validBundles.includes(bundle), `${bundle}: in the table, not on disk`);

for (const f of failures) console.log(`FAILED: ${f}`);
console.log(`${files.length} examples, ${checks} checks, ${failures.length} failed`);
process.exitCode = failures.length === 0 ? 0 : 1;
