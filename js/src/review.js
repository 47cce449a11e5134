// @ts-check
/**
 * "Review" mode of the span view: walk the ranked suspects (Corpus.suspects()) one at a time.
 *
 * The front end never holds the list: it asks Python for the suspect at an index among the pending
 * ones (`{kind: "review", op: "get", index}`) and renders the reply — the suspect, its evidence and
 * suggestion, the counter, and its sentence (drawn by the span view's own row code, so a span can be
 * edited as usual). Decisions are `{op: "decide", key, decision}`; Python answers with the suspect now
 * at that index. Only the reply to the latest request is rendered. Keys: a accept, r reject, e edit,
 * j / k next / previous. Corpus text only ever goes through textContent.
 */
import { applyLabelStyle } from "./color.js";
import { fmtInt, h, plural } from "./dom.js";
import { newId } from "./ids.js";

/**
 * @typedef {Object} Suspect
 * @property {number} rank
 * @property {number} sentence
 * @property {number} start
 * @property {number} end
 * @property {string} text
 * @property {string} label
 * @property {string} suggestion
 * @property {number} suggest_start
 * @property {number} suggest_end
 * @property {number | null} score
 * @property {string} finder
 * @property {string} evidence
 * @property {Record<string, unknown>} key
 */

/**
 * @typedef {Object} ReviewDeps
 * @property {import("./span_view.js").Model} model
 * @property {() => (label: string) => import("./color.js").LabelStyle} styleFor
 * @property {(row: any | null) => void} showRow render the suspect's sentence (or nothing)
 * @property {(start: number, end: number) => void} editAt open the edit menu on these tokens
 * @property {() => boolean} isMenuOpen
 * @property {(text: string) => void} setStatus
 * @property {(text: string) => void} showError
 * @property {(active: boolean) => void} onModeChange
 */

const DECISION_VERBS = /** @type {Record<string, string>} */ ({
  accept: "Applying the suggestion…",
  reject: "Rejecting…",
  edit: "Marking as fixed…",
});

/** @param {ReviewDeps} deps */
export function createReview(deps) {
  const { model } = deps;
  let index = 0;
  /** @type {string | null} */
  let latestId = null;
  /** @type {string | null} */
  let inflight = null;
  let needsRefresh = false;
  /** @type {Suspect | null} */
  let current = null;
  let pending = 0;
  let active = false;

  // ---------------------------------------------------------------- DOM
  const toggle = h("button", {
    cls: "bx-btn bx-toggle bx-review-toggle",
    text: "Review",
    attrs: {
      type: "button",
      "aria-pressed": "false",
      title: "Review the suspected label errors one at a time (a accept · r reject · e edit · j/k move)",
    },
  });
  const counter = h("span", { cls: "bx-review-counter", attrs: { role: "status", "aria-live": "polite" } });
  const where = h("span", { cls: "bx-review-where" });
  const filterNote = h("span", { cls: "bx-review-filter" });
  const refreshBtn = h("button", {
    cls: "bx-btn",
    text: "Find again",
    attrs: { type: "button", title: "Run the error finders again on the current tags" },
  });
  const reviewedBtn = h("button", {
    cls: "bx-btn",
    text: "Reviewed sentences",
    attrs: { type: "button", title: "Leave review mode and show only the sentences a review touched" },
  });
  const head = h("div", { cls: "bx-review-head" }, [
    counter,
    where,
    filterNote,
    h("span", { cls: "bx-spacer" }),
    refreshBtn,
    reviewedBtn,
  ]);

  const what = h("div", { cls: "bx-review-what" });
  const evidence = h("div", { cls: "bx-review-evidence" });
  const meta = h("div", { cls: "bx-review-meta" });
  const card = h("div", { cls: "bx-review-card" }, [what, evidence, meta]);

  /** @param {string} text @param {string} key @param {string} cls @param {string} title */
  const actionBtn = (text, key, cls, title) =>
    h("button", { cls: `bx-btn ${cls}`, attrs: { type: "button", "aria-keyshortcuts": key, title } }, [
      text,
      h("kbd", { cls: "bx-review-kbd", text: key, attrs: { "aria-hidden": "true" } }),
    ]);
  const acceptBtn = actionBtn("Accept", "a", "bx-primary bx-review-accept", "Apply the suggestion (one undo step)");
  const rejectBtn = actionBtn("Reject", "r", "bx-review-reject", "Not an error: mark reviewed, never shown again");
  const editBtn = actionBtn("Edit", "e", "bx-review-edit", "Fix it by hand with the span menu");
  const prevBtn = actionBtn("Previous", "k", "bx-review-prev", "Previous suspect");
  const nextBtn = actionBtn("Next", "j", "bx-review-next", "Next suspect (decide later)");
  const actions = h("div", { cls: "bx-review-actions", attrs: { role: "group", "aria-label": "Decision" } }, [
    acceptBtn,
    rejectBtn,
    editBtn,
    h("span", { cls: "bx-spacer" }),
    prevBtn,
    nextBtn,
  ]);
  const empty = h("div", { cls: "bx-review-empty" });
  empty.hidden = true;

  const panel = h(
    "div",
    { cls: "bx-review", attrs: { role: "region", "aria-label": "Review queue", "aria-busy": "false" } },
    [head, card, actions, empty],
  );
  panel.hidden = true;

  // ---------------------------------------------------------------- requests
  /** @param {Record<string, unknown>} msg @param {string} op */
  function send(op, msg = {}) {
    const id = newId();
    latestId = id;
    inflight = op;
    panel.setAttribute("aria-busy", "true");
    model.send({ kind: "review", id, op, index, ...msg });
    return id;
  }

  function get() {
    send("get");
  }

  /** @param {"accept" | "reject" | "edit"} decision */
  function decide(decision) {
    if (!current || inflight === "decide") return;
    deps.setStatus(DECISION_VERBS[decision] ?? "");
    send("decide", { key: current.key, decision });
  }

  /** @param {number} delta */
  function move(delta) {
    const next = index + delta;
    if (next < 0 || next >= pending) return;
    index = next;
    get();
  }

  // ---------------------------------------------------------------- rendering
  /** @param {string} label */
  function chip(label) {
    if (label === "O") return h("span", { cls: "bx-review-none", text: "no entity" });
    const el = h("span", { cls: "bx-chip bx-chip-static", text: label });
    applyLabelStyle(el, deps.styleFor()(label));
    return el;
  }

  /** @param {any} msg */
  function renderReply(msg) {
    const total = Number(msg.total ?? 0);
    const reviewed = Number(msg.reviewed ?? 0);
    const fixed = Number(msg.fixed ?? 0);
    pending = Number(msg.pending ?? 0);
    index = Number.isFinite(Number(msg.index)) ? Number(msg.index) : 0;
    counter.textContent = `${fmtInt(reviewed)} of ${fmtInt(total)} reviewed · ${fmtInt(fixed)} fixed`;
    const q = msg.query && typeof msg.query === "object" ? msg.query : {};
    const filters = [];
    if (Array.isArray(q.labels) && q.labels.length) filters.push(`label ${q.labels.join(", ")}`);
    if (Array.isArray(q.finders) && q.finders.length) filters.push(`finder ${q.finders.join(", ")}`);
    filterNote.textContent = filters.length ? `only ${filters.join(" · ")}` : "";
    const s = msg.suspect && typeof msg.suspect === "object" ? /** @type {Suspect} */ (msg.suspect) : null;
    current = s;
    card.hidden = !s;
    actions.hidden = !s;
    empty.hidden = !!s;
    if (!s) {
      where.textContent = "";
      empty.textContent =
        total === 0
          ? "No suspected errors were found."
          : `Nothing left to review (${plural(reviewed, "suspect")} reviewed).`;
      deps.showRow(null);
      return;
    }
    where.textContent = `suspect ${fmtInt(index + 1)} of ${fmtInt(pending)} left`;
    const extent = s.suggest_start !== s.start || s.suggest_end !== s.end;
    const tokens = Array.isArray(msg.row?.tokens) ? msg.row.tokens : [];
    const newText = extent ? tokens.slice(s.suggest_start, s.suggest_end).join(" ") : "";
    /** @type {Array<Node | string>} */
    const parts = [h("q", { cls: "bx-review-text", text: String(s.text ?? "") }), " ", chip(String(s.label ?? "O"))];
    parts.push(h("span", { cls: "bx-review-arrow", text: " → ", attrs: { "aria-label": "should be" } }));
    if (extent) parts.push(h("q", { cls: "bx-review-text", text: newText }), " ");
    parts.push(chip(String(s.suggestion ?? "O")));
    what.replaceChildren(...parts);
    evidence.textContent = String(s.evidence ?? "");
    const score = s.score == null ? "" : ` · score ${Number(s.score).toFixed(2)}`;
    meta.textContent = `finder ${s.finder ?? "?"}${score} · rank ${fmtInt(Number(s.rank ?? 0))} · sentence #${s.sentence}`;
    const now = msg.row?.suspect_current ?? "O";
    const stale = String(now) !== String(s.label ?? "O");
    card.classList.toggle("bx-review-stale", stale);
    if (stale) meta.textContent += " · the span changed since this was found";
    prevBtn.disabled = index <= 0;
    nextBtn.disabled = index >= pending - 1;
    deps.showRow(msg.row ?? null);
  }

  // ---------------------------------------------------------------- mode
  function syncMode() {
    const on = !!model.get("review_mode");
    if (on === active) return;
    active = on;
    toggle.setAttribute("aria-pressed", String(on));
    panel.hidden = !on;
    deps.onModeChange(on);
    if (on) {
      index = 0;
      current = null;
      get();
    } else {
      latestId = null;
      inflight = null;
    }
  }

  /** @param {boolean} on */
  function setMode(on) {
    model.set("review_mode", on);
    model.save_changes();
    syncMode();
  }

  toggle.addEventListener("click", () => setMode(!active));
  acceptBtn.addEventListener("click", () => decide("accept"));
  rejectBtn.addEventListener("click", () => decide("reject"));
  editBtn.addEventListener("click", () => {
    if (current) deps.editAt(current.start, current.end);
  });
  prevBtn.addEventListener("click", () => move(-1));
  nextBtn.addEventListener("click", () => move(1));
  refreshBtn.addEventListener("click", () => {
    index = 0;
    deps.setStatus("Finding suspects…");
    send("refresh");
  });
  reviewedBtn.addEventListener("click", () => {
    model.send({ kind: "review", id: newId(), op: "show_reviewed" });
  });

  /** @param {any} msg a `{kind: "review"}` reply */
  function onMessage(msg) {
    if (!active || msg.id !== latestId) return; // stale
    const op = inflight;
    inflight = null;
    panel.setAttribute("aria-busy", "false");
    renderReply(msg);
    if (op === "decide" || op === "refresh") deps.setStatus(String(msg.message ?? ""));
    if (needsRefresh) {
      needsRefresh = false;
      get();
    }
  }

  /** @param {any} msg an error reply to the latest review request */
  function onError(msg) {
    const op = inflight;
    inflight = null;
    panel.setAttribute("aria-busy", "false");
    deps.showError(String(msg.message ?? "Error"));
    if (op === "decide") get(); // show what Python's queue holds now
  }

  return {
    toggle,
    panel,
    active: () => active,
    syncMode,
    /** The model's review_query changed: start again at the top of the filtered queue. */
    onQuery() {
      if (!active) return;
      index = 0;
      get();
    },
    /** The corpus changed (edit, undo): ask again for the suspect at the current index. */
    refresh() {
      if (!active) return;
      if (inflight === "decide") return; // its reply is computed after the change
      if (inflight) {
        needsRefresh = true;
        return;
      }
      get();
    },
    /**
     * Take the messages that belong to review mode: replies, errors of review requests, and page
     * replies while reviewing (dropped). True when the message was taken.
     * @param {any} msg
     */
    claims(msg) {
      if (msg.kind === "review") onMessage(msg);
      else if (msg.kind === "error" && msg.id != null && msg.id === latestId) onError(msg);
      else return msg.kind === "page" && active;
      return true;
    },
    /**
     * An edit made in review mode succeeded: an edit of the suspect's sentence is its decision.
     * @param {{ op: string, sentence?: unknown }} edit
     */
    afterEdit(edit) {
      if (!active || !current) return;
      if (!["relabel", "delete", "add", "resize"].includes(edit.op)) return;
      if (Number(edit.sentence) !== current.sentence) return;
      decide("edit");
    },
    /**
     * Review keys; true when the key was handled.
     * @param {KeyboardEvent} e
     */
    onKey(e) {
      if (!active || deps.isMenuOpen()) return false;
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      const k = e.key;
      if (k === "a") decide("accept");
      else if (k === "r") decide("reject");
      else if (k === "e") {
        if (current) deps.editAt(current.start, current.end);
      } else if (k === "j") move(1);
      else if (k === "k") move(-1);
      else return false;
      e.preventDefault();
      return true;
    },
  };
}
