// @ts-check
/**
 * bio_explorer chart view — anywidget ESM front end of `ChartView` (docs/ARCHITECTURE.md).
 * Renders the `_spec` trait (a Vega-Lite v6 spec from Altair, data inlined) with the bundled
 * vega-embed, SVG renderer, no actions menu. A point selection parameter named `select` is
 * reported (debounced) to the `selection` trait as a list of field dicts; `[]` when cleared.
 * Python setting `selection` is shown as if the user had clicked those marks, without echo.
 *
 * Layout: the chart is embedded once `el` is attached (and, for `width: "container"` specs, has a
 * width), so JupyterLab's late attachment of output elements does not leave a 0 px chart; later
 * container resizes re-lay it out (ResizeObserver, debounced).
 */
import embed from "vega-embed";
import { rowsFromSignal, rowsFromStore, sameRows, selectionTarget, tuplesFromRows } from "./selection.js";

const PARAM = "select";
const DEBOUNCE_MS = 150;
const RESIZE_DEBOUNCE_MS = 60;

/**
 * @typedef {Object} Model
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(event: string, cb: (...args: any[]) => void) => void} on
 * @property {(event?: string | null, cb?: ((...args: any[]) => void) | null) => void} off
 */

/**
 * Vega config from the host theme: JupyterLab --jp-* variables when present, else the colour scheme.
 * @param {HTMLElement} el
 */
function themeConfig(el) {
  const cs = el.isConnected ? getComputedStyle(el) : null;
  /** @param {string} name */
  const v = (name) => (cs ? cs.getPropertyValue(name).trim() : "");
  const dark =
    !v("--jp-ui-font-color1") &&
    typeof matchMedia === "function" &&
    matchMedia("(prefers-color-scheme: dark)").matches;
  const fg = v("--jp-ui-font-color1") || (dark ? "#e6e8eb" : "#1f2328");
  const fg2 = v("--jp-ui-font-color2") || (dark ? "#a9b1bb" : "#59636e");
  const line = v("--jp-border-color1") || (dark ? "#454b55" : "#c9ced6");
  const grid = v("--jp-border-color2") || (dark ? "#333841" : "#e6e8eb");
  const font = v("--jp-ui-font-family") || "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  return {
    background: "transparent",
    font,
    title: { color: fg },
    axis: {
      labelColor: fg2,
      titleColor: fg,
      domainColor: line,
      tickColor: line,
      gridColor: grid,
    },
    legend: { labelColor: fg2, titleColor: fg },
    header: { labelColor: fg2, titleColor: fg },
    view: { stroke: grid },
    text: { color: fg },
  };
}

/**
 * Whether the Vega-Lite spec sizes itself from its container (`width: "container"`).
 * @param {any} spec
 */
function wantsContainerWidth(spec) {
  return !!spec && typeof spec === "object" && spec.width === "container";
}

/**
 * Whether the compiled view has a `width` signal driven by the container size.
 * @param {any} vgSpec
 */
function containerWidthSignal(vgSpec) {
  const sg = Array.isArray(vgSpec?.signals)
    ? vgSpec.signals.find((/** @type {any} */ s) => s && s.name === "width")
    : null;
  return !!sg && /containerSize\(\)/.test(`${sg.init ?? ""} ${sg.update ?? ""}`);
}

/** @param {HTMLElement} node */
function widthOf(node) {
  return node.clientWidth || node.getBoundingClientRect().width;
}

/** @param {any} view @param {string} name */
function hasSignal(view, name) {
  try {
    view.signal(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {{ model: Model, el: HTMLElement }} ctx
 * @returns {() => void}
 */
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bx-chartview";
  root.style.maxWidth = "100%";
  root.style.overflowX = "auto";
  const target = document.createElement("div");
  const error = document.createElement("div");
  error.setAttribute("role", "alert");
  error.hidden = true;
  error.style.color = "var(--jp-error-color1, #c62828)";
  error.style.fontFamily = "var(--jp-ui-font-family, system-ui, sans-serif)";
  error.style.fontSize = "12px";
  error.style.whiteSpace = "pre-wrap";
  root.append(target, error);
  el.append(root);

  /**
   * @type {{ view: any, finalize: () => void, vgSpec?: any,
   *          target: { unit: string, fields: Array<Record<string, unknown>> } | null,
   *          fitWidth: boolean } | null}
   */
  let current = null;
  let generation = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let disposed = false;
  /** While > 0 the chart is showing a selection Python set: its signal changes are not reported. */
  let applying = 0;
  /** @type {(() => void) | null} cancels a pending wait for the element to be attached and sized */
  let cancelWait = null;

  function finalize() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (current) {
      try {
        current.finalize();
      } catch {
        // already gone
      }
      current = null;
    }
  }

  /** @param {any} view @param {unknown} value */
  function readSelection(view, value) {
    let rows = null;
    try {
      rows = rowsFromStore(view.data(`${PARAM}_store`));
    } catch {
      rows = null;
    }
    return rows ?? rowsFromSignal(value);
  }

  /** @param {any} view */
  function listenSelection(view) {
    if (!hasSignal(view, PARAM)) return;
    /** @param {string} _name @param {unknown} value */
    const handler = (_name, value) => {
      if (applying > 0) return; // our own update from the trait: nothing to report
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        if (disposed || !current || current.view !== view) return;
        const rows = readSelection(view, value);
        if (sameRows(model.get("selection") ?? [], rows)) return; // no echo, no no-op writes
        model.set("selection", rows);
        model.save_changes();
      }, DEBOUNCE_MS);
    };
    view.addSignalListener(PARAM, handler);
  }

  /**
   * A plain click on the only selected mark deselects it (Vega-Lite keeps it selected): the
   * selection is read at mousedown, before Vega's own handler writes the clicked point.
   * @param {any} view
   */
  function listenDeselect(view) {
    /** @type {any[] | null} */
    let before = null;
    view.addEventListener("mousedown", () => {
      before = model.get("selection") ?? [];
    });
    view.addEventListener("click", (/** @type {any} */ event, /** @type {any} */ item) => {
      const prev = before;
      before = null;
      const cur = current;
      if (!cur || cur.view !== view || !cur.target || !item || !item.datum || event?.shiftKey) return;
      /** @type {Record<string, unknown>} */
      const point = {};
      for (const f of cur.target.fields) {
        const k = String(f.field);
        if (k in item.datum) point[k] = item.datum[k];
      }
      if (!Object.keys(point).length || !prev || prev.length !== 1 || !sameRows(prev, [point])) return;
      setTimeout(async () => {
        if (disposed || current !== cur) return;
        applying++;
        try {
          if (timer !== null) clearTimeout(timer);
          timer = null;
          view.data(`${PARAM}_store`, []);
          await view.runAsync();
        } catch {
          // view finalized meanwhile
        } finally {
          applying--;
        }
        model.set("selection", []);
        model.save_changes();
      }, 0);
    });
  }

  /**
   * Show the `selection` trait in the chart: the store gets the tuples a click on those marks
   * would write, so highlighting and later (shift-)clicks behave exactly as after user clicks.
   */
  async function showSelection() {
    const cur = current;
    if (!cur || !cur.target) return;
    const view = cur.view;
    let store;
    try {
      store = view.data(`${PARAM}_store`);
    } catch {
      return; // spec without the selection store
    }
    const rows = model.get("selection") ?? [];
    if (sameRows(rowsFromStore(store) ?? [], rows)) return; // already shown (e.g. our own write)
    const tuples = tuplesFromRows(rows, cur.target);
    applying++;
    try {
      if (timer !== null) clearTimeout(timer); // a pending click report is superseded by Python
      timer = null;
      view.data(`${PARAM}_store`, tuples);
      await view.runAsync();
    } catch {
      // view finalized meanwhile
    } finally {
      applying--;
    }
  }

  /** Re-lay out a `width: "container"` chart after its container was resized. */
  let lastWidth = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let resizeTimer = null;
  const relayout = () => {
    resizeTimer = null;
    const cur = current;
    if (disposed || !cur || !cur.fitWidth) return;
    const w = target.clientWidth;
    if (!w || w === lastWidth) return; // hidden (0) or unchanged
    lastWidth = w;
    try {
      // what Vega-Lite's own window:resize handler does: width signal := containerSize()[0]
      cur.view.signal("width", w).resize();
      void cur.view.runAsync().catch(() => {});
    } catch {
      // view finalized meanwhile
    }
  };
  const resizeObserver =
    typeof ResizeObserver === "function"
      ? new ResizeObserver(() => {
          if (resizeTimer !== null) clearTimeout(resizeTimer);
          resizeTimer = setTimeout(relayout, RESIZE_DEBOUNCE_MS);
        })
      : null;

  /** @param {any} spec */
  const ready = (spec) => el.isConnected && (widthOf(el) > 0 || !wantsContainerWidth(spec));

  /**
   * Run `fn` once `el` is attached to the document (and has a width when the spec needs one).
   * JupyterLab may call `render` before the output element is attached: embedding then would
   * measure a 0 px container. Waits with a ResizeObserver plus requestAnimationFrame polling.
   * @param {() => void} fn
   */
  function whenReady(fn) {
    cancelWait?.();
    cancelWait = null;
    if (ready(model.get("_spec"))) {
      fn();
      return;
    }
    let done = false;
    /** @type {number | null} */
    let frame = null;
    const raf = typeof requestAnimationFrame === "function" ? requestAnimationFrame : null;
    const stop = () => {
      done = true;
      ro?.disconnect();
      if (frame !== null) (raf ? cancelAnimationFrame : clearTimeout)(frame);
      frame = null;
      if (cancelWait === stop) cancelWait = null;
    };
    const check = () => {
      if (done || disposed) return;
      if (ready(model.get("_spec"))) {
        stop();
        fn();
      } else {
        frame = raf ? raf(check) : /** @type {any} */ (setTimeout(check, 50));
      }
    };
    const ro = typeof ResizeObserver === "function" ? new ResizeObserver(check) : null;
    ro?.observe(el);
    cancelWait = stop;
    check();
  }

  async function draw() {
    const mine = ++generation;
    finalize();
    error.hidden = true;
    error.textContent = "";
    const spec = model.get("_spec");
    if (!spec || typeof spec !== "object" || Object.keys(spec).length === 0) {
      target.replaceChildren();
      return;
    }
    try {
      const result = await embed(target, JSON.parse(JSON.stringify(spec)), {
        renderer: "svg",
        actions: false,
        config: themeConfig(el),
      });
      if (disposed || mine !== generation) {
        result.finalize();
        return;
      }
      let selTarget = null;
      try {
        selTarget = selectionTarget(result.vgSpec, PARAM);
      } catch {
        selTarget = null;
      }
      current = {
        view: result.view,
        finalize: result.finalize,
        target: selTarget,
        fitWidth: containerWidthSignal(result.vgSpec),
      };
      lastWidth = target.clientWidth;
      listenSelection(result.view);
      listenDeselect(result.view);
      await showSelection();
    } catch (err) {
      if (mine !== generation) return;
      target.replaceChildren();
      error.textContent = `Could not render chart: ${err instanceof Error ? err.message : String(err)}`;
      error.hidden = false;
    }
  }

  const scheduleDraw = () => {
    generation++; // a draw already embedding is stale now
    finalize();
    whenReady(() => void draw());
  };

  /** Python set `selection`: show it (this writes nothing back). */
  const onSelection = () => {
    void showSelection();
  };

  model.on("change:_spec", scheduleDraw);
  model.on("change:selection", onSelection);
  resizeObserver?.observe(root);
  scheduleDraw();

  return () => {
    disposed = true;
    generation++;
    cancelWait?.();
    cancelWait = null;
    resizeObserver?.disconnect();
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    resizeTimer = null;
    model.off("change:_spec", scheduleDraw);
    model.off("change:selection", onSelection);
    finalize();
    root.remove();
  };
}

const api = { render };

// Charts of one Explorer share this bundle: their models carry a tiny stub (see
// bio_explorer/chart_widget.py, SHARED_CHART_ESM) that waits for the first full copy to load.
{
  const g = /** @type {any} */ (globalThis);
  const slot = (g.__bxChartView ??= {});
  slot.api = api;
  for (const resolve of slot.waiting ?? []) resolve(api);
  slot.waiting = [];
}

export default api;
