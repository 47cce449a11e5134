// @ts-check
/**
 * bio_explorer span view — anywidget ESM front end of `SpanView` (see docs/ARCHITECTURE.md).
 *
 * Pages of sentences are requested from Python with custom messages; only the reply to the latest
 * request is rendered. Filters write the `query` trait (always a new object). Edits are sent as
 * `{kind: "edit", op, ..., view}` messages, `view` naming the page on screen; Python answers with
 * that page's rows re-rendered when the edit left them in the filter (updated in place at once, no
 * page request), then bumps `_data_version`; a bump the rows on screen are not
 * current for makes the view re-request its page.
 */
import { debounce, fmtInt, h, isEditable, plural, show } from "./dom.js";
import { addMenuContent, applyAllPanel, spanMenuContent } from "./edit_menu.js";
import { createFilterBar } from "./filters.js";
import { domPrefix, newId } from "./ids.js";
import { createPopupHost } from "./menu.js";
import { createPageWatch } from "./page_watch.js";
import { jsonEqual, normalize } from "./query.js";
import { createReview } from "./review.js";
import { buildRow, buildRows, makeStyleCache } from "./rows.js";

/**
 * The subset of the anywidget model API this view uses.
 * @typedef {Object} Model
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(event: string, cb: (...args: any[]) => void) => void} on
 * @property {(event?: string | null, cb?: ((...args: any[]) => void) | null) => void} off
 * @property {(msg: any, callbacks?: any, buffers?: any[]) => void} send
 */

/** @typedef {import("./rows.js").Sentence} Sentence */

const STATUS_MS = 4000;
const BUSY_DELAY_MS = 180;
const PAGE_TIMEOUT_MS = 8000; // default of the `_page_timeout_ms` trait
const PAGE_RETRIES = 2;
const NO_ANSWER =
  "The kernel did not answer the page request. It may be busy, restarted or stopped: wait and press Retry, " +
  "or re-run the cell. A notebook opened without a running kernel (saved or exported) cannot load pages.";

const EDIT_VERBS = /** @type {Record<string, string>} */ ({
  relabel: "Relabelling…",
  delete: "Deleting span…",
  add: "Adding span…",
  resize: "Resizing span…",
  relabel_all: "Relabelling all occurrences…",
  undo: "Undoing…",
  redo: "Redoing…",
  save: "Saving…",
});

/**
 * @param {{ model: Model, el: HTMLElement }} ctx
 * @returns {() => void} cleanup
 */
function render({ model, el }) {
  const idPrefix = domPrefix();
  /** @type {Array<[string, (...args: any[]) => void]>} */
  const modelHandlers = [];
  /** @type {Array<() => void>} */
  const disposers = [];
  let disposed = false;

  /** @param {string} ev @param {(...args: any[]) => void} fn */
  const listen = (ev, fn) => {
    model.on(ev, fn);
    modelHandlers.push([ev, fn]);
  };

  // ---------------------------------------------------------------- state
  let styleFor = makeStyleCache(labelsTrait());
  /** `id`: the page request this page answers (absent: a saved page, review, an error) */
  /** @type {{ offset: number, total: number, sentences: Sentence[], saved?: boolean, id?: string } | null} */
  let page = null;
  let offset = 0;
  /** @type {string | null} */
  let latestPageId = null;
  /** the `_data_version` the rows on screen are current for, from an edit reply that carried them */
  let rowsVersion = -Infinity;
  let showTags = false;
  let plainText = false;
  let active = -1;
  /** @type {{ row: number, sentence: number, anchor: number, focus: number } | null} */
  let range = null;
  /** @type {{ row: number, sentence: number, anchor: number, focus: number, moved: boolean } | null} */
  let drag = null;
  let suppressClick = false;
  /** @type {Map<string, {op: string, sentence?: unknown}>} */
  const pendingEdits = new Map();
  /** @type {{ id: string | null, panel: ReturnType<typeof applyAllPanel> } | null} */
  let applyAll = null;
  /** @type {number | null} scheduled page request offset */
  let scheduled = null;
  /** @type {"first" | "last" | null} */
  let activateAfterLoad = null;

  // ---------------------------------------------------------------- DOM skeleton
  const root = h("div", {
    cls: "bx-spanview",
    attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
  });
  const popups = createPopupHost(root);
  disposers.push(() => popups.destroy());

  const filters = createFilterBar({
    onQuery: (q) => writeQuery(q),
    getQuery: () => normalize(model.get("query")),
    popups,
    idPrefix,
    onSearchEscape: () => focusActiveRow(),
  });
  disposers.push(() => filters.destroy());

  const tagsBtn = h("button", {
    cls: "bx-btn bx-toggle",
    text: "Tags",
    attrs: { type: "button", "aria-pressed": "false", title: "Show the raw tag under each token" },
  });
  const plainBtn = h("button", {
    cls: "bx-btn bx-toggle",
    text: "Plain text",
    attrs: { type: "button", "aria-pressed": "false" },
  });
  const undoBtn = h("button", {
    cls: "bx-btn",
    attrs: { type: "button", title: "Undo (Ctrl+Z)", "aria-label": "Undo" },
  }, [h("span", { cls: "bx-icon", text: "↶", attrs: { "aria-hidden": "true" } }), "Undo"]);
  const redoBtn = h("button", {
    cls: "bx-btn",
    attrs: { type: "button", title: "Redo (Ctrl+Shift+Z)", "aria-label": "Redo" },
  }, [h("span", { cls: "bx-icon", text: "↷", attrs: { "aria-hidden": "true" } }), "Redo"]);
  const saveBtn = h("button", { cls: "bx-btn bx-primary", text: "Save", attrs: { type: "button" } });
  const unsaved = h("span", { cls: "bx-unsaved" });
  const editGroup = h("div", { cls: "bx-editgroup", attrs: { role: "group", "aria-label": "Edits" } }, [
    unsaved,
    undoBtn,
    redoBtn,
    saveBtn,
  ]);

  // "Review" mode (review.js): the ranked suspects one at a time, their sentence drawn in `rows`
  const review = createReview({
    model,
    styleFor: () => styleFor,
    showRow: (row) => showReviewRow(row),
    editAt: (start, end) => editAt(start, end),
    isMenuOpen: () => popups.isOpen(),
    setStatus: (text) => setStatus(text),
    showError: (text) => showError(text, "other"),
    onModeChange: (on) => {
      root.classList.toggle("bx-reviewing", on);
      popups.close();
      if (on) page = null;
      else requestPage(offset);
    },
  });

  const toolbar = h("div", { cls: "bx-toolbar" }, [
    filters.bar,
    h("div", { cls: "bx-spacer" }),
    review.toggle,
    plainBtn,
    tagsBtn,
    editGroup,
  ]);
  const subbar = h("div", { cls: "bx-subbar" }, [filters.legend, filters.count]);

  const errorText = h("span", { cls: "bx-error-text" });
  const errorClose = h("button", {
    cls: "bx-error-close",
    text: "×",
    attrs: { type: "button", "aria-label": "Dismiss error", title: "Dismiss" },
  });
  const retryBtn = h("button", { cls: "bx-btn bx-retry", text: "Retry", attrs: { type: "button" } });
  retryBtn.hidden = true;
  const errorBar = h("div", { cls: "bx-error", attrs: { role: "alert" } }, [
    h("span", { cls: "bx-error-icon", text: "!", attrs: { "aria-hidden": "true" } }),
    errorText,
    retryBtn,
    errorClose,
  ]);
  errorBar.hidden = true;
  /** @type {"page" | "edit" | "other" | null} */
  let errorSource = null;

  const rows = h("div", { cls: "bx-rows", attrs: { role: "list", "aria-label": "Sentences" } });
  const prevBtn = h("button", { cls: "bx-btn", attrs: { type: "button", "aria-label": "Previous page" } }, [
    h("span", { text: "‹", attrs: { "aria-hidden": "true" } }),
    " Prev",
  ]);
  const nextBtn = h("button", { cls: "bx-btn", attrs: { type: "button", "aria-label": "Next page" } }, [
    "Next ",
    h("span", { text: "›", attrs: { "aria-hidden": "true" } }),
  ]);
  const position = h("span", { cls: "bx-position", attrs: { "aria-live": "polite" } });
  const status = h("span", { cls: "bx-status", attrs: { role: "status" } });
  const hint = h("span", {
    cls: "bx-hint",
    text: "/ search · j/k move · click a span to relabel · drag or shift-click tokens to add",
  });
  const footer = h("div", { cls: "bx-footer" }, [
    h("div", { cls: "bx-pager" }, [prevBtn, position, nextBtn]),
    status,
    hint,
  ]);
  const tip = h("div", { cls: "bx-tip", attrs: { "aria-hidden": "true" } });
  tip.hidden = true;

  root.append(toolbar, subbar, errorBar, review.panel, rows, footer, tip);
  el.append(root);

  // ---------------------------------------------------------------- traits
  function labelsTrait() {
    const v = model.get("_labels");
    return Array.isArray(v) ? v.filter((x) => x && typeof x.label === "string") : [];
  }
  function pageSize() {
    const n = Number(model.get("page_size"));
    return Number.isFinite(n) && n > 0 ? Math.floor(n) : 50;
  }

  /** Write a new query object (never mutate the old one) and start again at page 0. */
  /** @param {import("./query.js").Query} q */
  function writeQuery(q) {
    const next = normalize(q);
    if (jsonEqual(next, normalize(model.get("query")))) return;
    model.set("query", next);
    model.save_changes();
    // the local change:query event schedules the request; make sure it happens even if an
    // embedder's model does not emit local change events
    schedulePage(0);
  }

  function syncFilters() {
    filters.update({
      query: normalize(model.get("query")),
      labels: labelsTrait(),
      anomalyKinds: (Array.isArray(model.get("_anomaly_kinds")) ? model.get("_anomaly_kinds") : []).filter(
        (/** @type {any} */ k) => k && typeof k.kind === "string",
      ),
      sources: (Array.isArray(model.get("_sources")) ? model.get("_sources") : []).map(String),
      styleFor,
      matching: Number(model.get("matching_sentences") ?? 0),
      total: Number(model.get("total_sentences") ?? 0),
    });
  }

  // The counts Python sends right after a page reply (chips, anomaly kinds, matching) are drawn
  // once, after the frame that shows the new rows: the rows are not held back by the filter bar.
  let rowsUnpainted = false;
  let filterSyncWaiting = false;
  function rowsDrawn() {
    if (rowsUnpainted) return;
    rowsUnpainted = true;
    const done = () => {
      if (!rowsUnpainted) return;
      rowsUnpainted = false;
      if (filterSyncWaiting && !disposed) {
        filterSyncWaiting = false;
        syncFilters();
      }
    };
    requestAnimationFrame(() => setTimeout(done, 0));
    setTimeout(done, 100); // no frames in a hidden tab
  }
  function syncFiltersAfterRows() {
    if (rowsUnpainted) filterSyncWaiting = true;
    else syncFilters();
  }

  function syncStatus() {
    const st = model.get("_status") || {};
    const n = Number(st.unsaved ?? 0);
    unsaved.textContent = n > 0 ? `${plural(n, "unsaved edit")}` : "No unsaved edits";
    unsaved.classList.toggle("bx-dirty", n > 0);
    undoBtn.disabled = !st.can_undo;
    redoBtn.disabled = !st.can_redo;
    saveBtn.disabled = n <= 0;
    saveBtn.title = st.path ? `Save to ${st.path}` : "Save";
  }

  // ---------------------------------------------------------------- paging
  /** @param {number} at */
  function schedulePage(at) {
    const first = scheduled === null;
    scheduled = at;
    if (first) {
      queueMicrotask(() => {
        if (disposed || scheduled === null) return;
        const off = scheduled;
        scheduled = null;
        requestPage(off);
      });
    }
  }

  /** @type {ReturnType<typeof setTimeout> | null} */
  let busyTimer = null;
  /** the last page request, re-sent unchanged (same id) when the kernel does not answer */
  /** @type {any} */
  let lastRequest = null;
  const watch = createPageWatch({
    timeoutMs: () => Number(model.get("_page_timeout_ms")) || PAGE_TIMEOUT_MS,
    retries: PAGE_RETRIES,
    onRetry: (n) => {
      if (disposed || !lastRequest) return;
      setStatus(`No answer from the kernel yet — asking again (${n}/${PAGE_RETRIES})…`, true);
      model.send(lastRequest);
      watch.sent(true);
    },
    onGiveUp: () => {
      if (disposed) return;
      setStatus("");
      notBusy();
      showError(NO_ANSWER, "page");
      retryBtn.hidden = false;
      syncPager();
    },
  });
  disposers.push(() => watch.dispose());

  /** @param {number} at */
  function requestPage(at) {
    if (review.active()) return; // the review queue shows its own sentence
    offset = Math.max(0, Math.floor(at));
    const id = newId();
    latestPageId = id;
    rows.setAttribute("aria-busy", "true");
    if (busyTimer === null) busyTimer = setTimeout(() => root.classList.add("bx-loading"), BUSY_DELAY_MS);
    lastRequest = { kind: "page", id, query: normalize(model.get("query")), offset, limit: pageSize() };
    model.send(lastRequest);
    watch.sent();
  }

  /** The first page kept in the widget state: text at once, and in a notebook without a kernel. */
  function showSavedPage() {
    const saved = model.get("_first_page");
    if (!saved || !Array.isArray(saved.sentences) || saved.sentences.length === 0) return;
    if (!jsonEqual(normalize(saved.query ?? {}), normalize(model.get("query")))) return;
    page = { offset: 0, total: Number(saved.total ?? saved.sentences.length), sentences: saved.sentences, saved: true };
    renderPage(false);
  }

  function notBusy() {
    rows.removeAttribute("aria-busy");
    if (busyTimer !== null) clearTimeout(busyTimer);
    busyTimer = null;
    root.classList.remove("bx-loading");
  }

  /** @param {any} msg */
  function onPage(msg) {
    if (msg.id !== latestPageId) return; // stale: a newer request is in flight or answered
    watch.answered();
    if (errorSource === "page" || !retryBtn.hidden) setStatus("");
    notBusy();
    const sentences = Array.isArray(msg.sentences) ? msg.sentences : [];
    const total = Number.isFinite(Number(msg.total)) ? Number(msg.total) : Number(model.get("matching_sentences") ?? 0);
    const newOffset = Number.isFinite(Number(msg.offset)) ? Number(msg.offset) : offset;
    // after edits a page may have emptied: step back to the last page that has sentences
    if (sentences.length === 0 && newOffset > 0 && total > 0) {
      const last = Math.max(0, Math.floor((total - 1) / pageSize()) * pageSize());
      if (last < newOffset) {
        requestPage(last);
        return;
      }
    }
    const samePlace = page !== null && page.offset === newOffset;
    page = { offset: newOffset, total, sentences, id: msg.id };
    if (errorSource === "page") clearError();
    renderPage(samePlace);
    rowsDrawn();
  }

  // ---------------------------------------------------------------- rendering
  /** what the rows on screen were built from: per-sentence keys and the display settings */
  /** @type {{ keys: string[], ctx: string } | null} */
  let drawn = null;

  function rowContext() {
    const q = normalize(model.get("query"));
    const anomalyFilter = Array.isArray(q.anomaly) ? q.anomaly.map(String) : [];
    const plain = plainText ? { prefix: String(model.get("_token_prefix") ?? "") } : null;
    const colors = labelsTrait().map((l) => [l.label, l.color]);
    return {
      ctx: { styleFor, showTags, idPrefix, anomalyFilter, plain },
      key: JSON.stringify([showTags, anomalyFilter, plain, colors]),
    };
  }

  /**
   * The same page again (after an edit, or the background anomaly refresh): rebuild only the rows
   * whose sentence changed, in place; nothing moves and nothing is drawn twice for nothing.
   * @returns {boolean} false when the page differs too much (a full render is needed)
   */
  function patchPage() {
    if (!page || !drawn || page.sentences.length === 0) return false;
    const { ctx, key } = rowContext();
    if (key !== drawn.ctx || drawn.keys.length !== page.sentences.length) return false;
    const keys = page.sentences.map((s) => JSON.stringify(s));
    for (let i = 0; i < keys.length; i++) {
      const el = rowEl(i);
      if (!el || el.getAttribute("data-sentence") !== String(page.sentences[i].sentence)) return false;
    }
    const focusKey = focusedKey();
    const wasActive = rowEl(active)?.classList.contains("bx-active") ?? false;
    let changed = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === drawn.keys[i]) continue;
      rows.replaceChild(buildRow(page.sentences[i], i, ctx), /** @type {HTMLElement} */ (rowEl(i)));
      changed += 1;
    }
    drawn = { keys, ctx: key };
    if (changed) {
      hideTip();
      range = null;
      const a = active;
      active = -1;
      setActive(a, { focus: false, scroll: false, visible: wasActive });
      markSelection();
      if (focusKey) restoreFocus(focusKey);
      keepMenu();
    }
    syncPager();
    return true;
  }

  /** @param {boolean} keepPlace */
  function renderPage(keepPlace) {
    if (!page) return;
    if (keepPlace && patchPage()) return;
    const focusKey = focusedKey();
    const scrollTop = rows.scrollTop;
    const anchor = keepPlace ? scrollAnchor() : null;
    hideTip();
    const prevSentence = keepPlace && active >= 0 ? page.sentences[active]?.sentence : undefined;
    range = null;

    if (page.sentences.length === 0) {
      drawn = null;
      rows.replaceChildren(
        h("div", { cls: "bx-empty" }, [
          h("div", { cls: "bx-empty-title", text: "No sentences match the current filter." }),
          h("div", { cls: "bx-muted", text: "Change the filter or press Clear." }),
        ]),
      );
    } else {
      const { ctx, key } = rowContext();
      rows.replaceChildren(buildRows(page.sentences, ctx));
      drawn = { keys: page.sentences.map((s) => JSON.stringify(s)), ctx: key };
    }
    rows.scrollTop = keepPlace ? scrollTop : 0;
    if (anchor) keepAnchor(anchor);

    // keep the active sentence when the same page is re-rendered; otherwise start at the top
    let next = -1;
    if (activateAfterLoad === "first") next = 0;
    else if (activateAfterLoad === "last") next = page.sentences.length - 1;
    else if (prevSentence !== undefined) next = page.sentences.findIndex((s) => s.sentence === prevSentence);
    const moveFocus = activateAfterLoad !== null;
    activateAfterLoad = null;
    active = -1;
    setActive(next >= 0 ? next : page.sentences.length ? 0 : -1, { focus: moveFocus, scroll: moveFocus, visible: next >= 0 });
    markSelection();
    if (focusKey) restoreFocus(focusKey);
    keepMenu();
    syncPager();
  }

  /**
   * The row to keep in place when the same page is drawn again (after an edit): the one with the
   * focus or the open menu, else the active one, else the first row in view; and its screen y.
   * @returns {{ sentence: string, top: number } | null}
   */
  function scrollAnchor() {
    const a = document.activeElement;
    let row = a instanceof HTMLElement && rows.contains(a) ? rowOf(a) : null;
    if (!row && popupAnchor && rows.contains(popupAnchor)) row = rowOf(popupAnchor);
    if (!row) row = rowEl(active);
    if (!row) {
      const top = rows.getBoundingClientRect().top;
      row = /** @type {HTMLElement | undefined} */ (
        [...rows.children].find((r) => r instanceof HTMLElement && r.getBoundingClientRect().bottom > top)
      ) ?? null;
    }
    if (!row) return null;
    return { sentence: row.getAttribute("data-sentence") ?? "", top: row.getBoundingClientRect().top };
  }

  /** Scroll (the rows, or the page around them) so the anchor row is where it was. */
  /** @param {{ sentence: string, top: number }} anchor */
  function keepAnchor(anchor) {
    const row = [...rows.children].find((r) => r.getAttribute("data-sentence") === anchor.sentence);
    if (!(row instanceof HTMLElement)) return;
    const delta = row.getBoundingClientRect().top - anchor.top;
    if (Math.abs(delta) < 1) return;
    /** @type {Element | null} */
    let box = rows;
    while (box && !(box.scrollHeight > box.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    const scroller = box ?? document.scrollingElement;
    if (scroller) scroller.scrollTop += delta;
  }

  /** Review mode: show the suspect's sentence as a one-row page (edited as usual). */
  /** @param {Sentence | null} row */
  function showReviewRow(row) {
    activateAfterLoad = null;
    page = { offset: 0, total: row ? 1 : 0, sentences: row ? [row] : [] };
    renderPage(false);
    if (row) setActive(0, { visible: true });
  }

  /** Review mode, key `e`: open the span menu on the suspect (or the new-span menu on its tokens). */
  /** @param {number} start @param {number} end */
  function editAt(start, end) {
    const row = rowEl(0);
    const s = page?.sentences[0];
    if (!row || !s) return;
    const boxes = /** @type {HTMLElement[]} */ ([...row.querySelectorAll(".bx-span")]);
    const box =
      boxes.find((b) => Number(b.dataset.start) === start && Number(b.dataset.end) === end) ??
      boxes.find((b) => Number(b.dataset.start) < end && Number(b.dataset.end) > start);
    if (box) {
      box.focus();
      box.click();
      return;
    }
    range = { row: 0, sentence: s.sentence, anchor: start, focus: end - 1 };
    paintRange();
    openAddMenu();
  }

  function syncPager() {
    const size = pageSize();
    const total = page ? page.total : Number(model.get("matching_sentences") ?? 0);
    const n = page ? page.sentences.length : 0;
    if (watch.gaveUp && (!page || page.saved)) {
      position.textContent = page ? "No kernel: first sentences saved with the notebook" : "No kernel answer";
    } else if (!page) position.textContent = "Loading…";
    else if (total === 0 || n === 0) position.textContent = "No matching sentences";
    else position.textContent = `sentences ${fmtInt(page.offset + 1)}–${fmtInt(page.offset + n)} of ${fmtInt(total)}`;
    prevBtn.disabled = !page || page.offset <= 0;
    nextBtn.disabled = !page || page.offset + Math.max(n, size) >= total;
  }

  /** @returns {{ sentence: string, start: string | null } | null} */
  function focusedKey() {
    const a = document.activeElement;
    if (!(a instanceof HTMLElement) || !rows.contains(a)) return null;
    const row = a.closest(".bx-row");
    if (!row) return null;
    return { sentence: row.getAttribute("data-sentence") ?? "", start: a.getAttribute("data-start") };
  }

  /** @param {{ sentence: string, start: string | null }} key */
  function restoreFocus(key) {
    const row = [...rows.children].find((r) => r.getAttribute("data-sentence") === key.sentence);
    if (!(row instanceof HTMLElement)) return;
    const idx = Number(row.getAttribute("data-index"));
    setActive(idx, { focus: false, scroll: false });
    const target = key.start !== null ? row.querySelector(`.bx-span[data-start="${CSS.escape(key.start)}"]`) : null;
    (/** @type {HTMLElement} */ (target ?? row)).focus({ preventScroll: true });
  }

  /** @param {number} i @returns {HTMLElement | null} */
  function rowEl(i) {
    const r = rows.children[i];
    return r instanceof HTMLElement && r.classList.contains("bx-row") ? r : null;
  }

  /**
   * Roving tabindex: the active row (and its spans / anomaly marks) are in the Tab order.
   * @param {number} i
   * @param {{ focus?: boolean, scroll?: boolean, visible?: boolean }} [opts]
   */
  function setActive(i, opts = {}) {
    const old = rowEl(active);
    if (old) {
      old.classList.remove("bx-active");
      old.setAttribute("tabindex", "-1");
      for (const f of old.querySelectorAll("[data-focusable]")) f.setAttribute("tabindex", "-1");
    }
    active = i;
    const row = rowEl(i);
    if (!row) return;
    row.setAttribute("tabindex", "0");
    for (const f of row.querySelectorAll("[data-focusable]")) f.setAttribute("tabindex", "0");
    if (opts.visible !== false) row.classList.add("bx-active");
    if (opts.scroll) row.scrollIntoView({ block: "nearest" });
    if (opts.focus) row.focus({ preventScroll: !opts.scroll });
  }

  function focusActiveRow() {
    const row = rowEl(active >= 0 ? active : 0);
    if (row) {
      setActive(Number(row.getAttribute("data-index")));
      row.focus();
    } else root.focus();
  }

  /** @param {number} delta */
  function moveActive(delta) {
    if (!page || page.sentences.length === 0) return;
    const n = page.sentences.length;
    // no active row yet: start at an end; an active row not shown as active (fresh page, after
    // Esc) is shown first; otherwise move
    let i;
    if (active < 0 || !rowEl(active)) i = delta > 0 ? 0 : n - 1;
    else if (!rowEl(active)?.classList.contains("bx-active")) i = active;
    else i = active + delta;
    if (i >= n) {
      if (page.offset + n < page.total) {
        activateAfterLoad = "first";
        requestPage(page.offset + pageSize());
      }
      return;
    }
    if (i < 0) {
      if (page.offset > 0) {
        activateAfterLoad = "last";
        requestPage(Math.max(0, page.offset - pageSize()));
      }
      return;
    }
    setActive(i, { focus: true, scroll: true });
  }

  function markSelection() {
    for (const e of rows.querySelectorAll(".bx-selected")) e.classList.remove("bx-selected");
    const sel = model.get("_selection");
    if (!sel || typeof sel !== "object" || sel.sentence == null) return;
    const row = rows.querySelector(`.bx-row[data-sentence="${CSS.escape(String(sel.sentence))}"]`);
    if (!row) return;
    if (sel.start == null) {
      row.classList.add("bx-selected");
      return;
    }
    const span = row.querySelector(`.bx-span[data-start="${CSS.escape(String(sel.start))}"]`);
    (span ?? row).classList.add("bx-selected");
  }

  /** @param {number} sentence @param {number | null} start @param {number | null} end */
  function select(sentence, start, end) {
    const next = { sentence, start, end };
    if (jsonEqual(model.get("_selection"), next)) return;
    model.set("_selection", next);
    model.save_changes();
    markSelection();
  }

  function clearSelection() {
    clearRange();
    if (model.get("_selection") != null) {
      model.set("_selection", null);
      model.save_changes();
    }
    markSelection();
    const row = rowEl(active);
    row?.classList.remove("bx-active");
  }

  // ---------------------------------------------------------------- errors & status
  /** @param {string} message @param {"page" | "edit" | "other"} source */
  function showError(message, source) {
    retryBtn.hidden = true;
    errorText.textContent = message || "Unknown error";
    errorSource = source;
    errorBar.hidden = false;
  }
  function clearError() {
    retryBtn.hidden = true;
    errorBar.hidden = true;
    errorText.textContent = "";
    errorSource = null;
  }

  /** @type {ReturnType<typeof setTimeout> | null} */
  let statusTimer = null;
  /** @param {string} text @param {boolean} [sticky] */
  function setStatus(text, sticky = false) {
    status.textContent = text;
    if (statusTimer !== null) clearTimeout(statusTimer);
    statusTimer = sticky ? null : setTimeout(() => {
      statusTimer = null;
      status.textContent = "";
    }, STATUS_MS);
  }

  // ---------------------------------------------------------------- edits
  /** @param {string} op @param {Record<string, unknown>} [args] @returns {string} */
  function sendEdit(op, args = {}) {
    const id = newId();
    pendingEdits.set(id, { op, sentence: args.sentence });
    if (EDIT_VERBS[op]) setStatus(EDIT_VERBS[op], true);
    const view = op === "preview_all" ? null : shownView();
    model.send({ kind: "edit", id, op, ...args, ...(view ? { view } : {}) });
    return id;
  }

  /**
   * The page on screen, for an edit reply to carry its rows: only a page answered by Python for
   * the latest request (none in flight or scheduled), outside review mode.
   */
  function shownView() {
    if (review.active() || !page || page.saved || page.sentences.length === 0) return null;
    if (page.id == null || latestPageId !== page.id || scheduled !== null || !lastRequest) return null;
    return {
      id: page.id,
      query: lastRequest.query,
      offset: page.offset,
      sentences: page.sentences.map((s) => s.sentence),
    };
  }

  /**
   * An edit reply with the rows of the page it was made on: update them in place, unless the
   * page on screen is not that one any more or a page request went out since (its reply, or a
   * newer one, decides then).
   * @param {any} msg
   */
  function applyEditRows(msg) {
    if (!Array.isArray(msg.rows) || msg.view == null || review.active() || !page) return;
    if (page.id == null || msg.view !== page.id || latestPageId !== page.id) return;
    // rows of this page, re-rendered (merged by sentence id: only those that differ are rebuilt)
    /** @type {Map<unknown, Sentence>} */
    const byId = new Map(msg.rows.map((/** @type {any} */ r) => [r?.sentence, r]));
    const onPage = new Set(page.sentences.map((s) => s.sentence));
    if ([...byId.keys()].some((id) => !onPage.has(/** @type {number} */ (id)))) return;
    page = { ...page, sentences: page.sentences.map((s) => byId.get(s.sentence) ?? s) };
    const v = Number(msg.version);
    if (Number.isFinite(v)) rowsVersion = Math.max(rowsVersion, v);
    renderPage(true);
    rowsDrawn();
  }

  /** @param {any} msg */
  function onEditReply(msg) {
    const pending = pendingEdits.get(msg.id);
    pendingEdits.delete(msg.id);
    const op = pending?.op ?? msg.op;
    if (op === "preview_all") {
      if (applyAll && applyAll.id === msg.id) {
        if (msg.ok === false) showError(String(msg.message ?? "Preview failed"), "edit");
        else applyAll.panel.setPreview(msg.preview ?? { count: 0, rows: [] });
      }
      return;
    }
    if (msg.ok === false) {
      setStatus("");
      showError(String(msg.message ?? "Edit failed"), "edit");
      return;
    }
    if (errorSource === "edit") clearError();
    applyEditRows(msg);
    setStatus(String(msg.message ?? "Done"));
    if (pending) review.afterEdit(pending);
  }

  /** @param {any} msg */
  function onErrorReply(msg) {
    const isPage = msg.id != null && msg.id === latestPageId;
    if (isPage) {
      watch.answered();
      notBusy();
      // the filter cannot run (a bad regex…): no rows of an older filter stay on screen
      page = { offset: 0, total: 0, sentences: [] };
      hideTip();
      if (popups.isOpen() && popupAnchor && rows.contains(popupAnchor)) popups.close();
      drawn = null;
      rows.replaceChildren(
        h("div", { cls: "bx-empty" }, [
          h("div", { cls: "bx-empty-title", text: "This filter cannot run." }),
          h("div", { cls: "bx-muted", text: String(msg.message ?? "Error") }),
        ]),
      );
      active = -1;
      syncPager();
    }
    if (pendingEdits.has(msg.id)) {
      pendingEdits.delete(msg.id);
      setStatus("");
      showError(String(msg.message ?? "Error"), "edit");
      return;
    }
    showError(String(msg.message ?? "Error"), isPage ? "page" : "other");
  }

  function undo() {
    if (!undoBtn.disabled) sendEdit("undo");
  }
  function redo() {
    if (!redoBtn.disabled) sendEdit("redo");
  }

  // ---------------------------------------------------------------- span menu
  /** @type {HTMLElement | null} */
  let popupAnchor = null;
  /** the span the open span menu edits: it stays open when that span is drawn again */
  /** @type {{ sentence: string, start: string, end: string, label: string } | null} */
  let menuSpan = null;

  /**
   * After rows were drawn again (a page reply, an in-place update): an open span menu moves to
   * the same span (sentence, extent, label) in the new rows; any other popup on the rows, or a
   * span menu whose span is gone or changed, closes.  A reply that arrives after the user opened
   * a menu on the rows still shown (a busy kernel) must not take the menu away.
   */
  function keepMenu() {
    if (!popups.isOpen() || !popupAnchor || popupAnchor.isConnected) return;
    const m = menuSpan;
    const box = m
      ? rows.querySelector(
          `.bx-row[data-sentence="${CSS.escape(m.sentence)}"] .bx-span[data-start="${CSS.escape(m.start)}"]` +
            `[data-end="${CSS.escape(m.end)}"][data-label="${CSS.escape(m.label)}"]`,
        )
      : null;
    if (!(box instanceof HTMLElement)) {
      popups.close();
      return;
    }
    popupAnchor = box;
    box.classList.add("bx-menu-open");
    const row = rowOf(box);
    if (row) setActive(Number(row.getAttribute("data-index")), { focus: false, scroll: false });
    box.scrollIntoView({ block: "nearest" });
    popups.reanchor(box);
  }

  /** True when the anchor of the open popup is within the visible part of the rows. */
  function anchorInView() {
    if (!popupAnchor || !popupAnchor.isConnected) return false;
    const a = popupAnchor.getBoundingClientRect();
    const r = rows.getBoundingClientRect();
    return a.bottom > r.top && a.top < r.bottom;
  }

  /** @param {HTMLElement} box */
  function openSpanMenu(box) {
    const row = /** @type {HTMLElement} */ (box.closest(".bx-row"));
    const s = page?.sentences[Number(row.getAttribute("data-index"))];
    if (!s) return;
    const start = Number(box.getAttribute("data-start"));
    const end = Number(box.getAttribute("data-end"));
    const label = box.getAttribute("data-label") ?? "";
    const text = s.tokens.slice(start, end).join(" ");
    const sentence = s.sentence;
    const spans = Array.isArray(s.spans) ? s.spans : [];
    const k = spans.findIndex(([a, b]) => a === start && b === end);
    const count = k >= 0 && Array.isArray(s.span_counts) ? s.span_counts[k] : undefined;
    const labels = labelsTrait();
    const pop = popups.open(box, {
      label: `Edit span ${label}`,
      cls: "bx-pop-span",
      onClose: () => {
        popupAnchor?.classList.remove("bx-menu-open");
        applyAll = null;
        popupAnchor = null;
        menuSpan = null;
      },
      content: spanMenuContent({
        text,
        label,
        start,
        end,
        nTokens: s.tokens.length,
        spans,
        count,
        labels,
        styleFor,
        onRelabel: (l) => {
          popups.close();
          sendEdit("relabel", { sentence, start, end, label: l });
        },
        onDelete: () => {
          popups.close();
          sendEdit("delete", { sentence, start });
        },
        onResize: (ns, ne) => {
          popups.close();
          sendEdit("resize", { sentence, start, new_start: ns, new_end: ne });
        },
        onApplyAll: () => {
          const panel = applyAllPanel({
            text,
            label,
            labels,
            styleFor,
            idPrefix,
            onPreview: (to) => {
              if (applyAll) applyAll.id = sendEdit("preview_all", { sentence, start, end, label: to });
            },
            onApply: (to, includeUntagged) => {
              popups.close();
              sendEdit("relabel_all", { text, from_label: null, to_label: to, include_untagged: includeUntagged });
            },
            onBack: () => {
              const at = popupAnchor ?? box;
              popups.close();
              if (at.isConnected) openSpanMenu(at);
            },
          });
          applyAll = { id: null, panel };
          popups.replace(panel.nodes);
          applyAll.id = sendEdit("preview_all", { sentence, start, end, label: panel.toLabel });
        },
      }),
    });
    popupAnchor = box;
    box.classList.add("bx-menu-open");
    menuSpan = { sentence: String(sentence), start: String(start), end: String(end), label };
    pop.addEventListener("keydown", (e) => {
      if ((e.key === "Delete" || e.key === "Backspace") && !isEditable(e.target) && !applyAll) {
        e.preventDefault();
        popups.close();
        sendEdit("delete", { sentence, start });
      }
    });
  }

  // ---------------------------------------------------------------- token ranges (new spans)
  /** @param {HTMLElement} row */
  function freeTokens(row) {
    return /** @type {HTMLElement[]} */ ([...row.querySelectorAll(".bx-toks > .bx-tok")]);
  }

  function paintRange() {
    for (const t of rows.querySelectorAll(".bx-range")) t.classList.remove("bx-range");
    if (!range) return;
    const row = rowEl(range.row);
    if (!row) return;
    const lo = Math.min(range.anchor, range.focus);
    const hi = Math.max(range.anchor, range.focus);
    for (const t of row.querySelectorAll(".bx-tok")) {
      const p = Number(t.getAttribute("data-pos"));
      if (p >= lo && p <= hi) t.classList.add("bx-range");
    }
  }

  function clearRange() {
    range = null;
    paintRange();
  }

  /** Open the "new span" menu for the current range, if it covers untagged tokens only. */
  function openAddMenu() {
    if (!range || !page) return;
    const s = page.sentences[range.row];
    const row = rowEl(range.row);
    if (!s || !row) return;
    const lo = Math.min(range.anchor, range.focus);
    const hi = Math.max(range.anchor, range.focus) + 1;
    const spans = Array.isArray(s.spans) ? s.spans : [];
    if (spans.some(([a, b]) => a < hi && b > lo)) {
      setStatus("A new span cannot overlap an existing span — edit that span instead.");
      clearRange();
      return;
    }
    const anchor = /** @type {HTMLElement | null} */ (row.querySelector(`.bx-tok[data-pos="${hi - 1}"]`));
    if (!anchor) return;
    const sentence = s.sentence;
    popups.open(anchor, {
      label: "New span",
      cls: "bx-pop-add",
      onClose: () => {
        popupAnchor = null;
        clearRange();
      },
      content: addMenuContent({
        text: s.tokens.slice(lo, hi).join(" "),
        labels: labelsTrait(),
        styleFor,
        onAdd: (label) => {
          popups.close();
          sendEdit("add", { sentence, start: lo, end: hi, label });
        },
      }),
    });
    popupAnchor = anchor; // after open(): closing the previous popup clears it
  }

  // ---------------------------------------------------------------- anomaly tooltip
  /** @param {HTMLElement} target */
  function showTip(target) {
    const text = target.getAttribute("title") || anomalyText(target);
    if (!text) return;
    tip.textContent = text;
    tip.hidden = false;
    const rr = root.getBoundingClientRect();
    const tr = target.getBoundingClientRect();
    const left = Math.max(4, Math.min(tr.left - rr.left, root.clientWidth - tip.offsetWidth - 4));
    tip.style.left = `${Math.round(left)}px`;
    tip.style.top = `${Math.round(tr.bottom - rr.top + 6)}px`;
  }
  /** @param {HTMLElement} target */
  function anomalyText(target) {
    const ids = (target.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
    return ids
      .map((id) => root.querySelector(`#${CSS.escape(id)}`)?.textContent ?? "")
      .filter(Boolean)
      .join("\n");
  }
  function hideTip() {
    tip.hidden = true;
  }

  // ---------------------------------------------------------------- events: rows
  /** @param {EventTarget | null} t */
  const tokenOf = (t) => (t instanceof Element ? /** @type {HTMLElement | null} */ (t.closest(".bx-tok")) : null);
  /** @param {EventTarget | null} t */
  const rowOf = (t) => (t instanceof Element ? /** @type {HTMLElement | null} */ (t.closest(".bx-row")) : null);

  rows.addEventListener("click", (e) => {
    if (suppressClick) {
      suppressClick = false;
      return;
    }
    const target = /** @type {HTMLElement} */ (e.target);
    const row = rowOf(target);
    if (!row || !page) return;
    const idx = Number(row.getAttribute("data-index"));
    const s = page.sentences[idx];
    if (!s) return;
    setActive(idx);
    const box = /** @type {HTMLElement | null} */ (target.closest(".bx-span"));
    if (box) {
      clearRange();
      select(s.sentence, Number(box.getAttribute("data-start")), Number(box.getAttribute("data-end")));
      openSpanMenu(box);
      return;
    }
    const tok = tokenOf(target);
    if (tok && e.shiftKey && range && range.row === idx) {
      range.focus = Number(tok.getAttribute("data-pos"));
      paintRange();
      openAddMenu();
      return;
    }
    if (tok) {
      const p = Number(tok.getAttribute("data-pos"));
      range = { row: idx, sentence: s.sentence, anchor: p, focus: p };
      paintRange();
    } else clearRange();
    select(s.sentence, null, null);
    if (document.activeElement === root || !row.contains(document.activeElement)) row.focus({ preventScroll: true });
  });

  rows.addEventListener("mousedown", (e) => {
    if (e.button !== 0 || e.shiftKey) return;
    const tok = tokenOf(e.target);
    const row = rowOf(e.target);
    if (!tok || !row || tok.closest(".bx-span")) return;
    const idx = Number(row.getAttribute("data-index"));
    const s = page?.sentences[idx];
    if (!s) return;
    const p = Number(tok.getAttribute("data-pos"));
    drag = { row: idx, sentence: s.sentence, anchor: p, focus: p, moved: false };
  });

  rows.addEventListener("mouseover", (e) => {
    if (!drag) return;
    const tok = tokenOf(e.target);
    const row = rowOf(e.target);
    if (!tok || !row || Number(row.getAttribute("data-index")) !== drag.row) return;
    const p = Number(tok.getAttribute("data-pos"));
    if (p !== drag.focus) {
      drag.focus = p;
      drag.moved = drag.focus !== drag.anchor;
      root.classList.add("bx-dragging");
      range = { row: drag.row, sentence: drag.sentence, anchor: drag.anchor, focus: drag.focus };
      paintRange();
    }
  });

  const onMouseUp = () => {
    if (!drag) return;
    const d = drag;
    drag = null;
    root.classList.remove("bx-dragging");
    if (d.moved) {
      suppressClick = true;
      setTimeout(() => {
        suppressClick = false;
      }, 0);
      window.getSelection()?.removeAllRanges();
      range = { row: d.row, sentence: d.sentence, anchor: d.anchor, focus: d.focus };
      setActive(d.row);
      select(d.sentence, null, null);
      openAddMenu();
    }
  };
  document.addEventListener("mouseup", onMouseUp);
  disposers.push(() => document.removeEventListener("mouseup", onMouseUp));

  rows.addEventListener("focusin", (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    const row = rowOf(t);
    if (row) {
      const idx = Number(row.getAttribute("data-index"));
      if (idx !== active || !row.classList.contains("bx-active")) setActive(idx);
    }
    if (t.hasAttribute("data-anomaly")) showTip(t);
    else hideTip();
  });
  rows.addEventListener("focusout", () => hideTip());
  rows.addEventListener("scroll", () => {
    hideTip();
    if (!popups.isOpen() || !popupAnchor || !rows.contains(popupAnchor)) return;
    if (anchorInView()) popups.reposition();
    else popups.close();
  });

  // ---------------------------------------------------------------- events: keyboard
  root.addEventListener("keydown", (e) => {
    const target = e.target;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (mod && !e.altKey && (key === "z" || key === "Z") && !isEditable(target)) {
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
      return;
    }
    if (mod && !e.altKey && !e.shiftKey && (key === "y" || key === "Y") && !isEditable(target)) {
      e.preventDefault();
      redo();
      return;
    }
    if (mod || e.altKey) return;
    if (!isEditable(target) && review.onKey(e)) return;
    if (key === "Escape") {
      if (popups.isOpen()) popups.close();
      else if (!isEditable(target)) clearSelection();
      return;
    }
    if (isEditable(target)) return;
    if (key === "/") {
      e.preventDefault();
      filters.focusSearch();
    } else if (key === "j" || (key === "ArrowDown" && rowOf(target) === target)) {
      e.preventDefault();
      moveActive(1);
    } else if (key === "k" || (key === "ArrowUp" && rowOf(target) === target)) {
      e.preventDefault();
      moveActive(-1);
    } else if ((key === "Enter" || key === " ") && target instanceof HTMLElement) {
      if (target.classList.contains("bx-span")) {
        e.preventDefault();
        target.click();
      } else if (target.classList.contains("bx-row")) {
        e.preventDefault();
        const s = page?.sentences[Number(target.getAttribute("data-index"))];
        if (s) select(s.sentence, null, null);
      }
    } else if ((key === "Delete" || key === "Backspace") && target instanceof HTMLElement && target.classList.contains("bx-span")) {
      e.preventDefault();
      const row = rowOf(target);
      const s = row && page?.sentences[Number(row.getAttribute("data-index"))];
      if (s) sendEdit("delete", { sentence: s.sentence, start: Number(target.getAttribute("data-start")) });
    }
  });

  // ---------------------------------------------------------------- events: buttons
  prevBtn.addEventListener("click", () => {
    if (page) requestPage(Math.max(0, page.offset - pageSize()));
  });
  nextBtn.addEventListener("click", () => {
    if (page) requestPage(page.offset + pageSize());
  });
  tagsBtn.addEventListener("click", () => {
    showTags = !showTags;
    tagsBtn.setAttribute("aria-pressed", String(showTags));
    root.classList.toggle("bx-show-tags", showTags);
    renderPage(true);
  });
  const syncPlainTitle = () => {
    const prefix = String(model.get("_token_prefix") ?? "");
    plainBtn.title =
      "Show sentences as written text: no space before punctuation" +
      (prefix ? `, the “${prefix}” prefix of the tokens hidden` : "") +
      " (display only: the tokens are unchanged)";
  };
  syncPlainTitle();
  plainBtn.addEventListener("click", () => {
    plainText = !plainText;
    plainBtn.setAttribute("aria-pressed", String(plainText));
    renderPage(true);
  });
  undoBtn.addEventListener("click", undo);
  redoBtn.addEventListener("click", redo);
  saveBtn.addEventListener("click", () => sendEdit("save"));
  errorClose.addEventListener("click", clearError);
  retryBtn.addEventListener("click", () => {
    clearError();
    syncPager();
    requestPage(page && !page.saved ? page.offset : offset);
  });

  // ---------------------------------------------------------------- model events
  /** @param {any} msg */
  const onCustom = (msg) => {
    if (disposed || !msg || typeof msg !== "object") return;
    if (review.claims(msg)) return; // review replies and errors; pages while reviewing
    if (msg.kind === "page") onPage(msg);
    else if (msg.kind === "edit") onEditReply(msg);
    else if (msg.kind === "error") onErrorReply(msg);
  };
  listen("msg:custom", onCustom);
  listen("change:query", () => {
    // the page request goes out first (its microtask is queued before this one); the filter bar
    // (chips, counts) is redrawn right after, while Python answers
    schedulePage(0);
    queueMicrotask(() => {
      if (!disposed) syncFilters();
    });
  });
  listen("change:_data_version", () => {
    if (review.active()) review.refresh();
    else if (Number(model.get("_data_version")) <= rowsVersion) return; // an edit reply drew these rows
    else schedulePage(page ? page.offset : offset);
  });
  listen("change:review_mode", () => review.syncMode());
  listen("change:review_query", () => review.onQuery());
  listen("change:page_size", () => schedulePage(0));
  listen("change:_labels", () => {
    styleFor = makeStyleCache(labelsTrait());
    syncFiltersAfterRows();
  });
  listen("change:_anomaly_kinds", syncFiltersAfterRows);
  listen("change:_sources", syncFiltersAfterRows);
  listen("change:matching_sentences", () => {
    syncFiltersAfterRows();
    syncPager();
  });
  listen("change:total_sentences", syncFiltersAfterRows);
  listen("change:_status", syncStatus);
  listen("change:_token_prefix", () => {
    syncPlainTitle();
    if (plainText) renderPage(true);
  });
  listen("change:_selection", markSelection);

  syncFilters();
  syncStatus();
  showSavedPage();
  syncPager();
  requestPage(0);
  review.syncMode();

  return () => {
    disposed = true;
    for (const [ev, fn] of modelHandlers) model.off(ev, fn);
    for (const d of disposers) d();
    if (statusTimer !== null) clearTimeout(statusTimer);
    if (busyTimer !== null) clearTimeout(busyTimer);
    scheduled = null;
    root.remove();
  };
}

export default { render };
