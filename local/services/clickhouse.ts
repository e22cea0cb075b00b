import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_DATABASE, renderClickHouseSchema } from "../../schemas/clickhouse";
import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

/**
 * The local ClickHouse is the in-process chdb engine, not a server: chdb binds one data directory
 * per process, so the tier cannot share a running engine with test workers. This "service" prepares
 * the directory and says how to reach it; each process opens it with the chdb executor
 * (infra/providers/clickhouse/executor-chdb.ts). Nothing runs, so there is nothing to kill or restart.
 */
export interface ClickHouseEndpoints {
  engine: "chdb";
  /** Open with `openExecutor({ kind: "chdb", dataDir })`; one process at a time. */
  dataDir: string;
  database: string;
  /** Always single-node locally: no Keeper, so Replicated engines and ON CLUSTER cannot run. */
  mode: "single-node";
  /** Cluster name the Kubernetes stacks use (DDL there runs ON CLUSTER it). */
  cluster: string;
  /** The single-node schema as rendered for this stack, for reading; the provider applies it. */
  schemaFile: string;
  retention: StackConfig["clickhouse"]["retention"];
}

const SERVICE = "clickhouse";

export async function startClickHouse(ctx: StartContext, cfg: StackConfig): Promise<StartedService<ClickHouseEndpoints>> {
  const root = path.join(ctx.baseDir, SERVICE);
  const dataDir = path.join(root, "data");
  const logDir = path.join(root, "log");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  // Fail here, with a clear reason, rather than in the first test that opens the engine.
  let lib: string;
  try {
    lib = require.resolve("chdb");
    require.resolve("@chdb/lib-linux-x64-gnu/package.json");
  } catch (e) {
    throw new Error(`${SERVICE}: the chdb engine is not installed (npm ci installs it with its optional @chdb/lib-* binary): ${(e as Error).message}`);
  }
  const retention = cfg.clickhouse.retention;
  const objects = renderClickHouseSchema({ mode: "single-node", cluster: cfg.clickhouse.cluster, retention });
  const schemaFile = path.join(root, "schema.sql");
  fs.writeFileSync(schemaFile, objects.map((o) => `-- ${o.file}: ${o.name}\n${o.sql};\n`).join("\n"));
  ctx.log(`${SERVICE}: chdb data directory ${dataDir} (engine ${path.dirname(lib)})`);
  return {
    name: SERVICE,
    endpoints: { engine: "chdb", dataDir, database: DEFAULT_DATABASE, mode: "single-node", cluster: cfg.clickhouse.cluster, schemaFile, retention },
    logDir,
    async stop() {
      // No process to stop; the tier removes its base directory (and so the data) itself.
    },
  };
}
