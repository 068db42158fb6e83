#!/usr/bin/env node
// The web console in headless Debian chromium (npm playwright-core), against a relay that has
// already carried messages both ways (tests/browser/console_test.sh sets that up). Every check is
// on the DOM, compared with what the relay's /v1 API answers:
//   lanes      a->b and b->a listed with the per-state counts of /v1/lanes; a paused lane flagged
//   live list  a message sent while the page is open appears through /v1/stream; the lane
//              filter and cursor paging list what /v1/messages lists
//   message    an executed message's proof: every check passed, the trie path ends at the
//              header's receiptsRoot, the event's fields are the message's
//   forged     a bundle with one trie byte changed, posted to the relay: its page marks
//              inclusion failed with the verifier's reason
//   errors     an unknown id and a malformed one each show a clear error, not a blank page
// Screenshots land in --artifacts (console-failure.png too when a check fails). Exits 1 with
// "console test: <what>" on the first failure.
//
//   console.test.mjs --api URL --artifacts DIR --chromium PATH --send "COMMAND"
// --send is a shell command that sends one message a->b (the e2e driver's `send`).
import { execSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tools = process.env.CAUSEWAY_NODE_TOOLS || path.join(root, "deploy/devnet");
const { chromium } = createRequire(path.join(tools, "package.json"))("playwright-core");

const { values: args } = parseArgs({
  options: {
    api: { type: "string" },
    artifacts: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    send: { type: "string" },
  },
});
for (const required of ["api", "artifacts", "send"]) {
  if (!args[required]) {
    console.error(`console test: --${required} is required`);
    process.exit(2);
  }
}
const CHECKS = ["identity", "header", "finality", "inclusion", "event", "message_id", "claim"];
const STEP_MS = 30_000;

class Failure extends Error {}
function fail(what) {
  throw new Failure(what);
}
function pass(what) {
  console.log(`ok: ${what}`);
}
async function api(pathname) {
  const response = await fetch(args.api + pathname);
  if (!response.ok) fail(`GET ${pathname} answered ${response.status}`);
  return response.json();
}

// The operator's side, to change what the console shows; the token comes from the environment.
async function admin(pathname, body) {
  const response = await fetch(args.api + pathname, {
    method: "POST",
    headers: { authorization: `Bearer ${process.env.CAUSEWAY_E2E_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) fail(`POST ${pathname} answered ${response.status}`);
}

fs.mkdirSync(args.artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  // The test runs as root in a container, where chromium's sandbox cannot start.
  args: ["--no-sandbox"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
// Anything the page's own code throws, or a resource the Content-Security-Policy refused, is a
// console bug. (A 404 the console expects, such as a message nobody knows, is logged by chromium
// as a failed load; those are not counted.)
const problems = [];
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
page.on("console", (message) => {
  if (message.type() !== "error") return;
  if (message.text().startsWith("Failed to load resource")) return;
  problems.push(`console error: ${message.text()}`);
});
const shot = (name) => page.screenshot({ path: path.join(args.artifacts, `console-${name}.png`), fullPage: true });

try {
  // ---- lanes
  await page.goto(`${args.api}/#/lanes`);
  for (const lane of ["a->b", "b->a"]) {
    await page.locator(`#lanes tr[data-lane="${lane}"]`).waitFor({ timeout: STEP_MS });
  }
  // The relay is idle now (every message acknowledged), so the next poll shows exactly these.
  const lanes = (await api("/v1/lanes")).lanes;
  const expected = Object.fromEntries(lanes.map((l) => [l.name, l.messages]));
  await page.waitForFunction((want) => Object.entries(want).every(([lane, counts]) =>
    Object.entries(counts).every(([state, count]) => {
      const cell = document.querySelector(`#lanes tr[data-lane="${lane}"] td[data-state="${state}"]`);
      return cell && cell.textContent === String(count);
    })), expected, { timeout: STEP_MS });
  const shown = await page.locator("#lanes tbody tr").count();
  if (shown !== lanes.length) fail(`the lanes table has ${shown} rows, /v1/lanes ${lanes.length}`);
  await page.waitForFunction(() => [...document.querySelectorAll('#lanes td[data-field="throughput"]')]
    .every((cell) => /^-?\d+\.\d$/.test(cell.textContent)), null, { timeout: STEP_MS });
  await shot("lanes");
  pass(`lanes table: ${lanes.map((l) => l.name).join(", ")} with the counts of /v1/lanes, throughput shown`);

  // A paused lane is flagged, and running again once resumed, without a reload.
  const laneStatus = (lane) => page.locator(`#lanes tr[data-lane="${lane}"] [data-field="status"] .flag`);
  await admin("/v1/lanes/b->a/pause", { reason: "console test" });
  await page.waitForFunction(() => document.querySelector('#lanes tr[data-lane="b->a"] .flag')?.textContent === "halted",
    null, { timeout: STEP_MS });
  if ((await laneStatus("a->b").textContent()) !== "running") fail("pausing b->a flagged a->b too");
  await shot("lanes-paused");
  await admin("/v1/lanes/b->a/resume", {});
  await page.waitForFunction(() => document.querySelector('#lanes tr[data-lane="b->a"] .flag')?.textContent === "running",
    null, { timeout: STEP_MS });
  pass("a paused lane is flagged halted, and running again after resume");

  // ---- live list
  await page.goto(`${args.api}/#/messages`);
  await page.locator("#stream-status[data-state=open]").waitFor({ timeout: STEP_MS });
  await page.waitForFunction(() => /shown/.test(document.getElementById("list-status").textContent), null,
    { timeout: STEP_MS });
  const before = new Set(await page.locator("#messages tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id)));
  const listed = (await api("/v1/messages?limit=50")).messages;
  if (before.size !== listed.length) fail(`the list shows ${before.size} messages, /v1/messages ${listed.length}`);
  execSync(args.send, { stdio: ["ignore", "ignore", "inherit"] });
  const live = page.locator('#messages tbody tr[data-live="true"]').first();
  await live.waitFor({ timeout: 60_000 });
  const arrived = await live.getAttribute("data-id");
  if (before.has(arrived)) fail(`the live row ${arrived} was already listed`);
  const laneCell = await live.locator("td").nth(1).textContent();
  if (laneCell !== "a->b") fail(`the new message's lane shows "${laneCell}"`);
  // It moves on through its states in place, without a reload.
  await page.waitForFunction((id) => {
    const row = document.querySelector(`#messages tr[data-id="${id}"]`);
    return row && row.dataset.state !== "observed";
  }, arrived, { timeout: 60_000 });
  await shot("messages");
  pass(`a message sent while the page was open (${arrived}) appeared live and advanced`);

  // Filters are the API's: the b->a list is exactly /v1/messages?lane=b->a.
  await page.goto(`${args.api}/#/messages?lane=${encodeURIComponent("b->a")}`);
  await page.waitForFunction(() => /shown/.test(document.getElementById("list-status").textContent), null,
    { timeout: STEP_MS });
  const filtered = await page.locator("#messages tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id));
  const wanted = (await api(`/v1/messages?limit=50&lane=${encodeURIComponent("b->a")}`)).messages.map((m) => m.id);
  if (filtered.join() !== wanted.join()) fail(`the b->a filter shows ${filtered.length} rows, the API ${wanted.length}`);
  pass(`the lane filter shows the ${wanted.length} messages of b->a`);

  // Older pages come by the API's cursor: four at a time, the same messages in the same order.
  await page.goto(`${args.api}/#/messages?limit=4`);
  const more = page.locator("#more");
  for (let pages = 1; ; pages++) {
    await page.waitForFunction(() => /shown/.test(document.getElementById("list-status").textContent), null,
      { timeout: STEP_MS });
    if (await more.isDisabled()) break;
    if (pages > 10) fail("the list never reached its last page");
    await page.evaluate(() => { document.getElementById("list-status").textContent = ""; });
    await more.click();
  }
  const paged = await page.locator("#messages tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id));
  const all = (await api("/v1/messages?limit=50")).messages.map((m) => m.id);
  if (paged.join() !== all.join()) fail(`paging by 4 shows ${paged.length} messages, the API ${all.length}`);
  pass(`paging by 4 through the cursor lists all ${all.length} messages in the API's order`);

  // ---- a message's proof
  const done = (await api(`/v1/messages?limit=1&lane=${encodeURIComponent("a->b")}&state=acknowledged`)).messages;
  if (!done.length) fail("no acknowledged a->b message to look at");
  const message = await api(`/v1/messages/${done[0].id}`);
  await page.goto(`${args.api}/#/message/${message.id}`);
  const proof = page.locator("section.verdict").first();
  await proof.waitFor({ timeout: STEP_MS });
  const outcome = await proof.locator(".outcome").getAttribute("data-outcome");
  if (outcome !== "valid") fail(`the proof's outcome is ${outcome}`);
  const statuses = Object.fromEntries(await proof.locator("[data-check]").evaluateAll(
    (items) => items.map((i) => [i.dataset.check, i.dataset.status])));
  for (const name of CHECKS) {
    if (statuses[name] !== "ok") fail(`check ${name} is ${statuses[name]} on the message page`);
  }
  const bad = Object.entries(statuses).filter(([, s]) => s === "failed" || s === "unverifiable");
  if (bad.length) fail(`checks not passed: ${bad.map(([n, s]) => `${n}=${s}`).join(", ")}`);
  const field = (step, name) => proof.locator(`[data-step="${step}"] [data-field="${name}"]`).first().textContent();
  const receiptsRoot = await field("header", "receipts_root");
  const trieRoot = await field("trie", "trie_root");
  const topNode = await proof.locator('[data-part="trie-nodes"] li').last().getAttribute("data-hash");
  if (!/^0x[0-9a-f]{64}$/.test(receiptsRoot)) fail(`the header's receiptsRoot shows "${receiptsRoot}"`);
  if (trieRoot !== receiptsRoot || topNode !== receiptsRoot) {
    fail(`the trie path ends at ${topNode} (root ${trieRoot}), the header's receiptsRoot is ${receiptsRoot}`);
  }
  if ((await field("event", "id")) !== message.id) fail("the event's id is not the message's");
  if ((await field("event", "lane")) !== "a->b") fail("the event's lane is not a->b");
  if ((await field("event", "sequence")) !== message.message.sequence) fail("the event's sequence is not the message's");
  if ((await field("event", "sender")) !== message.message.sender) fail("the event's sender is not the message's");
  if ((await field("event", "receiver")) !== message.message.receiver) fail("the event's receiver is not the message's");
  if ((await page.locator('#execution [data-field="exec_status"]').textContent()) !== "ok") {
    fail("the execution section does not show status ok");
  }
  await shot("message");
  pass(`message ${message.id}: every check passed, trie path ends at receiptsRoot ${receiptsRoot}`);

  // ---- a forged bundle: the relay rejects it, and its page shows which check failed and why
  const genuine = (await api(`/v1/bundles/${message.claim}`)).bundle;
  const forged = structuredClone(genuine);
  const flip = (hex) => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");
  forged.inclusion.proof[0] = flip(forged.inclusion.proof[0]);
  forged.claim = flip(forged.claim);
  const submitted = await fetch(`${args.api}/v1/bundles`, {
    method: "POST",
    headers: { authorization: `Bearer ${process.env.CAUSEWAY_E2E_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(forged),
  });
  if (submitted.status !== 422) fail(`POST /v1/bundles of a forged bundle answered ${submitted.status}`);
  await page.goto(`${args.api}/#/bundle/${forged.claim}`);
  const rejected = page.locator("section.verdict");
  await rejected.waitFor({ timeout: STEP_MS });
  if ((await rejected.locator(".outcome").getAttribute("data-outcome")) !== "invalid") fail("the forged bundle is not shown invalid");
  const inclusion = rejected.locator('[data-check="inclusion"]');
  if ((await inclusion.getAttribute("data-status")) !== "failed") fail("the forged bundle's inclusion check is not marked failed");
  const reason = await inclusion.locator('[data-field="reason"]').textContent();
  if (reason !== "mpt.root_mismatch") fail(`the forged bundle's inclusion fails with "${reason}"`);
  const trieEnd = await rejected.locator('[data-part="trie-nodes"] li').last().getAttribute("data-hash");
  if (trieEnd === (await rejected.locator('[data-step="header"] [data-field="receipts_root"]').textContent())) {
    fail("the forged trie path is drawn as ending at receiptsRoot");
  }
  await shot("forged-bundle");
  pass("a forged bundle's page marks inclusion failed with mpt.root_mismatch");

  // ---- errors are shown, not a blank page
  const unknown = "0x" + "0".repeat(63) + "1";
  await page.goto(`${args.api}/#/message/${unknown}`);
  const notFound = page.locator(".error[role=alert]");
  await notFound.waitFor({ timeout: STEP_MS });
  if (!(await notFound.textContent()).includes(unknown)) fail("the unknown-id error does not name the id");
  await shot("unknown-message");
  await page.goto(`${args.api}/#/message/not-an-id`);
  await page.waitForFunction(() => /not a message id/.test(document.querySelector(".error[role=alert]")?.textContent || ""),
    null, { timeout: STEP_MS });
  pass("an unknown and a malformed message id each show a clear error");

  if (problems.length) fail(problems.join("; "));
  pass("no script error and no Content-Security-Policy violation");
} catch (error) {
  await shot("failure").catch(() => {});
  console.error(`console test: ${error instanceof Failure ? error.message : error.message.split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
