// The question dashboard of `twined dev`: one module, no dependencies, no build step. Everything it shows comes from
// the network's own API on this origin, and goes into the page as text (textContent, never HTML), so nothing a
// question carries can run as code here. Beyond loopback the API needs the network's token: asked for once, kept in
// sessionStorage (gone with the tab) and sent as `Authorization: Bearer` on every call, streams included.

const STATUSES = [
  "received",
  "validated",
  "dispatched",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "rejected",
];
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out", "rejected"]);
const TOKEN_KEY = "twined-network-token";
const PAGE_SIZE = 50;
const LOG_ROW_HEIGHT = 20;
const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
/** The filters of the question list, as the API and the page's address name them. */
const FILTERS = [
  "recipient",
  "status",
  "originator_question_uuid",
  "parent_question_uuid",
  "created_from",
  "created_before",
  "top_level",
];

class Unauthorized extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// The DOM, built from text only.

/** An element with attributes (`class`, `text`, `on<event>`, others as attributes) and children (nodes or text). */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = String(value);
    // Through the CSSOM: the page's content security policy refuses inline style attributes.
    else if (name === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A link inside the dashboard (a hash route). */
function route(path, params) {
  const query = params === undefined ? "" : params.toString();
  return `#${path}${query === "" ? "" : `?${query}`}`;
}

function questionLink(uuid, label = uuid) {
  return el("a", { href: route(`/question/${encodeURIComponent(uuid)}`), class: "mono", text: label });
}

/** A link to somewhere else, only for http(s) addresses (never `javascript:` and the like). */
function externalLink(url, label) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return el("a", { href: parsed.href, rel: "noopener noreferrer", target: "_blank", text: label ?? url });
    }
  } catch {
    // not a URL: shown as text
  }
  return el("span", { text: label ?? url });
}

function statusBadge(status) {
  return el("span", { class: `status status-${STATUSES.includes(status) ? status : "unknown"}`, text: status });
}

function formatTime(iso) {
  if (typeof iso !== "string") return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** When a question started (its job running, else when it was asked) and ended (its terminal status, else now). */
function span(question) {
  const times = question.status_times ?? {};
  const created = Date.parse(question.created_at);
  const started = Date.parse(times.running ?? "") || undefined;
  const ended = TERMINAL.has(question.status) ? Date.parse(times[question.status] ?? question.updated_at) : undefined;
  return { created, started, ended };
}

function duration(question) {
  const { created, ended } = span(question);
  return formatDuration((ended ?? Date.now()) - created);
}

function json(value) {
  return JSON.stringify(value, null, 2) ?? "null";
}

// ---------------------------------------------------------------------------------------------------------------
// The API, with the token when one is kept.

function authorised(headers = {}) {
  const result = new Headers(headers);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) result.set("authorization", `Bearer ${token}`);
  return result;
}

async function api(path, { method = "GET", body, signal } = {}) {
  const headers = authorised({ accept: "application/json" });
  if (body !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(path, {
    method,
    headers,
    signal,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401) throw new Unauthorized("the network needs its token");
  const text = await response.text();
  let parsed;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = new Error(parsed?.error?.message ?? `${method} ${path} answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return parsed;
}

/**
 * Follows a question's live event stream (`text/event-stream`) with fetch, which can send the token where
 * EventSource cannot, and resumes after the last event id when the connection drops, until the question has ended.
 */
async function followEvents(uuid, signal, onEvent, onState) {
  let after = 0;
  while (!signal.aborted) {
    let ended = false;
    try {
      onState("connecting");
      const response = await fetch(`/questions/${encodeURIComponent(uuid)}/events?after=${after}`, {
        headers: authorised({ accept: "text/event-stream" }),
        signal,
      });
      if (response.status === 401) throw new Unauthorized("the network needs its token");
      if (!response.ok || response.body === null) throw new Error(`the event stream answered ${response.status}`);
      onState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.search(/\r?\n\r?\n/); end >= 0; end = buffer.search(/\r?\n\r?\n/)) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(buffer.slice(end).startsWith("\r\n\r\n") ? end + 4 : end + 2);
          const message = parseServerSentEvent(block);
          if (message === undefined) continue;
          if (message.id !== undefined && /^\d+$/.test(message.id)) after = Number(message.id);
          if (message.type === "result" || message.type === "exception") ended = true;
          onEvent(message);
        }
      }
      if (ended) break;
      // The stream ends once the question has; otherwise the connection dropped.
      const question = await api(`/questions/${encodeURIComponent(uuid)}`, { signal });
      if (TERMINAL.has(question.status)) break;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof Unauthorized) throw error;
      onState("reconnecting");
      await sleep(2000, signal);
    }
  }
  onState("ended");
}

function parseServerSentEvent(block) {
  let type = "message";
  let id;
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { type, id, data: JSON.parse(data.join("\n")) };
  } catch {
    return undefined;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Routing: every view is an address (`#/questions?…`, `#/question/UUID`, `#/registry`), so views can be shared.

const main = () => document.getElementById("main");
let stopView = () => {};

function setConnection(text) {
  const status = document.getElementById("connection");
  if (status !== null) status.textContent = text;
}

async function render() {
  stopView();
  const controller = new AbortController();
  stopView = () => controller.abort();
  const { signal } = controller;
  const raw = location.hash.replace(/^#/, "") || "/questions";
  const [path, query = ""] = raw.split("?");
  const params = new URLSearchParams(query);
  const container = main();
  container.replaceChildren();
  setConnection("");
  for (const link of document.querySelectorAll("nav a[data-view]")) {
    const current = path.startsWith(`/${link.dataset.view}`) || (link.dataset.view === "questions" && path === "/");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    const question = /^\/question\/([^/]+)$/.exec(path);
    if (question !== null) await questionView(container, decodeURIComponent(question[1]), params, signal);
    else if (path === "/registry") await registryView(container, signal);
    else await questionsView(container, params, signal);
  } catch (error) {
    if (signal.aborted) return;
    if (error instanceof Unauthorized) tokenView(container);
    else container.append(el("p", { class: "error-box", role: "alert", text: String(error.message ?? error) }));
  }
}

function tokenView(container) {
  const input = el("input", {
    id: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = el(
    "form",
    {
      class: "token-form",
      onsubmit: (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        render();
      },
    },
    el("h1", { text: "This network needs its token" }),
    el("p", {
      text: "twined dev printed it when it made it, and keeps it in its data folder (network-token). It stays in this tab only.",
    }),
    el("label", { for: "token", text: "Token" }),
    input,
    el("button", { type: "submit", text: "Use the token" }),
  );
  if (sessionStorage.getItem(TOKEN_KEY)) {
    form.insertBefore(el("p", { class: "error-box", role: "alert", text: "That token was refused." }), input);
  }
  container.replaceChildren(form);
  input.focus();
}

// ---------------------------------------------------------------------------------------------------------------
// (a) The question list.

/** The list's filters from the page's address; top-level questions only unless a tree link or the box says not. */
function listFilters(params) {
  const filters = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value !== null && value !== "") filters.set(name, value);
  }
  if (!filters.has("top_level") && !filters.has("parent_question_uuid") && !filters.has("originator_question_uuid")) {
    filters.set("top_level", "true");
  }
  if (filters.get("top_level") === "false" || filters.has("parent_question_uuid")) filters.delete("top_level");
  return filters;
}

function toLocalInput(iso) {
  const date = new Date(iso ?? "");
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

async function questionsView(container, params, signal) {
  const filters = listFilters(params);
  const topLevel = filters.get("top_level") === "true";
  const cursor = params.get("cursor");
  container.append(el("h1", { text: "Questions" }));

  const registry = api("/registry", { signal }).catch(() => ({ revisions: [] }));
  const form = filterForm(filters, params);
  container.append(form);
  const services = el("datalist", { id: "services" });
  form.append(services);
  registry.then(({ revisions }) => {
    for (const revision of revisions ?? []) services.append(el("option", { value: revision.sruid }));
  });

  const countsList = el("ul", { class: "counts", "aria-label": "Questions by status" });
  container.append(countsList);
  const counting = new URLSearchParams(filters);
  counting.delete("status");
  const listing = new URLSearchParams(filters);
  listing.set("limit", String(PAGE_SIZE));
  if (cursor) listing.set("cursor", cursor);
  const [counts, page] = await Promise.all([
    api(`/questions/counts?${counting}`, { signal }),
    api(`/questions?${listing}`, { signal }),
  ]);
  countsList.append(
    el("li", {}, statusFilterButton(params, undefined, `All ${counts.total}`, !filters.has("status"))),
    ...STATUSES.filter((status) => counts.counts[status] !== undefined).map((status) =>
      el(
        "li",
        {},
        statusFilterButton(params, status, `${status} ${counts.counts[status]}`, filters.get("status") === status),
      ),
    ),
  );

  if (page.questions.length === 0) {
    container.append(el("p", { class: "muted", text: "No questions match these filters." }));
  } else {
    const body = el("tbody");
    for (const question of page.questions) body.append(...questionRows(question, 0, topLevel));
    container.append(
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          { class: "questions" },
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", { scope: "col", text: "Status" }),
              el("th", { scope: "col", text: "Question" }),
              el("th", { scope: "col", text: "Service" }),
              el("th", { scope: "col", class: "optional", text: "Asked" }),
              el("th", { scope: "col", class: "optional", text: "Duration" }),
              el("th", { scope: "col", text: topLevel ? "Children" : "Parent" }),
            ),
          ),
          body,
        ),
      ),
    );
  }
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    const first = new URLSearchParams(params);
    first.delete("cursor");
    pager.append(el("a", { href: route("/questions", first), text: "← Newest" }));
  }
  if (page.next_cursor) {
    const next = new URLSearchParams(params);
    next.set("cursor", page.next_cursor);
    pager.append(el("a", { href: route("/questions", next), rel: "next", text: "Older →" }));
  }
  container.append(pager);
}

function statusFilterButton(params, status, label, pressed) {
  return el("button", {
    type: "button",
    "aria-pressed": pressed ? "true" : "false",
    text: label,
    onclick: () => {
      const next = new URLSearchParams(params);
      next.delete("cursor");
      if (status === undefined) next.delete("status");
      else next.set("status", status);
      location.hash = route("/questions", next);
    },
  });
}

function filterForm(filters, params) {
  const field = (name, label, input) => el("label", { for: `filter-${name}` }, label, input);
  const text = (name, placeholder) =>
    el("input", {
      id: `filter-${name}`,
      name,
      value: filters.get(name) ?? "",
      placeholder,
      autocomplete: "off",
      spellcheck: "false",
    });
  const time = (name) =>
    el("input", { id: `filter-${name}`, name, type: "datetime-local", value: toLocalInput(filters.get(name)) });
  const status = el(
    "select",
    { id: "filter-status", name: "status" },
    el("option", { value: "", text: "any" }),
    ...STATUSES.map((value) => el("option", { value, text: value, selected: filters.get("status") === value })),
  );
  const recipient = text("recipient", "namespace/name:tag");
  recipient.setAttribute("list", "services");
  const topLevel = el("input", {
    id: "filter-top_level",
    name: "top_level",
    type: "checkbox",
    checked: filters.get("top_level") === "true",
  });
  return el(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter questions",
      onsubmit: (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const next = new URLSearchParams();
        for (const name of ["recipient", "status", "originator_question_uuid", "parent_question_uuid"]) {
          const value = String(form.get(name) ?? "").trim();
          if (value !== "") next.set(name, value);
        }
        for (const name of ["created_from", "created_before"]) {
          const value = String(form.get(name) ?? "");
          if (value !== "") next.set(name, new Date(value).toISOString());
        }
        next.set("top_level", form.get("top_level") === null ? "false" : "true");
        location.hash = route("/questions", next);
      },
    },
    field("recipient", "Service (revision)", recipient),
    field("status", "Status", status),
    field("originator_question_uuid", "Originator question", text("originator_question_uuid", "UUID")),
    field("parent_question_uuid", "Parent question", text("parent_question_uuid", "UUID")),
    field("created_from", "Asked from", time("created_from")),
    field("created_before", "Asked before", time("created_before")),
    el("label", { class: "check", for: "filter-top_level" }, topLevel, "Top-level only (children folded)"),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", text: "Apply" }),
      el("button", {
        type: "button",
        text: "Clear",
        onclick: () => {
          location.hash = route("/questions");
        },
      }),
      el("button", { type: "button", text: "Refresh", onclick: () => render(params) }),
    ),
  );
}

/** A question's row, and, for top-level lists, a button that unfolds its children beneath it. */
function questionRows(question, depth, foldable) {
  const row = el(
    "tr",
    { class: depth > 0 ? "child" : undefined, "data-question": question.question_uuid },
    el("td", {}, statusBadge(question.status)),
    el(
      "td",
      { class: "uuid", style: depth > 0 ? { paddingLeft: `${depth * 1.25 + 0.5}rem` } : undefined },
      questionLink(question.question_uuid),
    ),
    el("td", { text: question.recipient }),
    el("td", { class: "optional", text: formatTime(question.created_at) }),
    el("td", { class: "optional", text: duration(question) }),
  );
  if (!foldable) {
    row.append(
      el("td", {}, question.parent_question_uuid ? questionLink(question.parent_question_uuid, "parent") : "—"),
    );
    return [row];
  }
  const toggle = el("button", {
    type: "button",
    class: "fold",
    "aria-expanded": "false",
    "aria-label": `Show the children of ${question.question_uuid}`,
    text: "▸ children",
  });
  let shown = [];
  toggle.addEventListener("click", async () => {
    if (toggle.getAttribute("aria-expanded") === "true") {
      for (const node of shown) node.remove();
      shown = [];
      toggle.setAttribute("aria-expanded", "false");
      toggle.textContent = "▸ children";
      return;
    }
    toggle.disabled = true;
    try {
      const uuid = encodeURIComponent(question.question_uuid);
      const [children, counts] = await Promise.all([
        api(`/questions?parent_question_uuid=${uuid}&limit=200`),
        api(`/questions/counts?parent_question_uuid=${uuid}`),
      ]);
      const summary = Object.entries(counts.counts)
        .map(([status, count]) => `${count} ${status}`)
        .join(", ");
      const summaryRow = el(
        "tr",
        { class: "child" },
        el("td", {
          colspan: "6",
          class: "muted",
          text: counts.total === 0 ? "No children." : `${counts.total} children: ${summary}`,
        }),
      );
      shown = [summaryRow, ...children.questions.flatMap((child) => questionRows(child, depth + 1, true))];
      let after = row;
      for (const node of shown) {
        after.after(node);
        after = node;
      }
      toggle.setAttribute("aria-expanded", "true");
      toggle.textContent = "▾ children";
    } catch (error) {
      if (error instanceof Unauthorized) tokenView(main());
      else toggle.textContent = `children: ${error.message}`;
    } finally {
      toggle.disabled = false;
    }
  });
  row.append(el("td", {}, toggle));
  return [row];
}

// ---------------------------------------------------------------------------------------------------------------
// (b) One question: its tree on a timeline, its logs, monitor messages, inputs and answer; cancel; ask again.

async function questionView(container, uuid, params, signal) {
  const path = `/questions/${encodeURIComponent(uuid)}`;
  let question = await api(path, { signal });
  const statusSlot = el("span", {}, statusBadge(question.status));
  const durationSlot = el("span", { text: duration(question) });
  const cancel = el("button", {
    type: "button",
    class: "danger",
    text: "Cancel the question",
    disabled: TERMINAL.has(question.status),
  });
  const notice = el("p", { role: "status", "aria-live": "polite", class: "muted" });
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      await api(`${path}/cancel`, { method: "POST", body: { reason: "cancelled from the dashboard" } });
      notice.textContent = "Cancellation asked.";
      await refresh();
    } catch (error) {
      notice.textContent = `Cancelling failed: ${error.message}`;
      cancel.disabled = TERMINAL.has(question.status);
    }
  });

  container.append(
    el("h1", {}, "Question ", el("span", { class: "mono", text: uuid })),
    el(
      "dl",
      { class: "facts" },
      el("dt", { text: "Service" }),
      el("dd", {}, question.recipient),
      el("dt", { text: "Status" }),
      el("dd", {}, statusSlot),
      el("dt", { text: "Asked by" }),
      el("dd", { text: question.sender }),
      el("dt", { text: "Asked at" }),
      el("dd", { text: formatTime(question.created_at) }),
      el("dt", { text: "Duration" }),
      el("dd", {}, durationSlot),
      el("dt", { text: "Parent" }),
      el("dd", {}, question.parent_question_uuid ? questionLink(question.parent_question_uuid) : "none (top-level)"),
      el("dt", { text: "Originator" }),
      el("dd", {}, questionLink(question.originator_question_uuid)),
      el("dt", { text: "Priority, CPUs" }),
      el("dd", { text: `${question.priority}, ${question.resources?.cpus ?? ""}` }),
      // The trace the question was asked in, when the network traces: to look up in Cloud Trace or a collector.
      question.trace_id ? [el("dt", { text: "Trace" }), el("dd", { class: "mono", text: question.trace_id })] : [],
    ),
    el("div", { class: "toolbar" }, cancel, notice),
  );

  const asked = await api(`${path}/question`, { signal }).catch(() => undefined);
  container.append(el("h2", { text: "Ask it again" }), askAgain(question, asked?.event));

  const tree = el("ol", { class: "tree", "aria-label": "The question and the questions it asked" });
  container.append(el("h2", { text: "Question tree" }), tree);

  const logs = new LogView();
  const monitor = new MonitorView();
  const answer = el("div");
  const inputs = el("div");
  showInputs(inputs, asked?.event);
  const tabs = tabbed(
    [
      ["logs", "Logs", logs.element],
      ["monitor", "Monitor", monitor.element],
      ["input", "Input", inputs],
      ["answer", "Answer", answer],
    ],
    params.get("tab") ?? "logs",
    (name) => {
      const next = new URLSearchParams(params);
      next.set("tab", name);
      history.replaceState(null, "", route(`/question/${encodeURIComponent(uuid)}`, next));
      if (name === "logs") logs.draw();
    },
  );
  container.append(tabs);

  async function refresh() {
    question = await api(path, { signal });
    statusSlot.replaceChildren(statusBadge(question.status));
    durationSlot.textContent = duration(question);
    cancel.disabled = TERMINAL.has(question.status);
    if (TERMINAL.has(question.status)) {
      await showAnswer(answer, question, signal);
      await drawTree();
    }
  }

  async function drawTree() {
    const members = await api(
      `/questions?originator_question_uuid=${encodeURIComponent(question.originator_question_uuid)}&limit=1000`,
      { signal },
    );
    renderTree(tree, uuid, members.questions.length > 0 ? members.questions : [question]);
    return members.questions.every((member) => TERMINAL.has(member.status));
  }

  await showAnswer(answer, question, signal);
  let treeDone = await drawTree();
  // The tree and the duration tick while anything in the tree runs.
  (async () => {
    while (!signal.aborted && !(treeDone && TERMINAL.has(question.status))) {
      await sleep(1500, signal);
      if (signal.aborted) return;
      try {
        treeDone = await drawTree();
        durationSlot.textContent = duration(question);
      } catch {
        // shown again at the next tick
      }
    }
  })();

  followEvents(
    uuid,
    signal,
    (message) => {
      const event = message.data?.event;
      if (message.type === "status") {
        refresh().catch(() => {});
      } else if (event?.kind === "log_record") {
        logs.add(event.log_record ?? {}, message.data.recorded_at);
      } else if (event?.kind === "monitor_message") {
        monitor.add(event.data, message.data.recorded_at);
      } else if (event?.kind === "result" || event?.kind === "exception") {
        refresh().catch(() => {});
      }
    },
    (state) => setConnection(state === "ended" ? "" : `events: ${state}`),
  ).catch((error) => {
    if (error instanceof Unauthorized) tokenView(container);
  });
}

/** Tabs as buttons (`role=tab`), the arrow keys moving between them. */
function tabbed(tabs, selected, onSelect) {
  const list = el("div", { class: "tabs", role: "tablist", "aria-label": "Details" });
  const panels = [];
  const select = (name, focus) => {
    for (const button of list.children) {
      const on = button.dataset.tab === name;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      if (on && focus) button.focus();
    }
    for (const panel of panels) panel.hidden = panel.dataset.tab !== name;
    onSelect(name);
  };
  for (const [name, label, content] of tabs) {
    list.append(
      el("button", {
        type: "button",
        role: "tab",
        id: `tab-${name}`,
        "data-tab": name,
        "aria-controls": `panel-${name}`,
        text: label,
        onclick: () => select(name, false),
        onkeydown: (event) => {
          const names = tabs.map(([tab]) => tab);
          const index = names.indexOf(name);
          if (event.key === "ArrowRight") select(names[(index + 1) % names.length], true);
          if (event.key === "ArrowLeft") select(names[(index + names.length - 1) % names.length], true);
        },
      }),
    );
    panels.push(
      el(
        "section",
        { class: "panel", role: "tabpanel", id: `panel-${name}`, "data-tab": name, "aria-labelledby": `tab-${name}` },
        content,
      ),
    );
  }
  const wrapper = el("div", {}, list, ...panels);
  select(tabs.some(([name]) => name === selected) ? selected : tabs[0][0], false);
  return wrapper;
}

/** The `twined question ask` command that asks the same question again, quoted for a POSIX shell. */
function askAgain(question, event) {
  const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
  const parts = ["twined question ask", question.recipient];
  if (event?.input_values !== undefined && event.input_values !== null) {
    parts.push("-i", quote(JSON.stringify(event.input_values)));
  }
  if (event?.input_manifest !== undefined && event.input_manifest !== null) {
    parts.push("-m", quote(JSON.stringify(event.input_manifest)));
  }
  if (question.priority) parts.push("--priority", String(question.priority));
  const command = parts.join(" ");
  const code = el("code", { id: "ask-again", text: command });
  const status = el("span", { role: "status", "aria-live": "polite", class: "muted" });
  const copy = el("button", {
    type: "button",
    text: "Copy",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(command);
        status.textContent = "Copied.";
      } catch {
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
        status.textContent = "Selected: copy it with Ctrl-C.";
      }
    },
  });
  return el("div", { class: "command" }, code, copy, status);
}

/** The question and everything it asked, each on a timeline of the whole tree. */
function renderTree(list, focus, members) {
  const byParent = new Map();
  const byUuid = new Map(members.map((member) => [member.question_uuid, member]));
  for (const member of members) {
    const parent = member.parent_question_uuid ?? "";
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(member);
  }
  const root = byUuid.get(focus) ?? members[0];
  const shown = [];
  const walk = (member, depth) => {
    shown.push([member, depth]);
    const children = (byParent.get(member.question_uuid) ?? []).sort((a, b) =>
      a.created_at.localeCompare(b.created_at),
    );
    for (const child of children) walk(child, depth + 1);
  };
  walk(root, 0);
  const spans = shown.map(([member]) => span(member));
  const start = Math.min(...spans.map((s) => s.created));
  const end = Math.max(...spans.map((s) => s.ended ?? Date.now()), start + 1);
  const at = (time) => `${(((time - start) / (end - start)) * 100).toFixed(2)}%`;
  list.replaceChildren(
    ...shown.map(([member, depth], index) => {
      const { created, started, ended } = spans[index];
      const runFrom = started ?? ended ?? Date.now();
      const runTo = ended ?? Date.now();
      const waitTitle = `waited ${formatDuration(runFrom - created)}`;
      const runTitle = started === undefined ? "did not run" : `ran ${formatDuration(runTo - started)}`;
      return el(
        "li",
        {
          "data-question": member.question_uuid,
          "aria-current": member.question_uuid === focus ? "true" : undefined,
        },
        el(
          "span",
          { class: "node", style: { paddingLeft: `${depth * 1.25}rem` } },
          statusBadge(member.status),
          " ",
          member.question_uuid === focus
            ? el("span", { text: member.recipient })
            : questionLink(member.question_uuid, member.recipient),
          el("span", { class: "muted", text: ` ${duration(member)}` }),
          // An asker's retry of a question that failed before: the attempt this question is.
          member.retry_count > 0
            ? el("span", {
                class: "retry",
                text: ` retry ${member.retry_count}`,
                title: `asked again by its asker (attempt ${member.retry_count + 1})`,
              })
            : undefined,
        ),
        el(
          "span",
          { class: `lane status-${member.status}`, role: "img", "aria-label": `${waitTitle}; ${runTitle}` },
          el("span", {
            class: "wait",
            title: waitTitle,
            style: { left: at(created), width: `calc(${at(runFrom)} - ${at(created)})` },
          }),
          started === undefined
            ? undefined
            : el("span", {
                class: "bar",
                title: runTitle,
                style: { left: at(started), width: `calc(${at(runTo)} - ${at(started)})` },
              }),
        ),
      );
    }),
  );
}

function showInputs(panel, event) {
  if (event === undefined) {
    panel.replaceChildren(el("p", { class: "muted", text: "The question as asked is not available." }));
    return;
  }
  panel.replaceChildren(
    el("h3", { text: "Input values" }),
    el("pre", { text: json(event.input_values ?? null) }),
    el("h3", { text: "Input manifest" }),
    event.input_manifest ? manifestView(event.input_manifest) : el("p", { class: "muted", text: "none" }),
    ...(event.children ? [el("h3", { text: "Children" }), el("pre", { text: json(event.children) })] : []),
  );
}

async function showAnswer(panel, question, signal) {
  if (question.status === "succeeded") {
    const path = `/questions/${encodeURIComponent(question.question_uuid)}/output-manifest`;
    const manifest = question.answer?.output_manifest
      ? await api(path, { signal }).catch(() => question.answer.output_manifest)
      : undefined;
    panel.replaceChildren(
      el("h3", { text: "Output values" }),
      el("pre", { class: "output-values", text: json(question.answer?.output_values ?? null) }),
      el("h3", { text: "Output manifest" }),
      manifest ? manifestView(manifest) : el("p", { class: "muted", text: "none" }),
    );
  } else if (question.error !== undefined) {
    panel.replaceChildren(
      el("p", { class: "error-box" }, el("strong", { text: question.error.type }), ": ", question.error.message),
      ...(question.error.traceback?.length
        ? [el("h3", { text: "Traceback" }), el("pre", { class: "traceback", text: question.error.traceback.join("") })]
        : []),
    );
  } else if (TERMINAL.has(question.status)) {
    panel.replaceChildren(el("p", { class: "muted", text: `The question ended ${question.status}, with no answer.` }));
  } else {
    panel.replaceChildren(el("p", { class: "muted", text: "No answer yet." }));
  }
}

/** A manifest's datasets and files, links where they are URLs (signed ones included). */
function manifestView(manifest) {
  const datasets = manifest?.datasets;
  if (datasets === null || typeof datasets !== "object") return el("pre", { text: json(manifest) });
  const list = el("ul", { class: "manifest" });
  for (const [key, dataset] of Object.entries(datasets)) {
    const location = typeof dataset === "string" ? dataset : (dataset?.path ?? dataset?.name ?? "");
    const files = Array.isArray(dataset?.files) ? dataset.files : [];
    list.append(
      el(
        "li",
        {},
        el("strong", { text: key }),
        ": ",
        externalLink(String(location)),
        files.length === 0
          ? undefined
          : el(
              "ul",
              {},
              ...files.map((file) =>
                el("li", {}, externalLink(String(typeof file === "string" ? file : (file?.path ?? json(file))))),
              ),
            ),
      ),
    );
  }
  return el(
    "div",
    {},
    list,
    el("details", {}, el("summary", { text: "As JSON" }), el("pre", { text: json(manifest) })),
  );
}

/**
 * A question's logs, rendered as they scroll: only the rows in view (and a margin) are in the page, so thousands of
 * records stay quick; it follows the newest while scrolled to the bottom.
 */
class LogView {
  constructor() {
    this.records = [];
    this.shown = [];
    this.minimum = 0;
    this.pending = false;
    this.viewport = el("div", { class: "logs", role: "log", tabindex: "0", "aria-label": "Logs" });
    this.spacer = el("div", { class: "spacer" });
    this.viewport.append(this.spacer);
    this.viewport.addEventListener("scroll", () => this.schedule());
    this.count = el("span", { class: "muted", role: "status", text: "No log records yet." });
    const level = el(
      "select",
      {
        id: "log-level",
        onchange: (event) => {
          this.minimum = Number(event.currentTarget.value);
          this.shown = [];
          for (let index = 0; index < this.records.length; index++) {
            if (this.records[index].level >= this.minimum) this.shown.push(index);
          }
          this.stick = true;
          this.schedule();
        },
      },
      ...Object.entries(LEVELS).map(([name, value]) =>
        el("option", { value: String(value), text: `${name} and above` }),
      ),
    );
    level.value = "0";
    level.prepend(el("option", { value: "0", text: "all", selected: true }));
    this.stick = true;
    this.element = el(
      "div",
      {},
      el("div", { class: "toolbar" }, el("label", { for: "log-level", text: "Severity" }), level, this.count),
      this.viewport,
    );
  }

  add(record, recordedAt) {
    const levelName = String(record.levelname ?? "INFO");
    const created = typeof record.created === "number" ? new Date(record.created * 1000) : new Date(recordedAt);
    const time = Number.isNaN(created.getTime()) ? "" : created.toISOString().slice(11, 23);
    const text = `${time} ${levelName.padEnd(8)} ${record.name ? `${record.name}: ` : ""}${String(record.msg ?? "")}`;
    const level = typeof record.levelno === "number" ? record.levelno : (LEVELS[levelName] ?? 20);
    this.records.push({ text, level, levelName });
    if (level >= this.minimum) this.shown.push(this.records.length - 1);
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    const viewport = this.viewport;
    const atBottom = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - LOG_ROW_HEIGHT;
    this.spacer.style.height = `${this.shown.length * LOG_ROW_HEIGHT}px`;
    if (this.stick || atBottom) viewport.scrollTop = viewport.scrollHeight;
    this.stick = false;
    const height = viewport.clientHeight || 400;
    const first = Math.max(0, Math.floor(viewport.scrollTop / LOG_ROW_HEIGHT) - 10);
    const last = Math.min(this.shown.length, first + Math.ceil(height / LOG_ROW_HEIGHT) + 20);
    const rows = [];
    for (let position = first; position < last; position++) {
      const record = this.records[this.shown[position]];
      rows.push(
        el("div", {
          class: `row level-${record.levelName}`,
          style: { top: `${position * LOG_ROW_HEIGHT}px` },
          title: record.text,
          text: record.text,
        }),
      );
    }
    viewport.replaceChildren(this.spacer, ...rows);
    this.count.textContent =
      this.records.length === 0 ? "No log records yet." : `${this.shown.length} of ${this.records.length} records`;
  }
}

/** Monitor messages: each numeric field drawn over time; `completed`/`total` or `progress` as a bar. */
class MonitorView {
  constructor() {
    this.messages = [];
    this.pending = false;
    this.progress = el("div", { class: "progress" });
    this.charts = el("div", { class: "charts" });
    this.latest = el("pre", { class: "latest" });
    this.empty = el("p", { class: "muted", text: "No monitor messages yet." });
    this.element = el(
      "div",
      {},
      this.empty,
      this.progress,
      this.charts,
      el("details", {}, el("summary", { text: "The latest message" }), this.latest),
    );
  }

  add(data, recordedAt) {
    this.messages.push({ data, at: Date.parse(recordedAt) || Date.now() });
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw() {
    this.empty.hidden = this.messages.length > 0;
    const series = new Map();
    for (const { data, at } of this.messages) {
      const fields = typeof data === "number" ? { value: data } : data !== null && typeof data === "object" ? data : {};
      for (const [name, value] of Object.entries(fields)) {
        if (typeof value !== "number" || !Number.isFinite(value)) continue;
        if (!series.has(name)) series.set(name, []);
        series.get(name).push({ at, value });
      }
    }
    const last = this.messages.at(-1)?.data;
    this.latest.textContent = json(last ?? null);
    this.progress.replaceChildren(...progressBar(last));
    this.charts.replaceChildren(...[...series].map(([name, points]) => lineChart(name, points)));
  }
}

function progressBar(data) {
  if (data === null || typeof data !== "object") return [];
  let value;
  let max;
  if (typeof data.completed === "number" && typeof data.total === "number" && data.total > 0) {
    value = data.completed;
    max = data.total;
  } else if (typeof data.progress === "number") {
    max = data.progress <= 1 ? 1 : 100;
    value = data.progress;
  } else {
    return [];
  }
  const percent = Math.round((value / max) * 100);
  return [
    el("label", { for: "monitor-progress", text: `Progress: ${percent}%` }),
    el("progress", { id: "monitor-progress", value: String(value), max: String(max), text: `${percent}%` }),
  ];
}

/** A small line chart as inline SVG, one point per message (its value in the point's tooltip). */
function lineChart(name, points) {
  const width = 320;
  const height = 160;
  const pad = { left: 40, right: 10, top: 10, bottom: 24 };
  const times = points.map((point) => point.at);
  const values = points.map((point) => point.value);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (v0 === v1) [v0, v1] = [v0 - 1, v1 + 1];
  const x = (t) => pad.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  const coordinates = points.map((point) => `${x(point.at).toFixed(1)},${y(point.value).toFixed(1)}`);
  const label = `${name}: ${points.length} points, from ${Math.min(...values)} to ${Math.max(...values)}`;
  return el(
    "figure",
    { class: "chart", "data-series": name },
    svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
      svg("line", {
        class: "axis",
        x1: pad.left,
        y1: height - pad.bottom,
        x2: width - pad.right,
        y2: height - pad.bottom,
      }),
      svg("line", { class: "axis", x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom }),
      svg("text", { x: 2, y: pad.top + 8, text: formatNumber(v1) }),
      svg("text", { x: 2, y: height - pad.bottom, text: formatNumber(v0) }),
      svg("text", { x: pad.left, y: height - 6, text: "0 s" }),
      svg("text", {
        x: width - pad.right,
        y: height - 6,
        "text-anchor": "end",
        text: formatDuration(t1 - t0) || "0 s",
      }),
      svg("polyline", { class: "line", points: coordinates.join(" ") }),
      ...points.map((point, index) => {
        const [cx, cy] = coordinates[index].split(",");
        return svg(
          "circle",
          { class: "point", cx, cy, r: 3, "data-value": String(point.value) },
          svg("title", { text: `${name} = ${point.value} at ${new Date(point.at).toLocaleTimeString()}` }),
        );
      }),
    ),
    el("figcaption", { text: `${name} (latest ${formatNumber(values.at(-1))})` }),
  );
}

function formatNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

// ---------------------------------------------------------------------------------------------------------------
// (c) The registry: services, their revisions and defaults, and each revision's twine.

async function registryView(container, signal) {
  const { revisions } = await api("/registry", { signal });
  container.append(el("h1", { text: "Registry" }));
  if (revisions.length === 0) {
    container.append(el("p", { class: "muted", text: "No services are registered." }));
    return;
  }
  const services = new Map();
  for (const revision of revisions) {
    const key = `${revision.namespace}/${revision.name}`;
    if (!services.has(key)) services.set(key, []);
    services.get(key).push(revision);
  }
  for (const [service, list] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    const defaultRevision = list.find((revision) => revision.is_default);
    container.append(
      el(
        "section",
        { class: "service", "data-service": service },
        el("h2", { text: service }),
        el("p", {
          class: "muted",
          text: defaultRevision ? `Default revision: ${defaultRevision.revision_tag}` : "No default revision.",
        }),
        ...list.map((revision) => revisionView(revision)),
      ),
    );
  }
}

function revisionView(revision) {
  const questions = new URLSearchParams({ recipient: revision.sruid, top_level: "false" });
  return el(
    "details",
    { class: "revision" },
    el(
      "summary",
      {},
      el("span", { class: "mono", text: revision.revision_tag }),
      revision.is_default ? " (default)" : "",
      el("span", { class: "muted", text: ` registered ${formatTime(revision.registered_at)}` }),
    ),
    el(
      "dl",
      { class: "facts" },
      el("dt", { text: "SRUID" }),
      el("dd", { class: "mono", text: revision.sruid }),
      el("dt", { text: "Source" }),
      el("dd", { text: describeSource(revision.source) }),
      el("dt", { text: "Questions" }),
      el("dd", {}, el("a", { href: route("/questions", questions), text: "its questions" })),
    ),
    twineView(revision.twine),
  );
}

function describeSource(source) {
  if (source === null || typeof source !== "object") return String(source ?? "");
  return Object.entries(source)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

/** A twine's strands, each schema's fields as a table, and the whole as JSON. */
function twineView(twine) {
  const sections = [];
  for (const [strand, value] of Object.entries(twine ?? {})) {
    const properties = value?.properties;
    const required = new Set(Array.isArray(value?.required) ? value.required : []);
    let body;
    if (properties !== null && typeof properties === "object" && Object.keys(properties).length > 0) {
      body = el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          {},
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ...["Field", "Type", "Required", "Description"].map((text) => el("th", { scope: "col", text })),
            ),
          ),
          el(
            "tbody",
            {},
            ...Object.entries(properties).map(([field, schema]) =>
              el(
                "tr",
                {},
                el("td", { class: "mono", text: field }),
                el("td", { text: schemaType(schema) }),
                el("td", { text: required.has(field) ? "yes" : "" }),
                el("td", { text: schema?.description ?? schema?.title ?? "" }),
              ),
            ),
          ),
        ),
      );
    } else if (Array.isArray(value)) {
      body = el(
        "ul",
        {},
        ...value.map((item) =>
          el("li", { text: item?.key ? `${item.key}: ${item.purpose ?? ""}` : JSON.stringify(item) }),
        ),
      );
    } else {
      body = el("pre", { text: json(value) });
    }
    sections.push(el("section", {}, el("h3", { class: "mono", text: strand }), body));
  }
  return el(
    "div",
    { class: "twine" },
    ...sections,
    el("details", {}, el("summary", { text: "The twine as JSON" }), el("pre", { text: json(twine) })),
  );
}

function schemaType(schema) {
  if (schema === null || typeof schema !== "object") return "";
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if (typeof schema.type === "string") {
    return schema.type === "array" && schema.items?.type ? `array of ${schema.items.type}` : schema.type;
  }
  if (schema.enum) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`;
  if (schema.$ref) return schema.$ref;
  return "";
}

window.addEventListener("hashchange", () => render());
render();
