import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inject } from "vitest";

/**
 * A fresh chdb data directory for one test file. Under the local tier it lives inside the tier's
 * ClickHouse directory (removed with the tier); each file runs in its own process, as chdb needs.
 */
export function engineDir(label: string): string {
  const tier = inject("localTier").clickhouse;
  const parent = tier?.dataDir ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, `${label}-`));
}
