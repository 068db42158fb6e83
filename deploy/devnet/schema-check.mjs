#!/usr/bin/env node
// Checks JSON documents against the subset of JSON Schema 2020-12 that Causeway's own schemas use,
// without an npm dependency. A keyword outside that subset is an error, never silently ignored.
// CLI: node schema-check.mjs SCHEMA.json DOC.json... (exit 0 all valid, 1 some invalid, 2 unusable)
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const annotations = new Set(["$schema", "$id", "$comment", "title", "description", "examples", "format"]);
const handled = new Set([
  "$ref", "$defs", "type", "const", "enum", "properties", "required", "additionalProperties",
  "items", "minItems", "maxItems", "uniqueItems", "pattern", "minLength", "maxLength", "minimum", "maximum",
]);

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function resolveRef(root, ref) {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref} (only local references)`);
  let node = root;
  for (const part of ref.slice(2).split("/")) {
    node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node;
}

function check(root, schema, value, at, errors) {
  if (schema === true) return;
  if (schema === false) { errors.push(`${at || "/"}: not allowed`); return; }
  for (const key of Object.keys(schema)) {
    if (!annotations.has(key) && !handled.has(key)) throw new Error(`schema keyword "${key}" is not supported by schema-check.mjs`);
  }
  const where = at || "/";
  if (schema.$ref) check(root, resolveRef(root, schema.$ref), value, at, errors);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(value, t))) {
      errors.push(`${where}: expected ${types.join(" or ")}, found ${typeOf(value)}`);
      return;
    }
  }
  if ("const" in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) {
    errors.push(`${where}: must be ${JSON.stringify(schema.const)}`);
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${where}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }
  if (typeof value === "string") {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      errors.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where}: longer than ${schema.maxLength}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${where}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${where}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${where}: more than ${schema.maxItems} items`);
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      errors.push(`${where}: items are not unique`);
    }
    if (schema.items !== undefined) value.forEach((item, i) => check(root, schema.items, item, `${at}/${i}`, errors));
  }
  if (typeOf(value) === "object") {
    for (const name of schema.required ?? []) {
      if (!(name in value)) errors.push(`${where}: missing required field "${name}"`);
    }
    const properties = schema.properties ?? {};
    for (const [name, item] of Object.entries(value)) {
      const path = `${at}/${name}`;
      if (name in properties) check(root, properties[name], item, path, errors);
      else if (schema.additionalProperties === false) errors.push(`${path}: field not allowed`);
      else if (typeof schema.additionalProperties === "object") check(root, schema.additionalProperties, item, path, errors);
    }
  }
}

// Returns the list of violations of `schema` by `value` (empty when valid), each "json/pointer: what".
export function validate(schema, value) {
  const errors = [];
  check(schema, schema, value, "", errors);
  return errors;
}

function main(argv) {
  if (argv.length < 2) {
    console.error("usage: schema-check.mjs SCHEMA.json DOC.json...");
    return 2;
  }
  const [schemaPath, ...docs] = argv;
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  let status = 0;
  for (const doc of docs) {
    const errors = validate(schema, JSON.parse(fs.readFileSync(doc, "utf8")));
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
