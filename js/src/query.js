// @ts-check
/**
 * Pure helpers over the `query` trait (docs/ARCHITECTURE.md, "Query"). Every helper returns a NEW
 * object; empty conditions are removed so the trait stays minimal.
 */

/**
 * @typedef {Object} Query
 * @property {string[]} [labels]
 * @property {string} [text]
 * @property {boolean} [regex]
 * @property {boolean} [case]
 * @property {"token" | "span"} [where]
 * @property {string[]} [anomaly]
 * @property {string[]} [source]
 * @property {string[]} [transition]
 * @property {number[]} [sentences]
 */

/**
 * A clean copy of whatever the trait holds.
 * @param {unknown} q
 * @returns {Query}
 */
export function normalize(q) {
  if (!q || typeof q !== "object" || Array.isArray(q)) return {};
  return JSON.parse(JSON.stringify(q));
}

/**
 * Set (or remove, for empty values) one key.
 * @param {Query} q
 * @param {keyof Query} key
 * @param {unknown} value
 * @returns {Query}
 */
export function withKey(q, key, value) {
  const out = /** @type {Record<string, unknown>} */ (normalize(q));
  const empty =
    value === undefined ||
    value === null ||
    value === "" ||
    value === false ||
    (Array.isArray(value) && value.length === 0);
  if (empty) delete out[key];
  else out[key] = Array.isArray(value) ? [...value] : value;
  return /** @type {Query} */ (out);
}

/**
 * Toggle one member of a list condition (labels, anomaly, source).
 * @param {Query} q
 * @param {"labels" | "anomaly" | "source"} key
 * @param {string} item
 * @returns {Query}
 */
export function toggleIn(q, key, item) {
  const cur = listOf(q, key);
  const next = cur.includes(item) ? cur.filter((x) => x !== item) : [...cur, item];
  return withKey(q, key, next);
}

/**
 * @param {Query} q
 * @param {"labels" | "anomaly" | "source" | "transition"} key
 * @returns {string[]}
 */
export function listOf(q, key) {
  const v = q ? q[key] : undefined;
  return Array.isArray(v) ? v.map(String) : [];
}

/** @param {Query} q */
export function isEmpty(q) {
  return Object.keys(normalize(q)).length === 0;
}

/**
 * Deep equality for JSON values.
 * @param {unknown} a
 * @param {unknown} b
 */
export function jsonEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
