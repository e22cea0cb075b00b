import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { startLocalTier, type LocalEndpoints, type LocalTier } from "../../../local/tier";

declare module "vitest" {
  export interface ProvidedContext {
    localTier: LocalEndpoints;
  }
}

let tier: LocalTier | undefined;

/** Starts the real local data tier once per run; every integration file reads it with inject("localTier"). */
export async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  // Keep the test tier's state apart from a developer's `npm start` tier.
  process.env.DATA_PLATFORM_RUN_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "data-platform-test-run-"));
  tier = await startLocalTier({ log: (m) => console.log(`[local tier] ${m}`) });
  console.log(`[local tier] all services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  project.provide("localTier", tier.endpoints);
}

export async function teardown(): Promise<void> {
  await tier?.stop();
}
