// @ts-check
/**
 * Filter bar + legend: search box with regex/case/where toggles, anomaly-kind and source pickers,
 * Clear, and the label chips (which double as the legend with per-label span counts).
 * The bar never talks to the model: it reports a new query via `onQuery` and is re-synced with `update`.
 */
import { applyLabelStyle } from "./color.js";
import { debounce, fmtInt, h, plural, show } from "./dom.js";
import { listOf, toggleIn, withKey } from "./query.js";

/** ms after the last keystroke before the search box filters */
export const SEARCH_DEBOUNCE_MS = 40;

/**
 * @typedef {Object} FilterState
 * @property {import("./query.js").Query} query
 * @property {Array<{label: string, color?: string, count?: number}>} labels
 * @property {Array<{kind: string, count?: number}>} anomalyKinds
 * @property {string[]} sources
 * @property {(label: string) => import("./color.js").LabelStyle} styleFor
 */

/**
 * @param {{ onQuery: (q: import("./query.js").Query, opts?: {immediate?: boolean}) => void,
 *           getQuery: () => import("./query.js").Query,
 *           popups: import("./menu.js").PopupHost, idPrefix: string,
 *           onSearchEscape: () => void }} deps
 */
export function createFilterBar(deps) {
  const { onQuery, getQuery, popups, idPrefix, onSearchEscape } = deps;

  // --- search ---------------------------------------------------------------------------
  const search = h("input", {
    cls: "bx-search",
    attrs: {
      type: "search",
      placeholder: "Search tokens… ( / )",
      "aria-label": "Search tokens",
      spellcheck: "false",
      autocomplete: "off",
    },
  });
  // short enough to feel immediate after the last keystroke, long enough to skip most of the
  // keystrokes of a word; Enter searches at once; Python drops superseded page requests
  const pushText = debounce(() => onQuery(withKey(getQuery(), "text", search.value)), SEARCH_DEBOUNCE_MS);
  search.addEventListener("input", () => pushText());
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      pushText.flush();
    } else if (e.key === "Escape") {
      e.stopPropagation();
      if (search.value) {
        search.value = "";
        pushText();
        pushText.flush();
      } else {
        onSearchEscape();
      }
    }
  });

  /**
   * @param {string} text
   * @param {string} title
   * @param {() => void} onClick
   */
  const toggle = (text, title, onClick) => {
    const b = h("button", {
      cls: "bx-btn bx-toggle",
      text,
      attrs: { type: "button", title, "aria-label": title, "aria-pressed": "false" },
    });
    b.addEventListener("click", onClick);
    return b;
  };
  const regexBtn = toggle(".*", "Regular expression", () => {
    pushText.flush();
    const q = getQuery();
    onQuery(withKey(q, "regex", !q.regex));
  });
  const caseBtn = toggle("Aa", "Case sensitive", () => {
    pushText.flush();
    const q = getQuery();
    onQuery(withKey(q, "case", !q.case));
  });

  // where: token | span (segmented)
  const whereGroup = h("div", { cls: "bx-seg", attrs: { role: "group", "aria-label": "Match in" } });
  /** @type {Record<string, HTMLButtonElement>} */
  const whereBtns = {};
  for (const [value, text, title] of [
    ["token", "Token", "Match single tokens"],
    ["span", "Span", "Match entity span text"],
  ]) {
    const b = h("button", {
      cls: "bx-btn bx-seg-btn",
      text,
      attrs: { type: "button", title, "aria-pressed": "false", "data-where": value },
    });
    b.addEventListener("click", () => {
      pushText.flush();
      onQuery(withKey(getQuery(), "where", value === "token" ? null : value));
    });
    whereBtns[value] = b;
    whereGroup.append(b);
  }

  const searchGroup = h("div", { cls: "bx-search-group" }, [search, regexBtn, caseBtn, whereGroup]);

  // --- anomaly kinds (popover with checkboxes) ------------------------------------------------
  const anomBtn = h("button", {
    cls: "bx-btn bx-dropdown",
    attrs: { type: "button", "aria-haspopup": "dialog", "aria-expanded": "false" },
  });
  const anomText = h("span", { text: "Anomalies" });
  anomBtn.append(anomText, h("span", { cls: "bx-caret", text: "▾", attrs: { "aria-hidden": "true" } }));
  /** @type {Array<{kind: string, count?: number}>} */
  let anomalyKinds = [];
  anomBtn.addEventListener("click", () => {
    if (popups.isOpen() && popups.element()?.classList.contains("bx-pop-anom")) {
      popups.close();
      return;
    }
    openAnomalyPicker();
  });

  function anomalyContent() {
    const selected = listOf(getQuery(), "anomaly");
    const kinds = [...anomalyKinds];
    for (const k of selected) if (!kinds.some((x) => x.kind === k)) kinds.push({ kind: k, count: 0 });
    if (!kinds.length) return [h("div", { cls: "bx-pop-note", text: "No anomalies found." })];
    const list = h("div", { cls: "bx-checklist", attrs: { role: "group", "aria-label": "Anomaly kinds" } });
    kinds.forEach((k, i) => {
      const id = `${idPrefix}-ak${i}`;
      const cb = h("input", { cls: "bx-pop-focusable", attrs: { type: "checkbox", id, "data-kind": k.kind } });
      cb.checked = selected.includes(k.kind);
      cb.addEventListener("change", () => {
        onQuery(toggleIn(getQuery(), "anomaly", k.kind), { immediate: true });
      });
      const lab = h("label", { cls: "bx-check", attrs: { for: id } }, [
        cb,
        h("span", { cls: "bx-check-text", text: k.kind }),
        h("span", { cls: "bx-count", text: fmtInt(Number(k.count ?? 0)) }),
      ]);
      list.append(lab);
    });
    return [h("div", { cls: "bx-pop-title", text: "Show sentences with" }), list];
  }

  function openAnomalyPicker() {
    anomBtn.setAttribute("aria-expanded", "true");
    popups.open(anomBtn, {
      label: "Filter by anomaly kind",
      cls: "bx-pop-anom",
      content: anomalyContent(),
      onClose: () => anomBtn.setAttribute("aria-expanded", "false"),
    });
  }

  // --- source --------------------------------------------------------------------------
  const sourceSel = h("select", { cls: "bx-select", attrs: { "aria-label": "Source file" } });
  sourceSel.addEventListener("change", () => {
    onQuery(withKey(getQuery(), "source", sourceSel.value ? [sourceSel.value] : null), { immediate: true });
  });
  let sourcesKey = "";

  // --- clear ---------------------------------------------------------------------------
  const clearBtn = h("button", {
    cls: "bx-btn",
    text: "Clear",
    attrs: { type: "button", title: "Clear all filters" },
  });
  clearBtn.addEventListener("click", () => {
    pushText.cancel();
    search.value = "";
    onQuery({}, { immediate: true });
  });

  const count = h("span", { cls: "bx-count-line", attrs: { "aria-live": "polite" } });

  const bar = h("div", { cls: "bx-filterbar", attrs: { role: "search" } }, [
    searchGroup,
    anomBtn,
    sourceSel,
    clearBtn,
  ]);

  // --- label chips / legend ------------------------------------------------------------
  const legend = h("div", { cls: "bx-legend", attrs: { role: "group", "aria-label": "Labels (click to filter)" } });

  /** @param {FilterState} st */
  function renderChips(st) {
    const selected = listOf(st.query, "labels");
    const items = [...st.labels];
    for (const l of selected) if (!items.some((x) => x.label === l)) items.push({ label: l, count: 0 });
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const label = String(item.label);
      const on = selected.includes(label);
      const b = h("button", {
        cls: `bx-lchip${on ? " bx-on" : ""}`,
        attrs: {
          type: "button",
          "aria-pressed": String(on),
          "data-label": label,
          title: `${on ? "Remove" : "Show only"} ${label} (${plural(Number(item.count ?? 0), "span")})`,
        },
      });
      applyLabelStyle(b, st.styleFor(label));
      b.append(
        h("span", { cls: "bx-swatch", attrs: { "aria-hidden": "true" } }),
        h("span", { cls: "bx-lchip-name", text: label }),
        h("span", { cls: "bx-lchip-count", text: fmtInt(Number(item.count ?? 0)) }),
      );
      b.addEventListener("click", () => onQuery(toggleIn(getQuery(), "labels", label), { immediate: true }));
      frag.append(b);
    }
    const hadFocus = legend.contains(document.activeElement)
      ? /** @type {HTMLElement} */ (document.activeElement).getAttribute("data-label")
      : null;
    legend.replaceChildren(frag);
    if (!items.length) legend.append(h("span", { cls: "bx-muted", text: "No entity labels" }));
    if (hadFocus !== null) {
      for (const b of legend.querySelectorAll("button")) {
        if (b.getAttribute("data-label") === hadFocus) b.focus({ preventScroll: true });
      }
    }
  }

  /**
   * Sync every control with the current traits.
   * @param {FilterState & {matching: number, total: number}} st
   */
  function update(st) {
    const q = st.query;
    if (document.activeElement !== search && !pushText.pending()) search.value = q.text ?? "";
    regexBtn.setAttribute("aria-pressed", String(!!q.regex));
    caseBtn.setAttribute("aria-pressed", String(!!q.case));
    const where = q.where === "span" ? "span" : "token";
    for (const [k, b] of Object.entries(whereBtns)) b.setAttribute("aria-pressed", String(k === where));
    search.placeholder = where === "span" ? "Search spans… ( / )" : "Search tokens… ( / )";

    anomalyKinds = st.anomalyKinds;
    const selectedKinds = listOf(q, "anomaly");
    anomText.textContent = selectedKinds.length ? `Anomalies (${selectedKinds.length})` : "Anomalies";
    anomBtn.classList.toggle("bx-active", selectedKinds.length > 0);
    show(anomBtn, anomalyKinds.length > 0 || selectedKinds.length > 0);
    const total = anomalyKinds.reduce((a, k) => a + Number(k.count ?? 0), 0);
    anomBtn.title = `Filter by anomaly kind (${plural(total, "anomaly", "anomalies")})`;
    const pop = popups.element();
    if (pop && pop.classList.contains("bx-pop-anom")) {
      // refresh counts/checks, keeping keyboard focus on the same kind
      const focused = pop.contains(document.activeElement) ? document.activeElement?.getAttribute("data-kind") : null;
      popups.replace(anomalyContent(), false);
      if (focused != null) {
        for (const cb of pop.querySelectorAll("input[data-kind]")) {
          if (cb.getAttribute("data-kind") === focused) /** @type {HTMLElement} */ (cb).focus({ preventScroll: true });
        }
      }
    }

    const selSource = listOf(q, "source");
    const key = JSON.stringify(st.sources);
    if (key !== sourcesKey) {
      sourcesKey = key;
      sourceSel.replaceChildren(h("option", { text: "All sources", attrs: { value: "" } }));
      for (const s of st.sources) sourceSel.append(h("option", { text: String(s), attrs: { value: String(s) } }));
    }
    sourceSel.value = selSource.length === 1 && st.sources.includes(selSource[0]) ? selSource[0] : "";
    show(sourceSel, st.sources.length > 1);

    clearBtn.disabled = Object.keys(q).length === 0;
    count.textContent = `${fmtInt(st.matching)} of ${plural(st.total, "sentence")}`;
    renderChips(st);
  }

  return {
    bar,
    legend,
    count,
    search,
    update,
    focusSearch() {
      search.focus();
      search.select();
    },
    destroy() {
      pushText.cancel();
    },
  };
}
