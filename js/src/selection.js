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
 * Where a point selection lives in a compiled Vega spec: the unit name its clicks write into
 * `<name>_store` tuples and the projected field definitions (`<name>_tuple_fields`). Both are read
 * from the spec Vega-Lite compiled (signals at the top level or inside group marks, e.g. facets).
 * @param {unknown} vgSpec compiled Vega spec (vega-embed's `result.vgSpec`)
 * @param {string} name selection parameter name
 * @returns {{ unit: string, fields: Array<Record<string, unknown>> } | null} null when the spec has
 *   no field-projected point selection of that name
 */
export function selectionTarget(vgSpec, name) {
  /** @type {string | null} */
  let unit = null;
  /** @type {Array<Record<string, unknown>> | null} */
  let fields = null;
  /** @param {any} scope */
  const visit = (scope) => {
    if (!scope || typeof scope !== "object") return;
    for (const sg of Array.isArray(scope.signals) ? scope.signals : []) {
      if (!sg || typeof sg !== "object") continue;
      if (sg.name === `${name}_tuple_fields` && Array.isArray(sg.value) && fields === null) {
        fields = sg.value.filter((/** @type {any} */ f) => f && typeof f.field === "string");
      }
      if (sg.name === `${name}_tuple` && unit === null) {
        for (const on of Array.isArray(sg.on) ? sg.on : []) {
          const update = typeof on?.update === "string" ? on.update : "";
          const m = /\bunit:\s*("(?:[^"\\]|\\.)*")/.exec(update);
          if (m) {
            try {
              unit = JSON.parse(m[1]);
            } catch {
              // not a plain string literal: keep looking
            }
            if (unit !== null) break;
          }
        }
      }
    }
    for (const mark of Array.isArray(scope.marks) ? scope.marks : []) visit(mark);
  };
  visit(vgSpec);
  if (!fields || !(/** @type {any[]} */ (fields)).length) return null;
  return { unit: unit ?? "", fields };
}

/**
 * Store tuples (`{unit, fields, values}`, the shape a click writes) for the `selection` trait rows.
 * A row may name a subset of the projected fields (it then matches every mark agreeing on those);
 * rows naming none of them are dropped.
 * @param {unknown} rows the `selection` trait
 * @param {{ unit: string, fields: Array<Record<string, unknown>> }} target from selectionTarget
 * @returns {Array<{ unit: string, fields: Array<Record<string, unknown>>, values: unknown[] }>}
 */
export function tuplesFromRows(rows, target) {
  if (!Array.isArray(rows)) return [];
  const out = [];
  const seen = new Set();
  for (const row of rows) {
    if (!row || typeof row !== "object" || Array.isArray(row)) continue;
    const defs = target.fields.filter((f) => Object.prototype.hasOwnProperty.call(row, String(f.field)));
    if (!defs.length) continue;
    const values = defs.map((f) => /** @type {any} */ (row)[String(f.field)] ?? null);
    const key = JSON.stringify([defs.map((f) => f.field), values]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ unit: target.unit, fields: defs.map((f) => ({ ...f })), values });
  }
  return out;
}

/**
 * Whether two `selection` values hold the same rows, ignoring row order and key order.
 * @param {unknown} a
 * @param {unknown} b
 */
export function sameRows(a, b) {
  return canonical(a) === canonical(b);
}

/** @param {unknown} rows */
function canonical(rows) {
  if (!Array.isArray(rows)) return "[]";
  const keys = rows.map((r) => {
    if (!r || typeof r !== "object") return JSON.stringify(r);
    const o = /** @type {Record<string, unknown>} */ (r);
    return JSON.stringify(Object.keys(o).sort().map((k) => [k, plain(o[k])]));
  });
  return JSON.stringify([...new Set(keys)].sort());
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
