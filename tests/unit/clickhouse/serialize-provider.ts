// Run with tsx (plain CommonJS, as the Pulumi engine loads the program): vitest's module transform
// hides node built-ins from Pulumi's closure serializer, so the check cannot run in-process.
import { serializeFunction } from "@pulumi/pulumi/runtime";
import { clickhouseSchemaProvider } from "../../../infra/providers/clickhouse/provider";

serializeFunction(() => clickhouseSchemaProvider, { allowSecrets: false }).then(
  (sf) => {
    const requires = [...new Set([...sf.text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
    console.log(JSON.stringify({ ok: true, requires, dynamicImports: (sf.text.match(/\bimport\(/g) ?? []).length, stateTable: sf.text.includes("_schema_applied") }));
  },
  (e: unknown) => console.log(JSON.stringify({ ok: false, error: String(e).slice(0, 2000) })),
);
