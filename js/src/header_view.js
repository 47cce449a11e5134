// The Explorer's summary line as an anywidget, for front ends without ipywidgets layouts (marimo).
// Python sends plain figures (`_stats`); everything is rendered with textContent.
// A "Clear filter" button sends {type: "clear"}.

function fmt(v) {
  return typeof v === "number" ? v.toLocaleString("en-US") : String(v);
}

function draw(el, stats) {
  el.replaceChildren();
  const title = document.createElement("div");
  title.className = "bx-header-files";
  title.textContent = stats.files ?? "";
  const cells = document.createElement("div");
  cells.className = "bx-header-cells";
  for (const cell of stats.cells ?? []) {
    const span = document.createElement("span");
    span.className = "bx-stat";
    const b = document.createElement("b");
    b.textContent = fmt(cell.value);
    span.append(b, " " + cell.noun);
    cells.append(span);
  }
  el.append(title, cells);
  if (stats.note) {
    const note = document.createElement("div");
    note.className = "bx-filter-note";
    note.textContent = stats.note;
    el.append(note);
  }
}

const STYLE = `
.bx-headerview { display: flex; align-items: center; gap: 12px; flex-wrap: wrap;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 13px;
  color: var(--jp-ui-font-color1, inherit); padding: 4px 8px; }
.bx-headerview .bx-header { flex: 1 1 auto; }
.bx-headerview .bx-header-files { font-weight: 600; }
.bx-headerview .bx-header-cells { display: flex; flex-wrap: wrap; }
.bx-headerview .bx-stat { margin-right: 1.2em; white-space: nowrap; }
.bx-headerview .bx-filter-note { opacity: .8; }
.bx-headerview button { font: inherit; padding: 2px 10px; cursor: pointer;
  color: var(--jp-ui-font-color1, inherit); background: var(--jp-layout-color2, transparent);
  border: 1px solid var(--jp-border-color1, #999); border-radius: 3px; }
`;

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bx-headerview";
  const style = document.createElement("style");
  style.textContent = STYLE;
  const body = document.createElement("div");
  body.className = "bx-header";
  const clear = document.createElement("button");
  clear.type = "button";
  clear.textContent = "Clear filter";
  clear.title = "Show the whole corpus again";
  const onClear = () => model.send({ type: "clear" });
  clear.addEventListener("click", onClear);
  root.append(style, body, clear);
  el.append(root);

  const update = () => draw(body, model.get("_stats") ?? {});
  update();
  model.on("change:_stats", update);
  return () => {
    model.off("change:_stats", update);
    clear.removeEventListener("click", onClear);
    root.remove();
  };
}

export default { render };
