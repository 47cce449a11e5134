// @ts-check
/**
 * Contents of the editing popups: the span menu (relabel, delete, shrink/extend, apply to all),
 * the "new span" menu for a token range, and the "apply to all occurrences" preview panel.
 * They only build DOM and call the callbacks they are given; span_view.js sends the messages.
 */
import { applyLabelStyle } from "./color.js";
import { ellipsize, fmtInt, h, plural } from "./dom.js";
import { menuItem } from "./menu.js";

/** @typedef {{label: string, color?: string, count?: number}} LabelInfo */
/** @typedef {(label: string) => import("./color.js").LabelStyle} StyleFor */

/**
 * @param {string} label
 * @param {StyleFor} styleFor
 */
function swatch(label, styleFor) {
  const sw = h("span", { cls: "bx-swatch", attrs: { "aria-hidden": "true" } });
  applyLabelStyle(sw, styleFor(label));
  return sw;
}

/**
 * The list of labels (digits 1–9 pick the first nine) plus a "new label" field.
 * @param {LabelInfo[]} labels
 * @param {StyleFor} styleFor
 * @param {string | null} current
 * @param {(label: string) => void} onPick
 */
function labelList(labels, styleFor, current, onPick) {
  const list = h("div", { cls: "bx-mlist", attrs: { role: "menu", "aria-label": "Labels" } });
  labels.forEach((l, i) => {
    const label = String(l.label);
    const item = menuItem(label, () => onPick(label), {
      role: "menuitemradio",
      checked: label === current,
      digit: i < 9 ? i + 1 : undefined,
      cls: label === current ? "bx-current" : undefined,
      prefix: [swatch(label, styleFor)],
      suffix: [h("span", { cls: "bx-kbd", text: i < 9 ? String(i + 1) : "", attrs: { "aria-hidden": "true" } })],
    });
    if (label === current) item.setAttribute("data-autofocus", "");
    list.append(item);
  });
  const input = h("input", {
    cls: "bx-newlabel",
    attrs: { type: "text", placeholder: "New label…", "aria-label": "New label name", spellcheck: "false" },
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const v = input.value.trim();
      if (v) onPick(v);
    }
  });
  return [list, h("div", { cls: "bx-newlabel-row" }, [input])];
}

/**
 * @param {string} text
 * @param {string | null} label
 * @param {StyleFor} styleFor
 */
function header(text, label, styleFor) {
  const head = h("div", { cls: "bx-pop-head" });
  if (label) {
    const chip = h("span", { cls: "bx-chip bx-chip-static", text: label });
    applyLabelStyle(chip, styleFor(label));
    head.append(chip);
  }
  head.append(h("span", { cls: "bx-pop-quote", text: `“${ellipsize(text, 60)}”`, attrs: { title: ellipsize(text, 500) } }));
  return head;
}

/**
 * @typedef {Object} SpanMenuArgs
 * @property {string} text the span text (tokens joined by one space)
 * @property {string} label
 * @property {number} start
 * @property {number} end
 * @property {number} nTokens tokens in the sentence
 * @property {Array<[number, number, string]>} spans all spans of the sentence
 * @property {number} [count] spans of the whole corpus with exactly this text, any label
 *   (the page's `span_counts`); unknown when absent
 * @property {LabelInfo[]} labels
 * @property {StyleFor} styleFor
 * @property {(label: string) => void} onRelabel
 * @property {() => void} onDelete
 * @property {(newStart: number, newEnd: number) => void} onResize
 * @property {() => void} onApplyAll
 */

/** @param {SpanMenuArgs} a */
export function spanMenuContent(a) {
  const { start, end } = a;
  const others = a.spans.filter(([s, e]) => !(s === start && e === end));
  /** @param {number} s @param {number} e */
  const free = (s, e) => s >= 0 && e <= a.nTokens && e > s && !others.some(([os, oe]) => os < e && oe > s);
  const len = end - start;

  /** @param {string} text @param {string} title @param {number} ns @param {number} ne @param {boolean} ok */
  const resize = (text, title, ns, ne, ok) =>
    menuItem(text, () => a.onResize(ns, ne), { disabled: !ok, title, ariaLabel: title, cls: "bx-mi-small" });

  const sizeRow = h("div", { cls: "bx-mgrid", attrs: { role: "group", "aria-label": "Resize span" } }, [
    resize("Shrink ◂", "Shrink: drop the last token", start, end - 1, len > 1),
    resize("Shrink ▸", "Shrink: drop the first token", start + 1, end, len > 1),
    resize("Extend ◂", "Extend by one token to the left", start - 1, end, free(start - 1, end)),
    resize("Extend ▸", "Extend by one token to the right", start, end + 1, free(start, end + 1)),
  ]);

  return [
    header(a.text, a.label, a.styleFor),
    ...labelList(a.labels, a.styleFor, a.label, (l) => {
      if (l !== a.label) a.onRelabel(l);
    }),
    h("div", { cls: "bx-sep", attrs: { role: "separator" } }),
    sizeRow,
    h("div", { cls: "bx-sep", attrs: { role: "separator" } }),
    menuItem("Delete span", a.onDelete, { cls: "bx-danger", suffix: [h("span", { cls: "bx-kbd", text: "Del" })] }),
    applyAllItem(a.count, a.onApplyAll),
  ];
}

/**
 * "Apply to all N occurrences of this text…", N from the page payload. When this span is the only
 * one with its text the item stays enabled: the preview can still tag untagged occurrences.
 * @param {number | undefined} count
 * @param {() => void} onApplyAll
 */
export function applyAllItem(count, onApplyAll) {
  const n = Number(count);
  const known = count !== undefined && count !== null && Number.isFinite(n) && n >= 1;
  const text = !known
    ? "Apply to all occurrences of this text…"
    : n === 1
      ? "Only tagged occurrence — find untagged ones…"
      : `Apply to all ${fmtInt(n)} occurrences of this text…`;
  const title = !known
    ? undefined
    : n === 1
      ? "No other span has this text; the preview lists its untagged occurrences"
      : `${fmtInt(n)} spans in the corpus have this text (any label); preview before applying`;
  const item = menuItem(text, onApplyAll, { cls: "bx-mi-applyall", title });
  if (known) item.setAttribute("data-count", String(n));
  return item;
}

/**
 * Menu for a selected range of untagged tokens: create a span.
 * @param {{ text: string, labels: LabelInfo[], styleFor: StyleFor, onAdd: (label: string) => void }} a
 */
export function addMenuContent(a) {
  return [
    h("div", { cls: "bx-pop-head" }, [
      h("span", { cls: "bx-pop-kicker", text: "New span" }),
      h("span", { cls: "bx-pop-quote", text: `“${ellipsize(a.text, 60)}”`, attrs: { title: ellipsize(a.text, 500) } }),
    ]),
    ...labelList(a.labels, a.styleFor, null, a.onAdd),
  ];
}

/**
 * @typedef {Object} Preview
 * @property {number} count
 * @property {Array<{sentence: number, start: number, end: number, text?: string,
 *   from_label?: string | null, to_label?: string | null}>} rows
 */

/** @param {string | null | undefined} l */
export const isUntagged = (l) => l === null || l === undefined || l === "" || l === "O";

/**
 * "Apply to all occurrences" panel. Returns its nodes and a setter for the preview reply.
 * @param {{ text: string, label: string, labels: LabelInfo[], styleFor: StyleFor,
 *           onPreview: (toLabel: string) => void,
 *           onApply: (toLabel: string, includeUntagged: boolean) => void,
 *           onBack: () => void, idPrefix: string }} a
 */
export function applyAllPanel(a) {
  let toLabel = a.label;
  /** @type {Preview | null} */
  let preview = null;

  const select = h("select", { cls: "bx-select bx-pop-focusable", attrs: { "aria-label": "New label for all occurrences" } });
  const names = a.labels.map((l) => String(l.label));
  if (!names.includes(a.label)) names.unshift(a.label);
  for (const n of names) select.append(h("option", { text: n, attrs: { value: n } }));
  select.value = toLabel;
  select.setAttribute("data-autofocus", "");
  select.addEventListener("change", () => {
    toLabel = select.value;
    preview = null;
    renderPreview();
    a.onPreview(toLabel);
  });

  const cbId = `${a.idPrefix}-untagged`;
  const untagged = h("input", { cls: "bx-pop-focusable", attrs: { type: "checkbox", id: cbId } });
  untagged.checked = true;
  untagged.addEventListener("change", () => renderPreview());
  const untaggedRow = h("label", { cls: "bx-check", attrs: { for: cbId } }, [
    untagged,
    h("span", { cls: "bx-check-text", text: "Also tag untagged occurrences" }),
  ]);

  const body = h("div", { cls: "bx-preview", attrs: { "aria-live": "polite" } });
  const applyBtn = h("button", { cls: "bx-btn bx-primary bx-pop-focusable", text: "Apply", attrs: { type: "button" } });
  applyBtn.addEventListener("click", () => {
    if (preview) a.onApply(toLabel, untagged.checked);
  });
  const backBtn = h("button", { cls: "bx-btn bx-pop-focusable", text: "Back", attrs: { type: "button" } });
  backBtn.addEventListener("click", () => a.onBack());

  function renderPreview() {
    body.replaceChildren();
    if (!preview) {
      body.append(h("div", { cls: "bx-muted", text: "Looking for occurrences…" }));
      applyBtn.disabled = true;
      applyBtn.textContent = "Apply";
      untaggedRow.hidden = true;
      return;
    }
    const rows = Array.isArray(preview.rows) ? preview.rows : [];
    const count = Number(preview.count ?? rows.length);
    const anyUntagged = rows.some((r) => isUntagged(r.from_label));
    untaggedRow.hidden = !anyUntagged;
    const table = h("table", { cls: "bx-ptable" });
    table.append(
      h("thead", {}, [
        h("tr", {}, [
          h("th", { text: "#", attrs: { scope: "col" } }),
          h("th", { text: "Text", attrs: { scope: "col" } }),
          h("th", { text: "Change", attrs: { scope: "col" } }),
        ]),
      ]),
    );
    const tbody = h("tbody");
    for (const r of rows) {
      const skip = isUntagged(r.from_label) && !untagged.checked;
      const to = r.to_label ?? toLabel;
      const same = (r.from_label ?? null) === to;
      const change = skip ? "skipped (untagged)" : same ? `${to} (unchanged)` : `${isUntagged(r.from_label) ? "O" : r.from_label} → ${to}`;
      const tr = h("tr", { cls: skip || same ? "bx-skip" : "" });
      tr.append(
        h("td", { cls: "bx-pnum", text: `#${r.sentence}` }),
        h("td", { cls: "bx-ptext", text: ellipsize(String(r.text ?? a.text), 50) }),
        h("td", { cls: "bx-pchange", text: change }),
      );
      tbody.append(tr);
    }
    table.append(tbody);
    const already = Number(preview.already ?? 0);
    const quoted = `“${ellipsize(a.text, 40)}”`;
    const countText =
      count === 0 && already > 0
        ? `All ${plural(already, "occurrence")} of ${quoted} are already ${toLabel}`
        : `${plural(count, "occurrence")} of ${quoted} to change` + (already > 0 ? ` (${fmtInt(already)} already ${toLabel})` : "");
    body.append(h("div", { cls: "bx-pcount", text: countText }));
    if (rows.length) body.append(h("div", { cls: "bx-ptable-wrap" }, [table]));
    if (count > rows.length) body.append(h("div", { cls: "bx-muted", text: `…and ${fmtInt(count - rows.length)} more` }));
    applyBtn.disabled = count === 0;
    applyBtn.textContent = count ? `Apply to all ${fmtInt(count)}` : "Nothing to change";
  }
  renderPreview();

  const nodes = [
    h("div", { cls: "bx-pop-head" }, [
      h("span", { cls: "bx-pop-kicker", text: "Relabel every" }),
      h("span", { cls: "bx-pop-quote", text: `“${ellipsize(a.text, 50)}”`, attrs: { title: ellipsize(a.text, 500) } }),
    ]),
    h("div", { cls: "bx-pop-row" }, [h("span", { cls: "bx-muted", text: "as" }), select]),
    body,
    untaggedRow,
    h("div", { cls: "bx-pop-actions" }, [backBtn, applyBtn]),
  ];
  return {
    nodes,
    /** @param {Preview} p */
    setPreview(p) {
      preview = p && typeof p === "object" ? p : { count: 0, rows: [] };
      renderPreview();
    },
    get toLabel() {
      return toLabel;
    },
  };
}
