#!/usr/bin/env node
// Checks JSON documents against Causeway's JSON Schemas (2020-12) with ajv in strict mode: a
// keyword ajv does not know, or a schema it finds ambiguous, is an error, never silently ignored.
// Every *.schema.json beside SCHEMA is loaded too, so references between schemas resolve by $id.
// CLI: node schema-check.mjs SCHEMA.json DOC.json... (exit 0 all valid, 1 some invalid, 2 unusable)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = path.dirname(fileURLToPath(import.meta.url));
const schemasDir = path.resolve(here, "../../schemas");

// An ajv instance holding every schema of `dir` (by $id), strict, reporting all errors.
export function schemaRegistry(dir = schemasDir) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".schema.json")).sort()) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")));
  }
  return ajv;
}

let defaultRegistry;

// The compiled validator of `schema`: the registry's own when it holds this very schema (compiled
// once), else `schema` compiled into it (ajv refuses a different schema under a known $id).
function validatorOf(schema, ajv) {
  const known = schema.$id === undefined ? undefined : ajv.getSchema(schema.$id);
  if (known !== undefined && JSON.stringify(known.schema) === JSON.stringify(schema)) return known;
  return ajv.compile(schema);
}

// One line per ajv error: "json/pointer: keyword: message", the pointer "/" for the document itself.
export function describe(errors) {
  return (errors ?? []).map((e) => {
    // The offending name, which the pointer cannot show: an extra property or a bad property name.
    const name = e.keyword === "additionalProperties" ? e.params.additionalProperty : e.propertyName;
    const params = name === undefined ? "" : ` (${name})`;
    return `${e.instancePath || "/"}: ${e.keyword}: ${e.message}${params}`;
  });
}

// Returns the list of violations of `schema` by `value` (empty when valid), each as describe()
// writes it. Throws when ajv refuses the schema itself (strict mode).
export function validate(schema, value, ajv = (defaultRegistry ??= schemaRegistry())) {
  const check = validatorOf(schema, ajv);
  return check(value) ? [] : describe(check.errors);
}

function main(argv) {
  if (argv.length < 2) {
    console.error("usage: schema-check.mjs SCHEMA.json DOC.json...");
    return 2;
  }
  const [schemaPath, ...docs] = argv;
  const ajv = schemaRegistry(path.dirname(path.resolve(schemaPath)));
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  let status = 0;
  for (const doc of docs) {
    const errors = validate(schema, JSON.parse(fs.readFileSync(doc, "utf8")), ajv);
    if (errors.length === 0) {
      console.log(`${doc}: valid`);
    } else {
      status = 1;
      for (const e of errors) console.log(`${doc}: invalid: ${e}`);
    }
  }
  return status;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`schema-check: ${e.message}`);
    process.exitCode = 2;
  }
}
