// Build the anywidget ESM bundles into ../bio_explorer/static/.
// Deterministic: same sources + same lockfile => byte-identical output (CI checks `git diff --exit-code`).
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { readFile } from "node:fs/promises";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "..", "bio_explorer", "static");

/**
 * Unique SVG def ids per page: vega-scenegraph names clip paths `clip1, clip2, …` and gradients
 * `gradient_0, …` from counters of its own module. Every anywidget model imports its own copy of
 * the bundle, so several charts on a page defined `clip1` each and a bar was clipped by another
 * chart's rectangle (issue 16.2). The ids get a prefix drawn at random per module instance.
 * @type {import("esbuild").Plugin}
 */
const uniqueSvgIds = {
  name: "unique-svg-ids",
  setup(build) {
    build.onLoad({ filter: /[\\/]vega-scenegraph[\\/].*\.js$/ }, async (args) => {
      let code = await readFile(args.path, "utf8");
      const rules = [
        [/'clip' \+ clip_id\+\+/g, "'clip' + __bxSvgIdPrefix + clip_id++"],
        [/'gradient_' \+ gradient_id\+\+/g, "'gradient_' + __bxSvgIdPrefix + gradient_id++"],
      ];
      let hits = 0;
      for (const [re, to] of rules) {
        code = code.replace(re, () => {
          hits += 1;
          return to;
        });
      }
      if (hits === 0) return undefined; // a file without def ids
      if (hits < rules.length) throw new Error(`unique-svg-ids: only ${hits} id pattern(s) in ${args.path}`);
      const prefix = 'const __bxSvgIdPrefix = "bx" + Math.random().toString(36).slice(2, 8) + "_";\n';
      return { contents: prefix + code, loader: "js" };
    });
  },
};

/** @type {import("esbuild").BuildOptions} */
const common = {
  bundle: true,
  minify: true,
  target: "es2020",
  legalComments: "eof",
  sourcemap: false,
  logLevel: "info",
  absWorkingDir: here,
  outdir,
  // Keep UMD wrappers inside bundled deps from taking the AMD branch (breaks in exported HTML).
  define: { "define.amd": "false" },
};

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: {
      span_view: "src/span_view.js",
      chart_view: "src/chart_view.js",
      header_view: "src/header_view.js",
    },
    plugins: [uniqueSvgIds],
    format: "esm",
    platform: "browser",
  }),
  esbuild.build({
    ...common,
    entryPoints: { span_view: "src/span_view.css" },
    loader: { ".css": "css" },
  }),
]);
