import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "pg";
import { cdcPermanentSlots, CDC_TABLES, HEARTBEAT_TOPIC, OUTBOX_TOPICS, slotName } from "../../../infra/cdc/flows";
import { connectorName, debeziumConnectorConfig } from "../../../infra/cdc/connector-config";
import { connect } from "../../../infra/postgres/client/connect";
import { applyTopics } from "../../../infra/providers/kafka/topics";
import { applyMigrations } from "../../../infra/providers/postgres/apply";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import type { KafkaEndpoints } from "../../../local/services/kafka";
import {
  deleteConnector,
  putConnector,
  startKafkaConnect,
  waitForConnectorRunning,
  type StartedKafkaConnect,
} from "../../../local/services/kafka-connect";
import { addPermanentSlots, removePermanentSlots } from "../../../local/services/kafka-connect/patroni-slots";
import { multiHostUrl, type PostgresEndpoints } from "../../../local/services/postgres";
import { readStackFile } from "../../../local/stack-config";
import { topics as declaredTopics } from "../../../schemas/kafka/topics";

const SCHEMA_DIR = path.resolve(__dirname, "../../../schemas/postgres");

/** The tier's run directory (…/data-platform-XXXX): our worker lives under it, so tier teardown sweeps it too. */
function tierDir(pg: PostgresEndpoints): string {
  return path.dirname(path.dirname(path.dirname(pg.members[0].configPath)));
}

export interface CdcPipeline {
  database: string;
  /** Superuser URL of the test database (multi-host, read-write). */
  url: string;
  connect: StartedKafkaConnect;
  connector: string;
  slot: string;
  dir: string;
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The CDC and outbox topics, created from their declarations by the KafkaTopics provider's apply. */
export async function ensureCdcTopics(kafka: KafkaEndpoints): Promise<void> {
  const wanted = new Set<string>([...CDC_TABLES.map((t) => t.topic), HEARTBEAT_TOPIC, ...Object.values(OUTBOX_TOPICS)]);
  await applyTopics(
    { topics: declaredTopics.filter((t) => wanted.has(t.name)), source: "schemas/kafka/topics.ts", defaultReplicationFactor: kafka.replicationFactor, allowReplace: false },
    { brokers: kafka.brokers },
  );
}

/**
 * A fresh database with every migration applied, its slot made permanent in Patroni, a Connect worker
 * and the Debezium connector streaming it. Everything is undone by close().
 */
export async function startPipeline(pg: PostgresEndpoints, kafka: KafkaEndpoints, label: string): Promise<CdcPipeline> {
  const database = `${label}_${randomBytes(3).toString("hex")}`;
  const admin = await connect(pg.connectionString);
  await admin.query(`create database ${database}`);
  await admin.end();
  const url = multiHostUrl(pg.members, pg.superuser, database);
  await applyMigrations({ connectionString: url, migrations: loadMigrationFiles(SCHEMA_DIR), partitions: { monthsAhead: 1, retentionMonths: 12 }, allowDestructiveChanges: false });
  await ensureCdcTopics(kafka);
  const slot = slotName(database);
  await addPermanentSlots(pg, cdcPermanentSlots(database));
  const dir = fs.mkdtempSync(path.join(tierDir(pg), `cdc-${label}-`));
  const worker = await startKafkaConnect(
    { baseDir: dir, cacheDir: "", log: (m) => console.log(`[cdc] ${m}`), track: () => {} },
    readStackFile("local"),
    { kafka, postgres: pg, groupId: `cdc-connect-${database.replace(/_/g, "-")}` },
  );
  const connector = connectorName(database);
  const cfg = debeziumConnectorConfig(
    { host: worker.endpoints.primary.host, port: worker.endpoints.primary.port, database, user: pg.superuser.user, password: pg.superuser.password },
    { heartbeatIntervalMs: 2_000, retryWaitMs: 2_000 },
  );
  await putConnector(worker.endpoints, connector, cfg);
  await waitForConnectorRunning(worker.endpoints, connector);
  let client: Client | undefined;
  const query = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        client ??= await connect(url);
        return (await client.query<T>(sql, params)).rows;
      } catch (e) {
        await client?.end().catch(() => {});
        client = undefined;
        if (attempt >= 2) throw e;
      }
    }
  };
  return {
    database,
    url,
    connect: worker,
    connector,
    slot,
    dir,
    query,
    async close() {
      await client?.end().catch(() => {});
      await deleteConnector(worker.endpoints, connector).catch(() => {});
      await worker.stop();
      await removePermanentSlots(pg, [slot]).catch((e: Error) => console.log(`[cdc] slot cleanup: ${e.message}`));
      const c = await connect(pg.connectionString);
      await c.query(`drop database if exists ${database} with (force)`).catch(() => {});
      await c.end();
    },
  };
}

/** One user, account and portfolio to hang transactions on; returns the account id. */
export async function seedAccount(p: CdcPipeline, email: string): Promise<number> {
  const [u] = await p.query<{ id: string }>("insert into trading.users (email, full_name) values ($1, 'CDC Test') returning id", [email]);
  const [a] = await p.query<{ id: string }>("insert into trading.accounts (user_id, base_currency) values ($1, 'USD') returning id", [u.id]);
  return Number(a.id);
}
