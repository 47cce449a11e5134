// Build the anywidget ESM bundles into ../bio_explorer/static/.
// Deterministic: same sources + same lockfile => byte-identical output (CI checks `git diff --exit-code`).
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, "..", "bio_explorer", "static");

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
    format: "esm",
    platform: "browser",
  }),
  esbuild.build({
    ...common,
    entryPoints: { span_view: "src/span_view.css" },
    loader: { ".css": "css" },
  }),
]);
