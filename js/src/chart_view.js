// @ts-check
/**
 * bio_explorer chart view — anywidget ESM front end of `ChartView` (docs/ARCHITECTURE.md).
 * Renders the `_spec` trait (a Vega-Lite v6 spec from Altair, data inlined) with the bundled
 * vega-embed, SVG renderer, no actions menu. A point selection parameter named `select` is
 * reported (debounced) to the `selection` trait as a list of field dicts; `[]` when cleared.
 */
import embed from "vega-embed";
import { rowsFromSignal, rowsFromStore } from "./selection.js";

const PARAM = "select";
const DEBOUNCE_MS = 150;

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

  /** @type {{ view: any, finalize: () => void } | null} */
  let current = null;
  let generation = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let disposed = false;

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
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        if (disposed || !current || current.view !== view) return;
        const rows = readSelection(view, value);
        const prev = model.get("selection");
        if (JSON.stringify(prev ?? []) === JSON.stringify(rows)) return; // no echo, no no-op writes
        model.set("selection", rows);
        model.save_changes();
      }, DEBOUNCE_MS);
    };
    view.addSignalListener(PARAM, handler);
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
      current = result;
      listenSelection(result.view);
    } catch (err) {
      if (mine !== generation) return;
      target.replaceChildren();
      error.textContent = `Could not render chart: ${err instanceof Error ? err.message : String(err)}`;
      error.hidden = false;
    }
  }

  /** Python cleared the selection: clear the chart's highlight too (this writes nothing back). */
  const onSelection = () => {
    const sel = model.get("selection");
    if (!current || (Array.isArray(sel) && sel.length > 0)) return;
    try {
      const store = current.view.data(`${PARAM}_store`);
      if (Array.isArray(store) && store.length) current.view.remove(`${PARAM}_store`, () => true).run();
    } catch {
      // spec without the selection store
    }
  };

  const onSpec = () => {
    void draw();
  };
  model.on("change:_spec", onSpec);
  model.on("change:selection", onSelection);
  void draw();

  return () => {
    disposed = true;
    generation++;
    model.off("change:_spec", onSpec);
    model.off("change:selection", onSelection);
    finalize();
    root.remove();
  };
}

export default { render };
