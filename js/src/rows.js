// @ts-check
/**
 * Sentence rows: builds one page of sentences into a DocumentFragment (one append per page).
 * Only text nodes and attributes carry corpus data.
 */
import { applyLabelStyle, labelStyle } from "./color.js";
import { ellipsize, h } from "./dom.js";

/**
 * One sentence of a page payload (see docs/ARCHITECTURE.md).
 * @typedef {Object} Sentence
 * @property {number} sentence
 * @property {string} [source]
 * @property {number} [line]
 * @property {number} [doc]
 * @property {string[]} tokens
 * @property {string[]} [tags]
 * @property {Array<[number, number, string]>} [spans]
 * @property {number[]} [span_counts] per span: spans of the whole corpus with the same text
 * @property {Array<[number, number, string, string | null, string]>} [anomalies]
 * @property {number[]} [highlight]
 * @property {number[]} [edited]
 */

/**
 * @typedef {Object} RowContext
 * @property {(label: string) => import("./color.js").LabelStyle} styleFor
 * @property {boolean} showTags
 * @property {string} idPrefix unique per widget, for aria-describedby ids
 * @property {{ prefix: string } | null} [plain] "Plain text" display: tokens joined as written text
 *   (no space before punctuation, none after opening brackets), `prefix` (e.g. "en:") hidden
 * @property {string[]} [anomalyFilter] the query's anomaly entries ("kind" or "kind:label"): the
 *   occurrences they select are highlighted and carry a `.bx-anom-hit` description
 */

const NO_SPACE_BEFORE = /^(?:[.,;:!?%)\]}»”’]|'s|'S|n't|'re|'ve|'ll|'d|'m|\.\.\.)$/;
const NO_SPACE_AFTER = /^[(\[{«“‘$#]$/;

/**
 * The separator before token `p` ("" or " ") in the "Plain text" display.
 * @param {string[]} shown the tokens as displayed
 * @param {number} p
 */
function gapBefore(shown, p) {
  return NO_SPACE_BEFORE.test(shown[p]) || NO_SPACE_AFTER.test(shown[p - 1]) ? "" : " ";
}

/** Tokens longer than this are clamped to a few lines (full text kept, wraps anywhere). */
const LONG_TOKEN = 60;

/**
 * Build the rows of one page.
 * @param {Sentence[]} sentences
 * @param {RowContext} ctx
 * @returns {DocumentFragment}
 */
export function buildRows(sentences, ctx) {
  const frag = document.createDocumentFragment();
  for (let i = 0; i < sentences.length; i++) frag.append(buildRow(sentences[i], i, ctx));
  return frag;
}

/**
 * @param {Sentence} s
 * @param {number} index position in the page
 * @param {RowContext} ctx
 */
export function buildRow(s, index, ctx) {
  const tokens = Array.isArray(s.tokens) ? s.tokens : [];
  const n = tokens.length;
  const row = h("div", {
    cls: "bx-row",
    attrs: { role: "listitem", tabindex: "-1", "data-index": index, "data-sentence": s.sentence },
  });

  const src = s.source == null ? "" : String(s.source);
  const line = s.line != null ? `:${s.line}` : "";
  row.append(
    h("div", { cls: "bx-gutter" }, [
      h("span", { cls: "bx-num", text: `#${s.sentence}` }),
      src || line
        ? h("span", { cls: "bx-src", attrs: { title: `${src}${line}` } }, [
            h("span", { cls: "bx-src-name", text: src }),
            h("span", { cls: "bx-src-line", text: line }),
          ])
        : null,
    ]),
  );

  // position -> marks
  const hl = new Set(Array.isArray(s.highlight) ? s.highlight : []);
  const edited = new Set(Array.isArray(s.edited) ? s.edited : []);
  /** @type {Map<number, string[]>} */
  const anomTitle = new Map();
  /** @type {Map<number, string>} first token of an anomaly -> description element id */
  const anomStart = new Map();
  /** @type {Array<[number, number]>} */
  const anomRanges = [];
  const desc = [];
  const anomalies = Array.isArray(s.anomalies) ? s.anomalies : [];
  for (let a = 0; a < anomalies.length; a++) {
    const [start, endRaw, kind, label, detail] = anomalies[a];
    const st = clampInt(start, 0, Math.max(0, n - 1));
    const end = clampInt(Math.max(endRaw, start + 1), st + 1, n);
    const text = `${kind}${label ? ` (${label})` : ""}${detail ? `: ${detail}` : ""}`;
    for (let p = st; p < end; p++) {
      const list = anomTitle.get(p);
      if (list) list.push(text);
      else anomTitle.set(p, [text]);
    }
    anomRanges.push([st, end]);
    const id = `${ctx.idPrefix}-a${s.sentence}-${a}`;
    const wanted = ctx.anomalyFilter ?? [];
    const hit = wanted.includes(kind) || (label != null && wanted.includes(`${kind}:${label}`));
    if (hit) for (let p = st; p < end; p++) hl.add(p);
    desc.push(h("span", { cls: hit ? "bx-sr-only bx-anom-hit" : "bx-sr-only", text, attrs: { id } }));
    const prev = anomStart.get(st);
    anomStart.set(st, prev ? `${prev} ${id}` : id);
  }

  // spans: start -> [end, label]
  /** @type {Map<number, [number, string]>} */
  const spanAt = new Map();
  const spans = Array.isArray(s.spans) ? s.spans : [];
  for (const sp of spans) {
    const [start, end, label] = sp;
    if (!(end > start) || start < 0 || start >= n) continue;
    spanAt.set(start, [Math.min(end, n), String(label)]);
  }

  const toks = h("div", { cls: "bx-toks" });
  const plain = ctx.plain ?? null;
  /** @type {string[]} */
  const shown = tokens.map((t) => {
    const text = String(t ?? "");
    return plain && plain.prefix && text.startsWith(plain.prefix) && text.length > plain.prefix.length
      ? text.slice(plain.prefix.length)
      : text;
  });
  /** @param {number} p */
  const gap = (p) => (plain ? gapBefore(shown, p) : " ");
  const tags = Array.isArray(s.tags) ? s.tags : null;
  /** @param {number} p @param {boolean} inSpan */
  const tok = (p, inSpan) => {
    const text = shown[p];
    const el = document.createElement("span");
    let cls = "bx-tok";
    if (hl.has(p)) cls += " bx-hl";
    if (edited.has(p)) cls += " bx-edited";
    const at = anomTitle.get(p);
    if (at) {
      cls += " bx-anom";
      el.title = at.join("\n");
      const ids = inSpan ? undefined : anomStart.get(p);
      if (ids) {
        el.setAttribute("aria-describedby", ids);
        el.setAttribute("tabindex", "-1");
        el.setAttribute("data-focusable", "");
        el.setAttribute("data-anomaly", "");
      }
    }
    el.setAttribute("data-pos", String(p));
    if (text.length > LONG_TOKEN) {
      cls += " bx-long";
      el.append(h("span", { cls: "bx-tt", text }));
      if (!at) el.title = ellipsize(text, 300);
    } else {
      el.append(document.createTextNode(text));
    }
    if (edited.has(p)) el.title = el.title ? `${el.title}\n(edited, not saved yet)` : "edited, not saved yet";
    if (ctx.showTags) {
      const tag = tags ? String(tags[p] ?? "") : "";
      const kind = tag === "O" || tag === "" ? "o" : tag[0] === "B" ? "b" : "i";
      el.append(h("span", { cls: `bx-tag bx-tag-${kind}`, text: tag || "·" }));
      cls += " bx-with-tag";
    }
    el.className = cls;
    return el;
  };

  for (let p = 0; p < n; ) {
    const sp = spanAt.get(p);
    if (p > 0) toks.append(gap(p)); // real spaces: inline layout is cheap and copied text reads naturally
    if (!sp) {
      toks.append(tok(p, false));
      p += 1;
      continue;
    }
    const [end, label] = sp;
    const box = document.createElement("span");
    const anomalous = anomRanges.some(([a, b]) => a < end && b > p);
    box.className = anomalous ? "bx-span bx-span-anom" : "bx-span";
    /** @type {string[]} */
    const described = [];
    for (let q = p; q < end; q++) {
      const ids = anomStart.get(q);
      if (ids) described.push(ids);
    }
    if (described.length) {
      box.setAttribute("aria-describedby", described.join(" "));
      box.setAttribute("data-anomaly", "");
    }
    box.setAttribute("role", "button");
    box.setAttribute("tabindex", "-1");
    box.setAttribute("data-focusable", "");
    box.setAttribute("data-start", String(p));
    box.setAttribute("data-end", String(end));
    box.setAttribute("data-label", label);
    box.setAttribute("aria-haspopup", "menu");
    const text = shown.slice(p, end).join(" ");
    box.setAttribute("aria-label", `${label}: ${ellipsize(text, 120)}`);
    applyLabelStyle(box, ctx.styleFor(label));
    // the chip and the first token never wrap apart
    const lead = h("span", { cls: "bx-lead" }, [
      h("span", { cls: "bx-chip", text: label, attrs: { "aria-hidden": "true" } }),
      tok(p, true),
    ]);
    box.append(lead);
    for (let q = p + 1; q < end; q++) box.append(gap(q), tok(q, true));
    toks.append(box);
    p = end;
  }
  if (n === 0) toks.append(h("span", { cls: "bx-empty-sentence", text: "(empty sentence)" }));
  row.append(toks);
  if (desc.length) row.append(...desc);
  return row;
}

/** @param {number} v @param {number} lo @param {number} hi */
function clampInt(v, lo, hi) {
  const x = Number.isFinite(v) ? Math.trunc(v) : lo;
  return Math.max(lo, Math.min(hi, x));
}

/**
 * Style cache keyed by label, rebuilt when `_labels` changes.
 * @param {Array<{label: string, color?: string}>} labels
 */
export function makeStyleCache(labels) {
  /** @type {Map<string, import("./color.js").LabelStyle>} */
  const map = new Map();
  for (const l of labels) if (l && typeof l.label === "string") map.set(l.label, labelStyle(l.label, l.color));
  /** @param {string} label */
  return (label) => {
    let st = map.get(label);
    if (!st) {
      st = labelStyle(label, null);
      map.set(label, st);
    }
    return st;
  };
}
