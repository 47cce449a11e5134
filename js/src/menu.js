// @ts-check
/**
 * One popup (menu / small dialog) at a time, positioned inside the widget root next to an anchor.
 * Keyboard: ArrowUp/ArrowDown/Home/End move between items, Enter/Space activate (native buttons),
 * digits 1–9 pick `[data-digit]` items, Escape closes and returns focus to the anchor.
 */
import { h } from "./dom.js";

/**
 * @typedef {Object} PopupHost
 * @property {(anchor: HTMLElement, opts: OpenOptions) => HTMLElement} open
 * @property {() => void} close
 * @property {() => boolean} isOpen
 * @property {(content: Node[], focus?: boolean) => void} replace swap the content, keep position
 * @property {() => HTMLElement | null} element
 * @property {() => void} reposition
 * @property {(anchor: HTMLElement) => void} reanchor move the open popup to a new anchor (the same
 *   thing drawn again), keeping its content and focus
 * @property {() => void} destroy
 */

/**
 * @typedef {Object} OpenOptions
 * @property {string} label accessible name
 * @property {Node[]} content
 * @property {string} [role] default "dialog"
 * @property {string} [cls] extra class
 * @property {() => void} [onClose]
 * @property {boolean} [restoreFocus] default true
 */

const ITEM_SELECTOR =
  '[role="menuitem"]:not([disabled]), [role="menuitemradio"]:not([disabled]), [role="menuitemcheckbox"]:not([disabled]), .bx-pop-focusable:not([disabled])';

/**
 * @param {HTMLElement} root the positioned widget root the popup is placed in
 * @returns {PopupHost}
 */
export function createPopupHost(root) {
  /** @type {HTMLElement | null} */
  let pop = null;
  /** @type {HTMLElement | null} */
  let anchorEl = null;
  /** @type {OpenOptions | null} */
  let options = null;

  /** @param {PointerEvent} e */
  const onDocPointer = (e) => {
    if (!pop) return;
    const t = /** @type {Node} */ (e.target);
    if (pop.contains(t) || (anchorEl && anchorEl.contains(t))) return;
    close(false);
  };

  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (!pop) return;
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    }
    const target = /** @type {HTMLElement} */ (e.target);
    const inField = target instanceof HTMLInputElement && target.type === "text";
    if (inField || target instanceof HTMLSelectElement) {
      e.stopPropagation();
      return;
    }
    const items = /** @type {HTMLElement[]} */ ([...pop.querySelectorAll(ITEM_SELECTOR)]);
    const idx = items.indexOf(target);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!items.length) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      const next = idx < 0 ? (step > 0 ? 0 : items.length - 1) : (idx + step + items.length) % items.length;
      items[next].focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      items[e.key === "Home" ? 0 : items.length - 1]?.focus();
    } else if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const item = /** @type {HTMLElement | null} */ (pop.querySelector(`[data-digit="${e.key}"]:not([disabled])`));
      if (item) {
        e.preventDefault();
        item.click();
      }
    }
    // keys handled by the popup never reach the widget's shortcuts
    e.stopPropagation();
  };

  /** @param {FocusEvent} e  Tabbing out of the popup closes it. */
  const onFocusOut = (e) => {
    const next = /** @type {Node | null} */ (e.relatedTarget);
    if (pop && next && !pop.contains(next)) close(false);
  };

  function reposition() {
    if (!pop || !anchorEl) return;
    const rootRect = root.getBoundingClientRect();
    const a = anchorEl.getBoundingClientRect();
    const width = pop.offsetWidth;
    const height = pop.offsetHeight;
    let left = a.left - rootRect.left;
    const maxLeft = Math.max(4, root.clientWidth - width - 4);
    left = Math.max(4, Math.min(left, maxLeft));
    let top = a.bottom - rootRect.top + 4;
    // flip above the anchor when it would overflow the root and there is room above
    if (top + height > root.clientHeight && a.top - rootRect.top - height - 4 > 0) {
      top = a.top - rootRect.top - height - 4;
    }
    pop.style.left = `${Math.round(left)}px`;
    pop.style.top = `${Math.round(top)}px`;
  }

  /** @param {boolean} restore */
  function close(restore) {
    if (!pop) return;
    const opts = options;
    const anchor = anchorEl;
    const hadFocus = pop.contains(document.activeElement);
    pop.remove();
    pop = null;
    anchorEl = null;
    options = null;
    document.removeEventListener("pointerdown", onDocPointer, true);
    if (restore && hadFocus && anchor && anchor.isConnected && opts?.restoreFocus !== false) {
      anchor.focus({ preventScroll: true });
    }
    opts?.onClose?.();
  }

  /** @param {boolean} [focus] */
  function focusFirst(focus = true) {
    if (!pop || !focus) return;
    const preferred = /** @type {HTMLElement | null} */ (
      pop.querySelector('[data-autofocus]:not([disabled])') ?? pop.querySelector(ITEM_SELECTOR)
    );
    (preferred ?? pop).focus({ preventScroll: true });
  }

  return {
    open(anchor, opts) {
      close(false);
      anchorEl = anchor;
      options = opts;
      pop = h("div", {
        cls: `bx-pop${opts.cls ? ` ${opts.cls}` : ""}`,
        attrs: { role: opts.role ?? "dialog", "aria-label": opts.label, tabindex: "-1" },
      });
      pop.append(...opts.content);
      pop.addEventListener("keydown", onKey);
      pop.addEventListener("focusout", onFocusOut);
      root.append(pop);
      reposition();
      document.addEventListener("pointerdown", onDocPointer, true);
      focusFirst();
      return pop;
    },
    close: () => close(true),
    isOpen: () => pop !== null,
    replace(content, focus = true) {
      if (!pop) return;
      pop.replaceChildren(...content);
      reposition();
      focusFirst(focus);
    },
    element: () => pop,
    reposition,
    reanchor(anchor) {
      if (!pop) return;
      anchorEl = anchor;
      reposition();
    },
    destroy() {
      close(false);
    },
  };
}

/**
 * A menu item button.
 * @param {string} text
 * @param {() => void} onSelect
 * @param {{ role?: string, cls?: string, disabled?: boolean, title?: string, digit?: number,
 *           checked?: boolean, ariaLabel?: string, prefix?: Node[], suffix?: Node[] }} [opts]
 */
export function menuItem(text, onSelect, opts = {}) {
  const role = opts.role ?? "menuitem";
  const btn = h("button", {
    cls: `bx-mi${opts.cls ? ` ${opts.cls}` : ""}`,
    attrs: {
      type: "button",
      role,
      title: opts.title,
      "aria-label": opts.ariaLabel,
      "data-digit": opts.digit,
      "aria-checked": role === "menuitemradio" || role === "menuitemcheckbox" ? String(!!opts.checked) : undefined,
    },
  });
  if (opts.disabled) btn.disabled = true;
  if (opts.prefix) btn.append(...opts.prefix);
  btn.append(h("span", { cls: "bx-mi-text", text }));
  if (opts.suffix) btn.append(...opts.suffix);
  btn.addEventListener("click", (e) => {
    e.preventDefault();
    if (!btn.disabled) onSelect();
  });
  return btn;
}
