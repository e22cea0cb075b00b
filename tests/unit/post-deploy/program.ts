// Run with ts-node --transpile-only (plain CommonJS, as the engine loads the program): under vitest Pulumi's closure
// serializer cannot serialize the dynamic providers (node built-ins are hidden by the module transform).
// Runs the stack program under tests/unit/helpers/mocks.ts for each case in argv[2] (JSON) and prints
// one JSON line: per case, the dynamic resources (inputs, secret paths) and the resolved outputs.
import { isSecretOutput, runProgram, valueOf } from "../helpers/mocks";

// The wiring cases check inputs, not serialization (serialize-providers.ts checks that on its own), so
// one provider that does not serialize must not hide what the others are given.
if (process.argv.includes("--stub-serialization")) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: unknown };
  closure.serializeFunction = async () => ({ text: "exports.handler = undefined;", exportName: "handler", containsSecrets: false });
}

interface Case {
  label: string;
  stack: string | Record<string, unknown>;
  env?: Record<string, string>;
}

async function main(): Promise<void> {
  const cases = JSON.parse(process.argv[2]) as Case[];
  const results: Record<string, unknown> = {};
  for (const c of cases) {
    for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = v;
    try {
      const run = await runProgram(c.stack);
      const outputs: Record<string, unknown> = {};
      const secret: Record<string, boolean> = {};
      for (const [k, v] of Object.entries(run.outputs)) {
        if (v === undefined) continue;
        outputs[k] = await valueOf(v as never);
        if (typeof v === "object" && v !== null && "apply" in v) secret[k] = await isSecretOutput(v as never);
      }
      results[c.label] = {
        dynamic: run.byType("pulumi-nodejs:dynamic:Resource").map((r) => ({ name: r.name, inputs: r.inputs, secretPaths: r.secretPaths, parent: r.parent })),
        outputs,
        secret,
      };
    } catch (e) {
      results[c.label] = { error: (e as Error).message };
    }
    for (const k of Object.keys(c.env ?? {})) delete process.env[k];
  }
  // Serialization failures surface asynchronously; give them a moment to be reported.
  await new Promise((r) => setTimeout(r, 200));
  console.log(JSON.stringify(results));
}

process.on("unhandledRejection", (e) => {
  console.log(JSON.stringify({ unhandled: String(e).slice(0, 3000) }));
  process.exit(1);
});
void main();
