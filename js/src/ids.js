// @ts-check
/** Request ids: unique per request, compared by identity to drop stale replies. */

let counter = 0;

/**
 * A fresh id string. Uses crypto.randomUUID where available (secure contexts), otherwise a
 * counter plus time and random parts, which is unique within one page.
 * @returns {string}
 */
export function newId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      // not a secure context in some embedders: fall through
    }
  }
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 10);
  return `bx-${Date.now().toString(36)}-${counter.toString(36)}-${rand}`;
}

let domCounter = 0;

/**
 * A prefix for DOM ids that is unique per widget instance (several views may share a page).
 * @returns {string}
 */
export function domPrefix() {
  domCounter += 1;
  return `bx${domCounter}${Math.random().toString(36).slice(2, 6)}`;
}
