// @ts-check
/**
 * Browser harness for the bio_explorer front end.
 *
 * Mounts the built ESM bundles (/bio_explorer/static/*.js) with a small fake anywidget model.
 * `send` from the widget goes to a handler: the generated fake backend below (default), "manual"
 * (nothing answers; the test calls `bxHarness.receive(msg)`), or any function `(msg, harness)`.
 * To wire the real Python widget later, pass a function that forwards `msg` to Python and call
 * `bxHarness.receive(reply)` / `bxHarness.set(name, value)` with what Python sends back.
 *
 *   window.bxHarness.mount(traits, onSend?, opts?)   render span_view into #app
 *   window.bxHarness.receive(msg)                     deliver a Python -> JS custom message
 *   window.bxHarness.set(name, value)                 set a trait "from Python" (fires change:name)
 *   window.bxHarness.get(name)                        read a trait
 *   window.bxHarness.sent / .saves                    messages sent / traits saved by the widget
 *   window.bxHarness.lastRenderMs                     time to handle the last page reply, incl. layout
 *   window.bxHarness.onSave = (name, value) => …       forward traits the widget saves
 *   window.bxHarness.mountChart(spec, opts?)          render chart_view into #chart (opts.detached:
 *                                                     attach later with attachChart())
 *
 * tests/browser/conftest.py's `connect_widget` fixture wires a real Python SpanView this way.
 */
import spanView from "/bio_explorer/static/span_view.js";

/** @typedef {(msg: any, harness: Harness) => void} SendHandler */

/**
 * A minimal stand-in for the anywidget model (Backbone semantics where it matters: `set` fires
 * `change:<name>` synchronously and only when the value changed).
 * @param {Record<string, any>} initial
 * @param {(msg: any) => void} onSend
 * @param {(name: string, value: any) => void} [onSave] called for every trait the widget saves
 */
export function createFakeModel(initial, onSend, onSave = () => {}) {
  /** @type {Record<string, any>} */
  const traits = clone(initial);
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();
  /** @type {Set<string>} */
  const dirty = new Set();
  /** @type {Array<{name: string, value: any}>} */
  const saves = [];
  /** @type {any[]} */
  const sent = [];

  /** @param {string} ev @param {any[]} args */
  const emit = (ev, args) => {
    for (const fn of [...(listeners.get(ev) ?? [])]) fn(...args);
  };

  const model = {
    /** @param {string} name */
    get: (name) => traits[name],
    /** @param {string} name @param {any} value */
    set(name, value) {
      if (JSON.stringify(traits[name]) === JSON.stringify(value)) return;
      traits[name] = value;
      dirty.add(name);
      emit(`change:${name}`, [model, value]);
    },
    save_changes() {
      for (const name of dirty) {
        saves.push({ name, value: clone(traits[name]) });
        onSave(name, clone(traits[name]));
      }
      dirty.clear();
    },
    /** @param {string} ev @param {Function} fn */
    on(ev, fn) {
      if (!listeners.has(ev)) listeners.set(ev, new Set());
      listeners.get(ev)?.add(fn);
    },
    /** @param {string} [ev] @param {Function} [fn] */
    off(ev, fn) {
      if (!ev) listeners.clear();
      else if (!fn) listeners.delete(ev);
      else listeners.get(ev)?.delete(fn);
    },
    /** @param {any} msg */
    send(msg) {
      sent.push(clone(msg));
      onSend(clone(msg));
    },
  };

  return {
    model,
    traits,
    sent,
    saves,
    /** Python side sets a trait: fires change, not recorded as a save. */
    pySet(/** @type {string} */ name, /** @type {any} */ value) {
      if (JSON.stringify(traits[name]) === JSON.stringify(value)) return;
      traits[name] = clone(value);
      emit(`change:${name}`, [model, traits[name]]);
    },
    /** Python sends a custom message. */
    deliver(/** @type {any} */ msg) {
      emit("msg:custom", [clone(msg), []]);
    },
    listenerCount() {
      let n = 0;
      for (const s of listeners.values()) n += s.size;
      return n;
    },
  };
}

/** @template T @param {T} x @returns {T} */
function clone(x) {
  return x === undefined ? x : JSON.parse(JSON.stringify(x));
}

// ------------------------------------------------------------------------------------------------
// Generated corpus + fake backend implementing the protocol of docs/ARCHITECTURE.md
// ------------------------------------------------------------------------------------------------

export const PALETTE = {
  Library: "#4e79a7",
  Algorithm: "#f28e2b",
  Application: "#59a14f",
  Language: "#e15759",
  Organization: "#b07aa1",
  Architecture: "#edc948",
  Person: "#76b7b2",
};

const ENTITIES = {
  Library: ["PyTorch", "TensorFlow", "NumPy", "scikit-learn", "JAX", "pandas"],
  Algorithm: ["backpropagation", "gradient descent", "Adam", "beam search", "k-means"],
  Application: ["computer vision", "speech recognition", "machine translation"],
  Language: ["Python", "C++", "natural language processing", "Lua"],
  Organization: ["Meta AI", "Google Brain", "the Linux Foundation", "NVIDIA"],
  Architecture: ["transformer", "ResNet", "LSTM", "convolutional network"],
  Person: ["Yann LeCun", "Soumith Chintala", "Geoffrey Hinton"],
};

const WORDS = (
  "the a of and is was for with on in by to from as an that which it its this model models training data " +
  "framework library used uses built based support supports runs fast large small open source developed " +
  "released version tensor tensors graph dynamic static research production deep learning network layers"
).split(" ");

/** @param {number} seed */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {number} n number of sentences
 * @param {number} [seed]
 */
export function generateCorpus(n, seed = 7) {
  const rand = rng(seed);
  const pick = (/** @type {any[]} */ xs) => xs[Math.floor(rand() * xs.length)];
  const labels = Object.keys(ENTITIES);
  const sources = ["train.txt", "dev.txt", "test.txt"];
  const sentences = [];
  const lines = { "train.txt": 1, "dev.txt": 1, "test.txt": 1 };
  for (let i = 0; i < n; i++) {
    const source = sources[i % 7 < 5 ? 0 : i % 7 === 5 ? 1 : 2];
    /** @type {string[]} */
    const tokens = [];
    /** @type {Array<[number, number, string]>} */
    const spans = [];
    const len = 8 + Math.floor(rand() * 22);
    while (tokens.length < len) {
      if (rand() < 0.18) {
        const label = pick(labels);
        const words = String(pick(ENTITIES[/** @type {keyof typeof ENTITIES} */ (label)])).split(" ");
        // a few annotation mistakes: the same text under another label
        const tagged = rand() < 0.06 ? pick(labels) : label;
        spans.push([tokens.length, tokens.length + words.length, tagged]);
        tokens.push(...words);
      } else tokens.push(pick(WORDS));
    }
    tokens.push(".");
    const line = lines[/** @type {keyof typeof lines} */ (source)];
    lines[/** @type {keyof typeof lines} */ (source)] += tokens.length + 1;
    const s = { sentence: i, source, line, doc: 0, tokens, spans, edited: /** @type {number[]} */ ([]) };
    sentences.push(s);
  }
  return sentences;
}

/** @param {{tokens: string[], spans: Array<[number, number, string]>}} s */
function tagsOf(s) {
  const tags = s.tokens.map(() => "O");
  for (const [a, b, l] of s.spans) for (let p = a; p < b; p++) tags[p] = `${p === a ? "B" : "I"}-${l}`;
  return tags;
}

/**
 * Anomalies computed on the fly: a span whose text is labelled differently elsewhere, and a made-up
 * "long_span" kind. Enough to exercise the UI.
 * @param {any} s
 * @param {Map<string, Map<string, number>>} textLabels
 */
function anomaliesOf(s, textLabels) {
  /** @type {Array<[number, number, string, string | null, string]>} */
  const out = [];
  for (const [a, b, l] of s.spans) {
    const text = s.tokens.slice(a, b).join(" ");
    const counts = textLabels.get(text);
    if (counts && counts.size > 1) {
      const [best, bestN] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0];
      const total = [...counts.values()].reduce((x, y) => x + y, 0);
      if (best !== l) out.push([a, b, "inconsistent_label", l, `'${text}' is ${best} in ${bestN} of ${total} places`]);
    }
    if (b - a >= 3) out.push([a, b, "long_span", l, `span of ${b - a} tokens`]);
  }
  if (s.sentence % 17 === 3 && s.tokens.length > 2 && !s.spans.some((/** @type {any[]} */ x) => x[0] <= 1 && x[1] > 1)) {
    out.push([1, 2, "invalid_transition", null, `I- tag follows O at token 2 (fixed to B- on read)`]);
  }
  return out;
}

/**
 * @param {any[]} corpus sentences from generateCorpus (mutated by edits)
 * @param {{ delay?: number }} [opts]
 */
export function createFakeBackend(corpus, opts = {}) {
  const delay = opts.delay ?? 0;
  /** @type {Array<{before: any[], after: any[] | null}>} */
  const undoStack = [];
  /** @type {Array<{before: any[], after: any[] | null}>} */
  const redoStack = [];
  let unsaved = 0;
  let version = 0;

  function textLabelIndex() {
    /** @type {Map<string, Map<string, number>>} */
    const idx = new Map();
    for (const s of corpus) {
      for (const [a, b, l] of s.spans) {
        const t = s.tokens.slice(a, b).join(" ");
        if (!idx.has(t)) idx.set(t, new Map());
        const m = /** @type {Map<string, number>} */ (idx.get(t));
        m.set(l, (m.get(l) ?? 0) + 1);
      }
    }
    return idx;
  }

  /** @param {any} q */
  function matcher(q) {
    const text = typeof q.text === "string" ? q.text : "";
    if (!text) return null;
    if (q.regex) {
      const re = new RegExp(text, q.case ? "" : "i"); // may throw: reported as an error reply
      return (/** @type {string} */ s) => re.test(s);
    }
    const needle = q.case ? text : text.toLowerCase();
    return (/** @type {string} */ s) => (q.case ? s : s.toLowerCase()).includes(needle);
  }

  /** @param {any} query */
  function filter(query) {
    const q = query || {};
    const idx = textLabelIndex();
    const match = matcher(q);
    const labels = Array.isArray(q.labels) && q.labels.length ? q.labels : null;
    const kinds = Array.isArray(q.anomaly) && q.anomaly.length ? q.anomaly : null;
    const srcs = Array.isArray(q.source) && q.source.length ? q.source : null;
    const ids = Array.isArray(q.sentences) && q.sentences.length ? new Set(q.sentences) : null;
    const out = [];
    for (const s of corpus) {
      if (ids && !ids.has(s.sentence)) continue;
      if (srcs && !srcs.includes(s.source)) continue;
      if (labels && !s.spans.some((/** @type {any} */ sp) => labels.includes(sp[2]))) continue;
      const anomalies = anomaliesOf(s, idx);
      if (kinds && !anomalies.some((a) => kinds.includes(a[2]))) continue;
      /** @type {number[]} */
      let highlight = [];
      if (match) {
        if (q.where === "span") {
          for (const [a, b] of s.spans) if (match(s.tokens.slice(a, b).join(" "))) for (let p = a; p < b; p++) highlight.push(p);
        } else {
          highlight = s.tokens.map((/** @type {string} */ t, /** @type {number} */ p) => (match(t) ? p : -1)).filter((/** @type {number} */ p) => p >= 0);
        }
        if (!highlight.length) continue;
      }
      out.push({ s, anomalies, highlight });
    }
    return out;
  }

  /** @param {any} query @param {number} offset @param {number} limit */
  function page(query, offset, limit) {
    const rows = filter(query);
    // span_counts: spans of the whole corpus with the same text, any label
    const textCount = new Map([...textLabelIndex()].map(([t, m]) => [t, [...m.values()].reduce((x, y) => x + y, 0)]));
    return {
      total: rows.length,
      sentences: rows.slice(offset, offset + limit).map(({ s, anomalies, highlight }) => ({
        sentence: s.sentence,
        source: s.source,
        line: s.line,
        doc: s.doc,
        tokens: [...s.tokens],
        tags: tagsOf(s),
        spans: s.spans.map((/** @type {any[]} */ x) => [...x]),
        span_counts: s.spans.map((/** @type {any[]} */ x) => textCount.get(s.tokens.slice(x[0], x[1]).join(" ")) ?? 0),
        anomalies,
        highlight,
        edited: [...s.edited],
      })),
      rows,
    };
  }

  /** @param {any} query */
  function counts(query) {
    const rows = filter(query);
    /** @type {Map<string, number>} */
    const per = new Map();
    /** @type {Map<string, number>} */
    const kinds = new Map();
    for (const { s, anomalies } of rows) {
      for (const sp of s.spans) per.set(sp[2], (per.get(sp[2]) ?? 0) + 1);
      for (const a of anomalies) kinds.set(a[2], (kinds.get(a[2]) ?? 0) + 1);
    }
    const allLabels = new Set(corpus.flatMap((s) => s.spans.map((/** @type {any} */ x) => x[2])));
    const labels = [...allLabels]
      .map((label) => ({ label, color: PALETTE[/** @type {keyof typeof PALETTE} */ (label)] ?? "#888888", count: per.get(label) ?? 0 }))
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
    const anomalyKinds = [...kinds.entries()].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count);
    return { matching: rows.length, labels, anomalyKinds };
  }

  /** Initial traits, as the Python widget would set them. */
  function traits(query = {}) {
    const c = counts(query);
    return {
      query,
      total_sentences: corpus.length,
      matching_sentences: c.matching,
      page_size: 50,
      _labels: c.labels,
      _anomaly_kinds: c.anomalyKinds,
      _sources: [...new Set(corpus.map((s) => s.source))],
      _data_version: 0,
      _selection: null,
      _status: { unsaved: 0, can_undo: false, can_redo: false, path: "train.txt" },
    };
  }

  /** @param {number[]} ids */
  const snapshot = (ids) => ids.map((i) => clone(corpus[i]));
  /** @param {any[]} snaps */
  const restore = (snaps) => {
    for (const s of snaps) corpus[s.sentence] = clone(s);
  };

  /**
   * @param {any} msg
   * @returns {{ message: string, preview?: any }}
   */
  function edit(msg) {
    const s = corpus[msg.sentence];
    /** @param {number} start */
    const spanAt = (start) => {
      const sp = s && s.spans.find((/** @type {any[]} */ x) => x[0] === start);
      if (!sp) throw new Error(`no span starts at token ${start} of sentence ${msg.sentence}`);
      return sp;
    };
    /** @param {number} a @param {number} b */
    const mark = (a, b) => {
      for (let p = a; p < b; p++) if (!s.edited.includes(p)) s.edited.push(p);
    };
    /** @param {number[]} ids @param {() => string} fn */
    const record = (ids, fn) => {
      const before = snapshot(ids);
      const message = fn();
      undoStack.push({ before, after: snapshot(ids) });
      redoStack.length = 0;
      unsaved += 1;
      return { message };
    };
    switch (msg.op) {
      case "relabel":
        return record([msg.sentence], () => {
          const sp = spanAt(msg.start);
          const from = sp[2];
          sp[2] = msg.label;
          mark(sp[0], sp[1]);
          return `Relabelled ${from} → ${msg.label}`;
        });
      case "delete":
        return record([msg.sentence], () => {
          const sp = spanAt(msg.start);
          s.spans = s.spans.filter((/** @type {any} */ x) => x !== sp);
          mark(sp[0], sp[1]);
          return `Deleted ${sp[2]} span`;
        });
      case "add":
        return record([msg.sentence], () => {
          if (s.spans.some((/** @type {any[]} */ x) => x[0] < msg.end && x[1] > msg.start)) throw new Error("overlaps a span");
          s.spans.push([msg.start, msg.end, msg.label]);
          s.spans.sort((/** @type {any[]} */ a, /** @type {any[]} */ b) => a[0] - b[0]);
          mark(msg.start, msg.end);
          return `Added ${msg.label} span`;
        });
      case "resize":
        return record([msg.sentence], () => {
          const sp = spanAt(msg.start);
          const oldEnd = sp[1];
          sp[0] = msg.new_start;
          sp[1] = msg.new_end;
          mark(Math.min(msg.start, msg.new_start), Math.max(oldEnd, msg.new_end));
          return "Resized span";
        });
      case "preview_all": {
        const sp = spanAt(msg.start);
        const text = s.tokens.slice(sp[0], sp[1]).join(" ");
        const occ = occurrences(text);
        return {
          message: `${occ.length} occurrences`,
          preview: {
            count: occ.length,
            rows: occ.slice(0, 20).map((o) => ({ ...o, text, to_label: msg.label })),
          },
        };
      }
      case "relabel_all": {
        const occ = occurrences(msg.text).filter(
          (o) => (msg.include_untagged || o.from_label !== null) && (msg.from_label == null || o.from_label === msg.from_label),
        );
        const ids = [...new Set(occ.map((o) => o.sentence))];
        return record(ids, () => {
          for (const o of occ) {
            const t = corpus[o.sentence];
            const sp = t.spans.find((/** @type {any[]} */ x) => x[0] === o.start && x[1] === o.end);
            if (sp) sp[2] = msg.to_label;
            else t.spans.push([o.start, o.end, msg.to_label]);
            t.spans.sort((/** @type {any[]} */ a, /** @type {any[]} */ b) => a[0] - b[0]);
            for (let p = o.start; p < o.end; p++) if (!t.edited.includes(p)) t.edited.push(p);
          }
          return `Relabelled ${occ.length} occurrences as ${msg.to_label}`;
        });
      }
      case "undo": {
        const step = undoStack.pop();
        if (!step) throw new Error("nothing to undo");
        restore(step.before);
        redoStack.push(step);
        unsaved = Math.max(0, unsaved - 1);
        return { message: "Undone" };
      }
      case "redo": {
        const step = redoStack.pop();
        if (!step || !step.after) throw new Error("nothing to redo");
        restore(step.after);
        undoStack.push(step);
        unsaved += 1;
        return { message: "Redone" };
      }
      case "save":
        for (const t of corpus) t.edited = [];
        unsaved = 0;
        return { message: "Saved to train.txt" };
      default:
        throw new Error(`unknown op ${msg.op}`);
    }
  }

  /** @param {string} text */
  function occurrences(text) {
    const words = text.split(" ");
    /** @type {Array<{sentence: number, start: number, end: number, from_label: string | null}>} */
    const out = [];
    for (const s of corpus) {
      for (let p = 0; p + words.length <= s.tokens.length; p++) {
        if (words.every((w, k) => s.tokens[p + k] === w)) {
          const sp = s.spans.find((/** @type {any[]} */ x) => x[0] === p && x[1] === p + words.length);
          const overlaps = s.spans.some((/** @type {any[]} */ x) => x[0] < p + words.length && x[1] > p);
          if (sp) out.push({ sentence: s.sentence, start: p, end: p + words.length, from_label: sp[2] });
          else if (!overlaps) out.push({ sentence: s.sentence, start: p, end: p + words.length, from_label: null });
        }
      }
    }
    return out;
  }

  /** @type {SendHandler} */
  function handle(msg, harness) {
    /** @param {any} reply */
    const reply = (reply) => setTimeout(() => harness.receive(reply), delay);
    try {
      if (msg.kind === "page") {
        const q = msg.query || {};
        const p = page(q, msg.offset ?? 0, msg.limit ?? 50);
        const c = counts(q);
        harness.set("matching_sentences", c.matching);
        harness.set("_labels", c.labels);
        harness.set("_anomaly_kinds", c.anomalyKinds);
        reply({ kind: "page", id: msg.id, offset: msg.offset ?? 0, limit: msg.limit ?? 50, total: p.total, sentences: p.sentences });
      } else if (msg.kind === "edit") {
        const r = edit(msg);
        reply({ kind: "edit", id: msg.id, ok: true, ...r });
        if (msg.op !== "preview_all") {
          version += 1;
          setTimeout(() => {
            const c = counts(harness.get("query") || {});
            harness.set("matching_sentences", c.matching);
            harness.set("_labels", c.labels);
            harness.set("_anomaly_kinds", c.anomalyKinds);
            harness.set("_status", { unsaved, can_undo: undoStack.length > 0, can_redo: redoStack.length > 0, path: "train.txt" });
            harness.set("_data_version", version);
          }, delay);
        }
      } else {
        reply({ kind: "error", id: msg.id, message: `unknown message kind ${String(msg.kind)}` });
      }
    } catch (err) {
      reply({ kind: "error", id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  }

  return { corpus, page, counts, traits, handle };
}

// ------------------------------------------------------------------------------------------------
// window.bxHarness
// ------------------------------------------------------------------------------------------------

/**
 * @typedef {Object} Harness
 * @property {(msg: any) => void} receive
 * @property {(name: string, value: any) => void} set
 * @property {(name: string) => any} get
 */

/** @type {ReturnType<typeof createFakeModel> | null} */
let span = null;
/** @type {(() => void) | null} */
let spanCleanup = null;
/** @type {ReturnType<typeof createFakeModel> | null} */
let chart = null;
/** @type {(() => void) | null} */
let chartCleanup = null;
/** @type {HTMLElement | null} */
let chartHolder = null;

const harness = {
  /** @type {any[]} */
  sent: [],
  /** @type {Array<{name: string, value: any}>} */
  saves: [],
  /** @type {(name: string, value: any) => void} set to forward saved traits (e.g. to Python) */
  onSave: (/** @type {string} */ _name, /** @type {any} */ _value) => {},
  lastRenderMs: NaN,
  lastBuildMs: NaN,
  /** @type {number[]} */
  renderTimes: [],
  /** @type {ReturnType<typeof createFakeBackend> | null} */
  backend: null,
  PALETTE,
  generateCorpus,
  createFakeBackend,
  createFakeModel,

  /**
   * Render the span view.
   * @param {Record<string, any>} [traits] trait overrides
   * @param {"fake" | "manual" | SendHandler} [onSend]
   * @param {{ sentences?: number, delay?: number, seed?: number }} [opts]
   */
  mount(traits = {}, onSend = "fake", opts = {}) {
    harness.unmount();
    harness.backend = createFakeBackend(generateCorpus(opts.sentences ?? 1234, opts.seed ?? 7), { delay: opts.delay ?? 0 });
    const defaults = harness.backend.traits(traits.query ?? {});
    const handler =
      typeof onSend === "function"
        ? onSend
        : onSend === "fake"
          ? /** @type {ReturnType<typeof createFakeBackend>} */ (harness.backend).handle
          : () => {};
    span = createFakeModel(
      { ...defaults, ...traits },
      (msg) => handler(msg, harness),
      (name, value) => harness.onSave(name, value),
    );
    harness.sent = span.sent;
    harness.saves = span.saves;
    const el = /** @type {HTMLElement} */ (document.getElementById("app"));
    spanCleanup = spanView.render({ model: /** @type {any} */ (span.model), el });
    return true;
  },

  unmount() {
    spanCleanup?.();
    spanCleanup = null;
    span = null;
  },

  /** Deliver a Python -> JS custom message; time the synchronous work plus layout. */
  receive(/** @type {any} */ msg) {
    if (!span) throw new Error("nothing mounted");
    const t0 = performance.now();
    span.deliver(msg);
    const t1 = performance.now();
    void document.getElementById("app")?.offsetHeight; // force style + layout
    const t2 = performance.now();
    if (msg && msg.kind === "page") {
      harness.lastBuildMs = t1 - t0;
      harness.lastRenderMs = t2 - t0;
      harness.renderTimes.push(t2 - t0);
    }
  },

  /** @param {string} name @param {any} value */
  set(name, value) {
    if (!span) throw new Error("nothing mounted");
    span.pySet(name, value);
  },
  /** @param {string} name */
  get(name) {
    return span ? clone(span.traits[name]) : undefined;
  },
  listenerCount() {
    return span ? span.listenerCount() : 0;
  },
  /** The latest page request the widget sent. */
  lastPageRequest() {
    return [...harness.sent].reverse().find((m) => m.kind === "page") ?? null;
  },
  /**
   * A page reply built from the fake corpus (for "manual" tests).
   * @param {string} id @param {any} [query] @param {number} [offset] @param {number} [limit]
   */
  makePage(id, query = {}, offset = 0, limit = 50) {
    if (!harness.backend) throw new Error("nothing mounted");
    const p = harness.backend.page(query, offset, limit);
    return { kind: "page", id, offset, limit, total: p.total, sentences: p.sentences };
  },

  /**
   * Time delivering a page of `n` sentences to the mounted view, `runs` times; returns the median ms.
   * @param {number} [n] @param {number} [runs]
   */
  measureRender(n = 50, runs = 15) {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const req = harness.lastPageRequest();
      const reply = harness.makePage(req.id, {}, (i % 5) * n, n);
      harness.receive(reply);
      times.push(harness.lastRenderMs);
    }
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], times };
  },

  // ----------------------------------------------------------------------------- chart view
  /**
   * Render chart_view into a holder div inside #chart.
   * @param {any} spec
   * @param {{ detached?: boolean, width?: string, selection?: any[] }} [opts] `detached`: render
   *   into the holder before it is attached (call `attachChart()` later), as JupyterLab may do;
   *   `width`: CSS width of the holder; `selection`: initial `selection` trait
   */
  async mountChart(spec, opts = {}) {
    harness.unmountChart();
    const mod = await import("/bio_explorer/static/chart_view.js");
    chart = createFakeModel({ _spec: spec, selection: opts.selection ?? [] }, () => {});
    const holder = document.createElement("div");
    holder.id = "chart-holder";
    if (opts.width) holder.style.width = opts.width;
    chartHolder = holder;
    if (!opts.detached) document.getElementById("chart")?.append(holder);
    chartCleanup = mod.default.render({ model: /** @type {any} */ (chart.model), el: holder });
    return true;
  },
  /** Attach the holder of a chart mounted with `{detached: true}`. */
  attachChart() {
    if (chartHolder && !chartHolder.isConnected) document.getElementById("chart")?.append(chartHolder);
    return !!chartHolder?.isConnected;
  },
  /** The element the chart view renders into (attached or not). */
  chartHolder() {
    return chartHolder;
  },
  /** Set the CSS width of the chart's holder (its container). @param {string} width */
  resizeChart(width) {
    if (chartHolder) chartHolder.style.width = width;
  },
  /** Bounding-box widths of the chart's svg and of its mark paths. @param {string} [marks] */
  chartWidths(marks = ".role-mark path") {
    const svg = document.querySelector("#chart-holder svg");
    const paths = [...document.querySelectorAll(`#chart-holder svg ${marks}`)];
    return {
      svg: svg ? svg.getBoundingClientRect().width : 0,
      svgAttr: svg ? Number(svg.getAttribute("width")) : 0,
      marks: paths.map((p) => p.getBoundingClientRect().width),
    };
  },
  unmountChart() {
    chartCleanup?.();
    chartCleanup = null;
    chart = null;
    chartHolder?.remove();
    chartHolder = null;
  },
  /** @param {string} name */
  chartGet(name) {
    return chart ? clone(chart.traits[name]) : undefined;
  },
  /** @param {string} name @param {any} value */
  chartSet(name, value) {
    chart?.pySet(name, value);
  },
  chartSaves() {
    return chart ? clone(chart.saves) : [];
  },
  chartListenerCount() {
    return chart ? chart.listenerCount() : 0;
  },
};

/** @type {any} */ (window).bxHarness = harness;
document.documentElement.setAttribute("data-harness-ready", "true");
