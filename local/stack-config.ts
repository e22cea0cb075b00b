import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { configFromPulumiMap, parseStackConfig, type StackConfig } from "../stacks/config";

export const repoRoot = path.resolve(__dirname, "..");

/**
 * Reads and validates Pulumi.<stack>.yaml without the Pulumi engine, so the local tier is sized by
 * the very config the `local` stack deploys with.
 */
export function readStackFile(stack: string): StackConfig {
  const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  return parseStackConfig(configFromPulumiMap(flat), stack);
}
