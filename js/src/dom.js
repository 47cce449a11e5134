// @ts-check
/**
 * Tiny DOM helpers. Text is only ever inserted with text nodes / textContent and attributes with
 * setAttribute: untrusted corpus text (tokens, labels, details, file names, messages) can never become
 * markup. There is deliberately no helper that takes HTML.
 */

/**
 * @typedef {Object} Props
 * @property {string} [cls] class names (space separated)
 * @property {string} [text] text content
 * @property {Record<string, string | number | boolean | null | undefined>} [attrs]
 *   attributes; `false`/`null`/`undefined` are skipped, `true` sets an empty attribute
 */

/**
 * Create an element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {Array<Node | string | null | undefined | false>} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, children) {
  const el = document.createElement(tag);
  if (props) {
    if (props.cls) el.className = props.cls;
    if (props.attrs) setAttrs(el, props.attrs);
    if (props.text !== undefined) el.textContent = props.text;
  }
  if (children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      el.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return el;
}

/**
 * @param {Element} el
 * @param {Record<string, string | number | boolean | null | undefined>} attrs
 */
export function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

/**
 * Toggle an element's `hidden` state.
 * @param {HTMLElement} el
 * @param {boolean} visible
 */
export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * True when keystrokes in `target` belong to a text field (so widget shortcuts must not fire).
 * @param {EventTarget | null} target
 * @returns {boolean}
 */
export function isEditable(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(target.type);
  }
  return false;
}

/** @param {number} n */
export function fmtInt(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "0";
}

/**
 * Plural helper: `plural(3, "edit")` → "3 edits".
 * @param {number} n
 * @param {string} word
 * @param {string} [many]
 */
export function plural(n, word, many) {
  return `${fmtInt(n)} ${n === 1 ? word : many ?? `${word}s`}`;
}

/**
 * Shorten a string for display (the full text stays available elsewhere).
 * @param {string} s
 * @param {number} max
 */
export function ellipsize(s, max) {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * Debounce a function; `.cancel()` drops a pending call, `.flush()` runs it now.
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  /** @type {A | null} */
  let pending = null;
  const run = () => {
    timer = null;
    const args = pending;
    pending = null;
    if (args) fn(...args);
  };
  /** @param {A} args */
  const debounced = (...args) => {
    pending = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    pending = null;
  };
  debounced.flush = () => {
    if (timer !== null) clearTimeout(timer);
    run();
  };
  debounced.pending = () => timer !== null;
  return debounced;
}
