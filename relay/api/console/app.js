// The Causeway web console: lanes, the live message list and a message's proof drawn as a path.
// Plain DOM code that reads the relay's public /v1 API and /v1/stream. Every check mark comes
// from the relay's verifier (GET /v1/bundles/{claim}/verification); nothing is judged here.
// Text from the API only ever lands in textContent, never in markup.

const view = document.getElementById("view");
const streamBadge = document.getElementById("stream-status");

// States in the order a message moves through them; counts of these are a lane's backlog.
const STATES = ["observed", "verified", "voted", "parked", "orphaned", "executed_ok", "executed_failed",
  "timed_out", "skipped", "acknowledged"];
const BACKLOG = ["observed", "verified", "voted", "parked"];
// A message in one of these has been executed (or settled) on its target chain.
const DONE = ["executed_ok", "executed_failed", "timed_out", "skipped", "acknowledged"];
// The verifier's top-level checks and the step of the path each belongs to.
const STEP_CHECKS = {
  event: ["identity", "event", "message_id", "claim"],
  trie: ["inclusion"],
  header: ["header", "ancestry"],
  seals: ["finality"],
};
const EXEC_STATUS = { 0: "none", 1: "ok", 2: "failed", 3: "timed out", 4: "skipped" };
const LANES_POLL_MS = 3000;
const PAGE = 50;

// ---- small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, String(value));
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fields(pairs) {
  const dl = el("dl", { class: "fields" });
  for (const [name, value, key] of pairs) {
    dl.append(el("dt", { text: name }), el("dd", { class: "mono", "data-field": key, text: value ?? "—" }));
  }
  return dl;
}

function short(hex) {
  return typeof hex === "string" && hex.length > 18 ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : String(hex ?? "");
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "—";
}

function showError(title, detail) {
  view.replaceChildren(el("h1", { text: title }), el("p", { class: "error", role: "alert", text: detail }));
}

// ---- the API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: "application/json" } });
  } catch (e) {
    throw new ApiError(0, "unreachable", `the relay did not answer (${e.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : { code: "http_" + response.status, message: response.statusText };
    if (response.status === 401 || response.status === 403) {
      error.message += " (this relay's reads need a token; the console works with public reads only)";
    }
    throw new ApiError(response.status, error.code, error.message);
  }
  return body;
}

// ---- the transition stream, shared by every page

const streamListeners = new Set();
let streamDelay = 500;

function connectStream() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/v1/stream`);
  const setState = (state, text) => {
    streamBadge.dataset.state = state;
    streamBadge.textContent = text;
  };
  socket.addEventListener("open", () => {
    streamDelay = 500;
    setState("open", "stream: live");
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    for (const listener of streamListeners) listener(frame);
  });
  socket.addEventListener("close", () => {
    setState("closed", "stream: reconnecting");
    // Reconnects with a capped backoff; a relay that restarts is picked up again.
    setTimeout(connectStream, streamDelay);
    streamDelay = Math.min(streamDelay * 2, 10000);
  });
}

// ---- pages. Each returns a function that stops its timers and listeners.

function lanesPage() {
  const table = el("table", { id: "lanes" });
  const head = el("tr", {}, el("th", { text: "Lane" }), el("th", { text: "Route" }), el("th", { text: "Status" }),
    el("th", { class: "num", text: "Backlog" }), el("th", { class: "num", text: "Executed / min" }),
    ...STATES.map((s) => el("th", { class: "num", text: s.replace("_", " ") })));
  const body = el("tbody");
  table.append(el("thead", {}, head), body);
  const note = el("p", { class: "muted", text: "Counts of messages by state, refreshed every few seconds." });
  view.replaceChildren(el("h1", { text: "Lanes" }), el("div", { class: "scroll" }, table), note);

  // Executed totals of the previous poll, for throughput between two polls.
  let previous = null;
  let timer = null;
  let stopped = false;

  async function poll() {
    try {
      const answer = await api("/v1/lanes");
      const now = performance.now();
      const rows = [];
      const totals = {};
      for (const lane of answer.lanes) {
        const counts = lane.messages || {};
        const backlog = BACKLOG.reduce((sum, s) => sum + (counts[s] || 0), 0);
        const done = DONE.reduce((sum, s) => sum + (counts[s] || 0), 0);
        totals[lane.name] = done;
        let rate = "…";
        if (previous && previous.totals[lane.name] !== undefined) {
          const minutes = (now - previous.time) / 60000;
          rate = minutes > 0 ? ((done - previous.totals[lane.name]) / minutes).toFixed(1) : "0.0";
        }
        const status = lane.halted
          ? el("span", { class: "flag halted", title: lane.halt_reason || "", text: "halted" })
          : el("span", { class: "flag running", text: "running" });
        const link = el("a", { href: `#/messages?lane=${encodeURIComponent(lane.name)}`, text: lane.name });
        rows.push(el("tr", { "data-lane": lane.name },
          el("td", {}, link), el("td", { text: `${lane.from} → ${lane.to}${lane.acknowledge ? " (acknowledged)" : ""}` }),
          el("td", { "data-field": "status" }, status, lane.halt_reason ? ` ${lane.halt_reason}` : ""),
          el("td", { class: "num", "data-field": "backlog", text: backlog }),
          el("td", { class: "num", "data-field": "throughput", text: rate }),
          ...STATES.map((s) => el("td", { class: "num", "data-state": s, text: counts[s] || 0 }))));
      }
      body.replaceChildren(...rows);
      previous = { time: now, totals };
    } catch (e) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 5 + STATES.length, class: "error", text: e.message })));
    }
    if (!stopped) timer = setTimeout(poll, LANES_POLL_MS);
  }
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function messagesPage(query) {
  const lane = query.get("lane") || "";
  const state = query.get("state") || "";
  // A page size in the address (#/messages?limit=N) is for looking through long lists in steps.
  const limit = Math.min(Math.max(Number.parseInt(query.get("limit"), 10) || PAGE, 1), 500);
  const laneSelect = el("select", { id: "filter-lane" }, el("option", { value: "", text: "every lane" }));
  const stateSelect = el("select", { id: "filter-state" }, el("option", { value: "", text: "every state" }),
    ...STATES.map((s) => el("option", { value: s, text: s })));
  stateSelect.value = state;
  const applyFilters = () => {
    const next = new URLSearchParams();
    if (laneSelect.value) next.set("lane", laneSelect.value);
    if (stateSelect.value) next.set("state", stateSelect.value);
    location.hash = `#/messages${next.toString() ? "?" + next : ""}`;
  };
  laneSelect.addEventListener("change", applyFilters);
  stateSelect.addEventListener("change", applyFilters);
  api("/v1/lanes").then((answer) => {
    for (const l of answer.lanes) laneSelect.append(el("option", { value: l.name, text: l.name }));
    laneSelect.value = lane;
  }, () => {});

  const body = el("tbody");
  const table = el("table", { id: "messages" }, el("thead", {}, el("tr", {},
    el("th", { text: "Message" }), el("th", { text: "Lane" }), el("th", { text: "State" }),
    el("th", { class: "num", text: "Sequence" }), el("th", { text: "Claim" }), el("th", { text: "Updated" }))), body);
  const more = el("button", { id: "more", type: "button", text: "Older messages" });
  const status = el("p", { class: "muted", id: "list-status" });
  view.replaceChildren(el("h1", { text: "Messages" }),
    el("div", { class: "filters" }, el("label", {}, "Lane ", laneSelect), el("label", {}, "State ", stateSelect)),
    table, el("p", {}, more), status);

  const rows = new Map();  // id -> row
  function row(m) {
    const tr = el("tr", { "data-id": m.id, "data-state": m.state },
      el("td", { class: "mono" }, el("a", { href: `#/message/${m.id}`, text: short(m.id) })),
      el("td", { text: m.lane || "—" }),
      el("td", { "data-field": "state", text: m.state }),
      el("td", { class: "num", "data-field": "sequence", text: m.sequence ?? "" }),
      el("td", { class: "mono", text: short(m.claim) }),
      el("td", { "data-field": "updated", text: when(m.time) }));
    rows.set(m.id, tr);
    return tr;
  }

  let cursor = null;
  async function load() {
    const params = new URLSearchParams({ limit: String(limit) });
    if (lane) params.set("lane", lane);
    if (state) params.set("state", state);
    if (cursor) params.set("cursor", cursor);
    more.disabled = true;
    try {
      const page = await api(`/v1/messages?${params}`);
      for (const m of page.messages) {
        if (rows.has(m.id)) continue;
        body.append(row({ id: m.id, lane: m.lane, state: m.state, claim: m.claim,
          sequence: m.message && m.message.sequence, time: m.updated_at }));
      }
      cursor = page.next_cursor;
      more.disabled = !cursor;
      status.textContent = `${rows.size} shown${cursor ? "" : ", no older ones"}; new transitions appear live.`;
    } catch (e) {
      status.replaceChildren(el("span", { class: "error", text: e.message }));
    }
  }
  more.addEventListener("click", load);
  load();

  const onFrame = (frame) => {
    if (lane && frame.lane !== lane) return;
    const existing = rows.get(frame.id);
    if (state && frame.state !== state) {
      // It left the filtered state: the list shows only messages in it.
      if (existing) {
        existing.remove();
        rows.delete(frame.id);
      }
      return;
    }
    if (existing) {
      existing.dataset.state = frame.state;
      existing.querySelector('[data-field="state"]').textContent = frame.state;
      existing.querySelector('[data-field="updated"]').textContent = when(frame.time);
      existing.classList.remove("fresh");
      void existing.offsetWidth;  // restarts the highlight
      existing.classList.add("fresh");
      return;
    }
    // A message the list does not hold is new only in its first states; in a later one it is an
    // older message beyond the pages loaded, whose place is further down.
    if (frame.state !== "observed" && frame.state !== "verified") return;
    const tr = row({ id: frame.id, lane: frame.lane, state: frame.state, claim: frame.claim, time: frame.time });
    tr.classList.add("fresh");
    tr.dataset.live = "true";
    body.prepend(tr);
    // A frame carries no sequence; the message's record does.
    api(`/v1/messages/${frame.id}`).then((m) => {
      tr.querySelector('[data-field="sequence"]').textContent = m.message.sequence;
    }, () => {});
  };
  streamListeners.add(onFrame);
  return () => streamListeners.delete(onFrame);
}

// One check of the verifier's tree: its mark, name, reason and detail.
function checkItem(check) {
  const mark = { ok: "✓ passed", failed: "✗ failed", skipped: "– not run", unverifiable: "? unverifiable" }[check.status]
    || check.status;
  const item = el("li", { "data-check": check.name, "data-status": check.status },
    el("span", { class: "mark", text: mark }), " ", el("strong", { text: check.name }));
  if (check.reason) item.append(" ", el("code", { "data-field": "reason", text: check.reason }));
  if (check.detail) item.append(" ", el("span", { class: "muted mono", text: check.detail }));
  return item;
}

function checksFor(names, tree) {
  const list = el("ul", { class: "checks" });
  for (const name of names) {
    const check = tree.find((c) => c.name === name);
    if (check) list.append(checkItem(check));
  }
  return list;
}

// The proof as a path: event → receipt → trie nodes (leaf first) → header → seals.
function proofPath(answer) {
  const tree = answer.verification.verdict.checks || [];
  const proof = answer.proof;
  const path = el("ol", { class: "path" });
  if (!proof) {
    path.append(el("li", { "data-step": "bundle" }, el("h3", { text: "Bundle" }),
      el("ul", { class: "checks" }, checkItem(answer.verification.verdict))));
    return path;
  }
  const event = proof.event;
  const m = event.message || {};
  path.append(el("li", { "data-step": "event" }, el("h3", { text: `Event ${event.name} on ${proof.chain.name || "an unknown chain"}` }),
    fields([["id", event.id, "id"], ["lane", event.lane || "—", "lane"], ["sequence", m.sequence, "sequence"],
      ["sender", m.sender, "sender"], ["receiver", m.receiver, "receiver"], ["source chain", m.srcChain, "src_chain"],
      ["target chain", m.dstChain, "dst_chain"], ["emitter", event.emitter, "emitter"],
      ["transaction / log", `${event.tx_index} / ${event.log_index}`, "position"]]),
    checksFor(STEP_CHECKS.event, tree)));

  const receipt = proof.receipt;
  path.append(el("li", { "data-step": "receipt" }, el("h3", { text: "Receipt" }),
    receipt.error
      ? el("p", { class: "error", text: `${receipt.error.reason}: ${receipt.error.detail}` })
      : fields([["hash", receipt.hash, "receipt_hash"], ["type", receipt.type], ["status", receipt.status, "receipt_status"],
        ["logs", receipt.logs], ["bytes", receipt.size]])));

  const nodes = el("ol", { class: "nodes", "data-part": "trie-nodes" });
  const fromLeaf = [...proof.trie.nodes].reverse();
  fromLeaf.forEach((node, i) => {
    const depth = proof.trie.nodes.length - 1 - i;
    const label = depth === 0 ? "root" : i === 0 ? "leaf" : `depth ${depth}`;
    nodes.append(el("li", { "data-node": depth, "data-hash": node.hash },
      el("span", { class: "muted", text: `${label}: ` }), el("span", { class: "mono", text: node.hash }),
      el("span", { class: "muted", text: ` (${node.size} bytes)` })));
  });
  const root = proof.trie.nodes.length ? proof.trie.nodes[0].hash : null;
  const header = proof.header;
  const rootLine = el("p", { "data-part": "trie-root" }, "root node hash ", el("span", { class: "mono", "data-field": "trie_root", text: root ?? "—" }),
    header && root === header.receipts_root ? " = the header's receiptsRoot" : " ≠ the header's receiptsRoot");
  path.append(el("li", { "data-step": "trie" }, el("h3", { text: `Receipt trie, key ${proof.trie.key}` }), nodes, rootLine,
    checksFor(STEP_CHECKS.trie, tree)));

  path.append(el("li", { "data-step": "header" }, el("h3", { text: "Block header" }),
    header
      ? fields([["number", header.number, "number"], ["hash", header.hash, "hash"],
        ["receiptsRoot", header.receipts_root, "receipts_root"], ["parent", header.parent_hash, "parent_hash"],
        ["stateRoot", header.state_root], ["time", new Date(header.timestamp * 1000).toISOString(), "timestamp"]])
      : el("p", { class: "error", text: "the header does not decode" }),
    checksFor(STEP_CHECKS.header, tree)));

  const seals = proof.seals;
  const evidence = el("li", { "data-step": "seals" }, el("h3", { text: `Finality: ${seals ? seals.mode : "unknown"}` }));
  if (seals && seals.seals.length) {
    const list = el("ol", { class: "nodes", "data-part": "seals" });
    for (const seal of seals.seals) {
      list.append(el("li", { class: "mono", text: seal.signer ? `sealed by ${seal.signer}` : `unreadable seal: ${seal.error.reason}` }));
    }
    evidence.append(list);
    if (seals.validators.length) evidence.append(el("p", { class: "muted", text: `${seals.validators.length} validators listed in the header` }));
  } else {
    const source = { relay: "the canonical hash the relay's agreeing endpoints confirmed when it accepted the bundle",
      none: "no canonical hash held for this block", not_needed: "" }[answer.canonical] || answer.canonical;
    evidence.append(el("p", { class: "muted", text: `Unsigned headers: finality rests on ${source}.` }));
  }
  if (seals) evidence.append(el("p", { class: "muted", text: `${seals.segment_headers} further headers in the bundle's segment` }));
  evidence.append(checksFor(STEP_CHECKS.seals, tree));
  path.append(evidence);
  return path;
}

function verdictBlock(answer, heading) {
  const v = answer.verification;
  const block = el("section", { class: "verdict", "data-claim": answer.claim },
    el("h2", {}, `${heading}: `, el("span", { class: "outcome", "data-outcome": v.outcome, text: v.outcome.replace("_", " ") })),
    el("p", { class: "muted mono" }, "claim ", el("a", { href: `#/bundle/${answer.claim}`, text: answer.claim })));
  if (answer.rejection) {
    block.append(el("p", { class: "error", text: `rejected: ${answer.rejection.reason}` }));
  }
  block.append(proofPath(answer));
  return block;
}

// `visit` is the route() call that opened the page: once the reader has moved on, answers still
// arriving for it are dropped instead of being drawn over the next page.
async function messagePage(id, visit) {
  const gone = () => visit !== visits;
  view.replaceChildren(el("h1", { text: "Message" }), el("p", { class: "muted", text: "Loading…" }));
  let message;
  try {
    message = await api(`/v1/messages/${encodeURIComponent(id)}`);
  } catch (e) {
    if (gone()) return;
    const why = e.status === 404 ? `No message with id ${id} is known to this relay.`
      : e.status === 400 ? `"${id}" is not a message id (0x and 64 lower-case hex digits).` : e.message;
    showError("Message not found", why);
    return;
  }
  if (gone()) return;
  const m = message.message;
  const page = [el("h1", { text: `Message ${short(message.id)}` }),
    fields([["id", message.id, "id"], ["lane", message.lane || "—", "lane"], ["state", message.state, "state"],
      ["sequence", m.sequence, "sequence"], ["attempts", message.attempts], ["claim", message.claim, "claim"],
      ["parked", message.parked_reason ? `${message.parked_reason} (from ${message.parked_from})` : null, "parked"]])];
  view.replaceChildren(...page);

  try {
    const answer = await api(`/v1/bundles/${message.claim}/verification`);
    if (gone()) return;
    view.append(verdictBlock(answer, "Proof of the event"));
  } catch (e) {
    if (gone()) return;
    view.append(el("h2", { text: "Proof of the event" }), el("p", { class: "error", text: e.message }));
  }

  const votes = el("section", { id: "votes" }, el("h2", { text: "Votes" }));
  view.append(votes);
  try {
    const answer = await api(`/v1/votes/${message.id}`);
    if (gone()) return;
    const list = answer.votes || [];
    if (!list.length) votes.append(el("p", { class: "muted", text: "No vote recorded." }));
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...["kind", "epoch", "signer", "origin", "claim"].map((h) => el("th", { text: h })))));
    const body = el("tbody");
    for (const vote of list) {
      body.append(el("tr", { "data-vote": vote.kind }, ...["kind", "epoch", "signer", "origin", "claim"].map(
        (k) => el("td", { class: "mono", text: k === "claim" ? short(vote[k]) : vote[k] ?? "—" }))));
    }
    table.append(body);
    if (list.length) votes.append(table);
  } catch (e) {
    if (gone()) return;
    votes.append(el("p", { class: "muted", text: e.status === 404 ? "No vote recorded." : e.message }));
  }

  const execution = el("section", { id: "execution" }, el("h2", { text: "Execution" }));
  view.append(execution);
  const x = message.execution;
  if (!x) {
    execution.append(el("p", { class: "muted", text: "Not executed on the target chain yet." }));
    return;
  }
  execution.append(fields([["status", EXEC_STATUS[x.status] ?? x.status, "exec_status"], ["transaction", x.tx_hash, "tx_hash"],
    ["block", x.block_number, "exec_block"], ["claim", x.claim, "exec_claim"]]));
  try {
    const answer = await api(`/v1/bundles/${x.claim}/verification`);
    if (gone()) return;
    execution.append(verdictBlock(answer, "Proof of the execution"));
  } catch (e) {
    if (gone()) return;
    execution.append(el("p", { class: "muted", text: e.status === 404 ? "The execution's proof is not held by this relay." : e.message }));
  }
}

// Any bundle the relay holds by its claim, rejected ones included: what an auditor follows from a
// rejection metric or an audit leaf.
async function bundlePage(claim, visit) {
  view.replaceChildren(el("h1", { text: "Bundle" }), el("p", { class: "muted", text: "Loading…" }));
  let answer;
  try {
    answer = await api(`/v1/bundles/${encodeURIComponent(claim)}/verification`);
  } catch (e) {
    if (visit !== visits) return;
    const why = e.status === 404 ? `No bundle with claim ${claim} is held by this relay.`
      : e.status === 400 ? `"${claim}" is not a claim (0x and 64 lower-case hex digits).` : e.message;
    showError("Bundle not found", why);
    return;
  }
  if (visit !== visits) return;
  const messageLink = el("a", { href: `#/message/${answer.message_id}`, text: answer.message_id });
  view.replaceChildren(el("h1", { text: `Bundle ${short(answer.claim)}` }),
    el("p", {}, `${answer.verified ? "Accepted" : "Not accepted"} by the relay; it names message `, messageLink, "."),
    verdictBlock(answer, "Verification"));
}

// ---- routing

let stopPage = () => {};
let visits = 0;

function route() {
  visits += 1;
  stopPage();
  stopPage = () => {};
  const hash = location.hash || "#/lanes";
  const [path, search] = hash.slice(1).split("?");
  const query = new URLSearchParams(search || "");
  const parts = path.split("/").filter(Boolean);
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("current", a.dataset.nav === parts[0]);
  if (parts[0] === "lanes" || parts.length === 0) stopPage = lanesPage();
  else if (parts[0] === "messages") stopPage = messagesPage(query);
  else if (parts[0] === "message" && parts.length === 2) messagePage(decodeURIComponent(parts[1]), visits);
  else if (parts[0] === "bundle" && parts.length === 2) bundlePage(decodeURIComponent(parts[1]), visits);
  else showError("Unknown page", `Nothing lives at ${hash}; try Lanes or Messages.`);
}

window.addEventListener("hashchange", route);
connectStream();
route();
