// ts-node transpiler (tsconfig.json "ts-node".transpiler) used when the engine runs the program: Sucrase instead of
// TypeScript's transpileModule, which cost ~3 s of CPU for the program's ~75 files on every `pulumi up` and was most
// of the gap to an empty program (docs/engine.md, "no-op up").
//
// Why Sucrase and not swc or esbuild (both faster still): Pulumi serializes dynamic providers by capturing what their
// functions reference, and recognizes a namespace import only in the shape TypeScript's __importStar gives it (a plain
// object whose `default` is the module). swc's wrapper has a null prototype and esbuild's points `default` at a
// module's own default export, so under either the post-deploy providers fail to serialize; Sucrase's wrapper is a
// plain object like TypeScript's, and a default import of an __esModule module (ioredis) is the module itself.
// Type checking stays with `tsc --noEmit` (npm run typecheck, first step of npm test).
"use strict";

const path = require("node:path");

/** @param {{ service: { config: { options: { esModuleInterop?: boolean } } }, transpilerConfigLocalResolveHelper: (s: string, b: boolean) => string }} createOptions */
function create(createOptions) {
  const { transform } = require(createOptions.transpilerConfigLocalResolveHelper("sucrase", true));
  const legacyInterop = createOptions.service.config.options.esModuleInterop !== true;
  return {
    transpile(input, { fileName }) {
      const out = transform(input, {
        transforms: fileName.endsWith(".tsx") ? ["typescript", "jsx", "imports"] : ["typescript", "imports"],
        filePath: fileName,
        enableLegacyTypeScriptModuleInterop: legacyInterop,
        sourceMapOptions: { compiledFilename: path.basename(fileName) },
      });
      return { outputText: out.code, sourceMapText: JSON.stringify(out.sourceMap) };
    },
  };
}

module.exports = { create };
