import { randomBytes } from "node:crypto";
import * as net from "node:net";
import * as path from "node:path";
import { inject } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { withExecutor } from "../../../infra/providers/clickhouse/executor";
import { applyClickHouseSchema } from "../../../infra/providers/clickhouse/schema-apply";
import { applyTopics } from "../../../infra/providers/kafka/topics";
import { applyCollections } from "../../../infra/providers/milvus/apply";
import { applyMigrations } from "../../../infra/providers/postgres/apply";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import { applyRedisFunctions } from "../../../infra/providers/redis-functions";
import type { LocalEndpoints } from "../../../local/tier";
import { freePort } from "../../../local/ports";
import { fromLocalEndpoints, type DataTierConnection, type StoreName } from "../../../runtime/database-manager";
import { renderClickHouseSchema } from "../../../schemas/clickhouse";
import { topics as declaredTopics } from "../../../schemas/kafka/topics";
import { modelCollections } from "../../../schemas/milvus/collections";
import { loadFunctionLibraries } from "../../../schemas/redis/libraries";

export const tier = (): LocalEndpoints => inject("localTier");

/** The stores this run's tier started (DATA_PLATFORM_SERVICES may narrow it). */
export function available(): StoreName[] {
  const t = tier();
  return (["postgres", "redis", "kafka", "clickhouse", "milvus"] as const).filter((s) => t[s] !== undefined);
}

export const READER_ROLE = "dbm_analytics_ro";

/**
 * What the `local` stack's post-deploy providers do, called as plain functions: migrations, Redis
 * Function libraries, declared topics, the ClickHouse schema and the Milvus collections. Plus the
 * grants a service login needs (app gets app_rw/app_ro, app_ro may read schema_migrations) and a
 * read-only login for ClickHouse's postgresql() table function. Idempotent: every file may call it.
 */
export async function applyStackSchemas(stores: readonly StoreName[]): Promise<{ readerPassword?: string }> {
  const t = tier();
  const out: { readerPassword?: string } = {};
  const jobs: Promise<unknown>[] = [];
  if (stores.includes("postgres") && t.postgres) {
    const pg = t.postgres;
    jobs.push(
      (async () => {
        await applyMigrations({
          connectionString: pg.connectionString,
          migrations: loadMigrationFiles(path.resolve(__dirname, "../../../schemas/postgres")),
          partitions: { monthsAhead: 1, retentionMonths: 12 },
          allowDestructiveChanges: false,
        });
        out.readerPassword = randomBytes(12).toString("hex");
        const c = await connect(pg.connectionString);
        try {
          await c.query(`grant app_rw, app_ro to ${pg.app.user}`);
          await c.query("grant select on public.schema_migrations to app_ro");
          await c.query(`do $$ begin if not exists (select from pg_roles where rolname = '${READER_ROLE}') then create role ${READER_ROLE} login; end if; end $$`);
          await c.query(`alter role ${READER_ROLE} password '${out.readerPassword}'`);
          await c.query(`grant app_ro to ${READER_ROLE}`);
        } finally {
          await c.end();
        }
      })(),
    );
  }
  if (stores.includes("redis") && t.redis) {
    const r = t.redis;
    jobs.push(applyRedisFunctions({ connection: { sentinels: r.sentinels, masterName: r.masterName, username: r.admin.username, password: r.admin.password }, libraries: loadFunctionLibraries() }));
  }
  if (stores.includes("kafka") && t.kafka) {
    const k = t.kafka;
    const spec = { topics: declaredTopics, source: "schemas/kafka/topics.ts", defaultReplicationFactor: k.replicationFactor, allowReplace: false };
    // On a cluster started seconds ago a broker may not know a just-created partition yet; apply is idempotent.
    jobs.push(
      (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await applyTopics(spec, { brokers: k.brokers });
          } catch (e) {
            if (attempt >= 5 || !/does not host this topic-partition|leader|LEADER_NOT_AVAILABLE|not available/i.test((e as Error).message)) throw e;
            await new Promise((r) => setTimeout(r, 2000));
          }
        }
      })(),
    );
  }
  if (stores.includes("clickhouse") && t.clickhouse) {
    const ch = t.clickhouse;
    const target = { mode: "single-node" as const, cluster: ch.cluster, database: ch.database };
    jobs.push(
      withExecutor({ kind: "chdb", dataDir: ch.dataDir }, (exec) =>
        applyClickHouseSchema(exec, { ...target, objects: renderClickHouseSchema({ ...target, retention: ch.retention }), allowDestructiveChanges: false }),
      ),
    );
  }
  if (stores.includes("milvus") && t.milvus) {
    jobs.push(applyCollections({ collections: modelCollections, keepVersions: 2, allowDestructiveChanges: false }, { address: t.milvus.address }));
  }
  await Promise.all(jobs);
  return out;
}

/** The manager's connection for this tier, with the ClickHouse reader when Postgres is there. */
export function connection(readerPassword?: string): DataTierConnection {
  const t = tier();
  const base = fromLocalEndpoints(t);
  if (!t.postgres || !readerPassword) return base;
  return {
    ...base,
    clickhousePostgresReader: { addresses: t.postgres.members.map((m) => `${m.host}:${m.port}`), database: t.postgres.database, user: READER_ROLE, password: readerPassword },
  };
}

/**
 * A TCP relay in front of a real server that the test can stop (refuse and cut every connection)
 * and start again on the same port: a store "going away" without touching the shared servers.
 */
export class Relay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const r = new Relay(await freePort(), target);
    await r.up();
    return r;
  }

  up(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => this.server!.listen(this.port, "127.0.0.1", () => resolve()));
  }

  /** Refuses new connections and resets every open one, like the server's host dying. */
  async down(): Promise<void> {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
