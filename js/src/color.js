// @ts-check
/** Label colours: parse/normalise, translucent variants, and readable text colour on a swatch. */

/** @typedef {[number, number, number]} RGB */

/** @type {Map<string, RGB | null>} */
const cache = new Map();
/** @type {CanvasRenderingContext2D | null | undefined} */
let ctx;

/**
 * Parse a CSS colour to RGB (0–255). Hex and rgb() are parsed directly; anything else (named
 * colours, hsl()) is normalised by a 2D canvas. Returns null for anything that is not a colour,
 * so untrusted strings never reach a style.
 * @param {unknown} value
 * @returns {RGB | null}
 */
export function parseColor(value) {
  if (typeof value !== "string") return null;
  const s = value.trim().toLowerCase();
  if (!s || s.length > 64) return null;
  const hit = cache.get(s);
  if (hit !== undefined) return hit;
  const out = parseHex(s) ?? parseRgbFn(s) ?? viaCanvas(s);
  cache.set(s, out);
  return out;
}

/** @param {string} s @returns {RGB | null} */
function parseHex(s) {
  const m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (!m) return null;
  let hex = m[1];
  if (hex.length === 3 || hex.length === 4) hex = [...hex.slice(0, 3)].map((c) => c + c).join("");
  else if (hex.length === 6 || hex.length === 8) hex = hex.slice(0, 6);
  else return null;
  const n = Number.parseInt(hex, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** @param {string} s @returns {RGB | null} */
function parseRgbFn(s) {
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (!m) return null;
  const c = [m[1], m[2], m[3]].map((x) => Math.max(0, Math.min(255, Math.round(Number(x)))));
  return /** @type {RGB} */ (c);
}

/** @param {string} s @returns {RGB | null} */
function viaCanvas(s) {
  if (ctx === undefined) {
    try {
      ctx = document.createElement("canvas").getContext("2d");
    } catch {
      ctx = null;
    }
  }
  if (!ctx) return null;
  // An invalid colour leaves fillStyle unchanged: probe with two different sentinels.
  ctx.fillStyle = "#010203";
  ctx.fillStyle = s;
  const a = String(ctx.fillStyle);
  ctx.fillStyle = "#040506";
  ctx.fillStyle = s;
  const b = String(ctx.fillStyle);
  if (a !== b) return null;
  return parseHex(a) ?? parseRgbFn(a);
}

/**
 * WCAG relative luminance.
 * @param {RGB} rgb
 */
export function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * WCAG contrast ratio of two colours.
 * @param {RGB} a
 * @param {RGB} b
 */
export function contrast(a, b) {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const DARK_TEXT = /** @type {RGB} */ ([17, 17, 17]);
const LIGHT_TEXT = /** @type {RGB} */ ([255, 255, 255]);

/**
 * The text colour (near-black or white) with the better contrast on `bg`.
 * @param {RGB} bg
 * @returns {string}
 */
export function textOn(bg) {
  return contrast(bg, DARK_TEXT) >= contrast(bg, LIGHT_TEXT) ? "#111111" : "#ffffff";
}

/** @param {RGB} rgb @param {number} alpha */
export function rgba(rgb, alpha) {
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
}

/** @param {RGB} rgb */
export function hex(rgb) {
  return `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A stable fallback colour for labels Python gave no colour for (hash → hue).
 * @param {string} label
 * @returns {RGB}
 */
export function fallbackColor(label) {
  let hash = 2166136261;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  const hue = (hash >>> 0) % 360;
  return hslToRgb(hue / 360, 0.55, 0.5);
}

/** @param {number} h @param {number} s @param {number} l @returns {RGB} */
function hslToRgb(h, s, l) {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  /** @param {number} t */
  const f = (t) => {
    let u = t;
    if (u < 0) u += 1;
    if (u > 1) u -= 1;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [Math.round(f(h + 1 / 3) * 255), Math.round(f(h) * 255), Math.round(f(h - 1 / 3) * 255)];
}

/**
 * @typedef {Object} LabelStyle
 * @property {string} color solid colour (border, chip background, swatch)
 * @property {string} bg translucent background of a span box
 * @property {string} fg readable text colour on `color`
 */

/**
 * Style for one label from its (untrusted) colour string.
 * @param {string} label
 * @param {unknown} color
 * @returns {LabelStyle}
 */
export function labelStyle(label, color) {
  const rgb = parseColor(color) ?? fallbackColor(label);
  return { color: hex(rgb), bg: rgba(rgb, 0.16), fg: textOn(rgb) };
}

/**
 * Apply a label style as CSS custom properties (consumed by span_view.css).
 * @param {HTMLElement} el
 * @param {LabelStyle} st
 */
export function applyLabelStyle(el, st) {
  el.style.setProperty("--bx-lc", st.color);
  el.style.setProperty("--bx-lbg", st.bg);
  el.style.setProperty("--bx-lfg", st.fg);
}
