// @ts-check
/**
 * Turn a Vega-Lite point selection into the `selection` trait: a list of field dicts, e.g.
 * `[{"label": "Library"}]` or `[{"prev_tag": "O", "tag": "I-Library"}]`; `[]` when empty.
 */

/** Internal Vega-Lite keys that are not data fields. */
const INTERNAL = new Set(["vlPoint", "vlMulti", "vlSingle", "_vgsid_"]);

/**
 * Rows from the selection's data store (`<name>_store`): each tuple has `fields: [{field, ...}]` and
 * the matching `values`. This is exact for multi-field projections and toggled (shift-click) sets.
 * @param {unknown} store
 * @returns {Array<Record<string, unknown>> | null} null when the store is not usable
 */
export function rowsFromStore(store) {
  if (!Array.isArray(store)) return null;
  /** @type {Array<Record<string, unknown>>} */
  const out = [];
  for (const tuple of store) {
    if (!tuple || !Array.isArray(tuple.fields) || !Array.isArray(tuple.values)) return null;
    /** @type {Record<string, unknown>} */
    const row = {};
    tuple.fields.forEach((/** @type {any} */ f, /** @type {number} */ i) => {
      const name = f && typeof f === "object" ? f.field : f;
      if (typeof name === "string" && !INTERNAL.has(name)) row[name] = plain(tuple.values[i]);
    });
    if (Object.keys(row).length) out.push(row);
  }
  return dedupe(out);
}

/**
 * Rows from the top-level selection signal value. Handles the field-projected shape
 * `{field: [v1, v2], other: [w1, w2]}` (zipped by index) and `{vlPoint: {or: [{...}, ...]}}`.
 * @param {unknown} value
 * @returns {Array<Record<string, unknown>>}
 */
export function rowsFromSignal(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const v = /** @type {Record<string, any>} */ (value);
  const or = v.vlPoint && Array.isArray(v.vlPoint.or) ? v.vlPoint.or : null;
  if (or) {
    const rows = or
      .filter((/** @type {any} */ r) => r && typeof r === "object")
      .map((/** @type {Record<string, unknown>} */ r) => {
        /** @type {Record<string, unknown>} */
        const row = {};
        for (const [k, x] of Object.entries(r)) if (!INTERNAL.has(k)) row[k] = plain(x);
        return row;
      })
      .filter((/** @type {Record<string, unknown>} */ r) => Object.keys(r).length > 0);
    if (rows.length) return dedupe(rows);
  }
  const keys = Object.keys(v).filter((k) => !INTERNAL.has(k));
  if (!keys.length) return [];
  const n = Math.max(...keys.map((k) => (Array.isArray(v[k]) ? v[k].length : 1)));
  /** @type {Array<Record<string, unknown>>} */
  const rows = [];
  for (let i = 0; i < n; i++) {
    /** @type {Record<string, unknown>} */
    const row = {};
    for (const k of keys) row[k] = plain(Array.isArray(v[k]) ? v[k][i] : v[k]);
    rows.push(row);
  }
  return dedupe(rows);
}

/**
 * JSON-safe copy (dates become ISO strings, undefined becomes null).
 * @param {unknown} x
 * @returns {unknown}
 */
function plain(x) {
  if (x === undefined) return null;
  if (x instanceof Date) return x.toISOString();
  if (typeof x === "number" && !Number.isFinite(x)) return null;
  if (x && typeof x === "object") return JSON.parse(JSON.stringify(x));
  return x;
}

/** @param {Array<Record<string, unknown>>} rows */
function dedupe(rows) {
  const seen = new Set();
  return rows.filter((r) => {
    const k = JSON.stringify(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
