import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backupExclusions,
  backupServerSettings,
  backupStatement,
  listBackupsQuery,
  renderServerSettingsXml,
  restoreStatement,
  timestampedBackupName,
  type ClickHouseBackupDestination,
  type ClickHouseBackupSpec,
} from "../../../infra/backups/clickhouse";
import { storageWorkloads } from "../../../infra/aws/workloads";
import { scheduledBackupStatement } from "../../../infra/clickhouse/backup-job";
import { usersSection } from "../../../infra/clickhouse/manifests";
import { readStackFile } from "../../../local/stack-config";
import { openExecutor, type ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { ohlcvQuery, renderClickHouseSchema, type RenderOptions } from "../../../schemas/clickhouse";
import { engineDir } from "./engine-dir";
import { startS3Server, type S3Server } from "./s3-server";
import { generateTicks, tickRow, type Tick } from "./synthetic-ticks";

// Real engine: chdb (ClickHouse 26.7 in-process) with the rendered backup settings as its config file;
// S3 is moto's S3 server on 127.0.0.1. The statements are the ones the CronJob runs, only the
// endpoint differs (path style on 127.0.0.1 instead of AWS's virtual-hosted URL).
// CH_BACKUP_TICKS=2000000 measures a bigger backup (printed); the default keeps the file quick.
const N_TICKS = Number(process.env.CH_BACKUP_TICKS ?? 300_000);
const dir = engineDir("backup-restore");
const BUCKET = "data-test-ch-backups-000000000000-eu-west-1";
const render: RenderOptions = { mode: "single-node", cluster: "trading", retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 }, kafka: { brokers: "127.0.0.1:1" } };
const objects = renderClickHouseSchema(render);
let exec: ClickHouseExecutor;
let s3: S3Server;
let s3Dest: ClickHouseBackupDestination;
const fileDest: ClickHouseBackupDestination = { kind: "file", directory: path.join(dir, "backups") };

const tables = ["ticks", "trades", "quotes"] as const;
const views = ["ohlcv_1m", "ohlcv_1h"] as const;

/** Row count and two order-independent hashes per table; the OHLCV tables by their finished bars (merges do not change those). */
async function fingerprint(db: string): Promise<Record<string, { n: number; xor: string; sum: string }>> {
  const out: Record<string, { n: number; xor: string; sum: string }> = {};
  for (const t of tables) {
    const [r] = await exec.query<{ n: string; xor: string; sum: string }>(
      `SELECT count() AS n, toString(groupBitXor(cityHash64(*))) AS xor, toString(sum(cityHash64(*))) AS sum FROM \`${db}\`.\`${t}\``,
    );
    out[t] = { n: Number(r.n), xor: r.xor, sum: r.sum };
  }
  for (const v of views) {
    const [r] = await exec.query<{ n: string; xor: string; sum: string }>(
      `SELECT count() AS n, toString(groupBitXor(h)) AS xor, toString(sum(h)) AS sum FROM (SELECT cityHash64(symbol, bucket, open, high, low, close, volume, ticks) AS h FROM (${ohlcvQuery(db, v)}))`,
    );
    out[v] = { n: Number(r.n), xor: r.xor, sum: r.sum };
  }
  return out;
}

async function run(sql: string): Promise<{ id: string; status: string; seconds: number }> {
  const t0 = performance.now();
  const [r] = await exec.query<{ id: string; status: string }>(sql);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

async function backupSize(id: string): Promise<{ files: number; bytes: number; uncompressed: number }> {
  const [r] = await exec.query<{ num_files: string; total_size: string; uncompressed_size: string }>(
    `SELECT num_files, total_size, uncompressed_size FROM system.backups WHERE id = '${id}'`,
  );
  return { files: Number(r.num_files), bytes: Number(r.total_size), uncompressed: Number(r.uncompressed_size) };
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

beforeAll(async () => {
  s3 = await startS3Server(path.join(dir, "s3"), BUCKET);
  s3Dest = { kind: "s3", bucket: BUCKET, region: "eu-west-1", prefix: storageWorkloads.clickhouse.prefix, endpoint: s3.endpoint };
  // The engine signs S3 requests with keys from its environment (use_environment_credentials), as
  // it takes IRSA's web identity on EKS: the statements and the config carry no keys.
  process.env.AWS_ACCESS_KEY_ID = "moto-test";
  process.env.AWS_SECRET_ACCESS_KEY = "moto-test";
  const configFile = path.join(dir, "backups.xml");
  fs.writeFileSync(configFile, renderServerSettingsXml({ ...backupServerSettings(s3Dest), ...backupServerSettings(fileDest) }));
  exec = await openExecutor({ kind: "chdb", dataDir: path.join(dir, "data"), configFile });
  for (const o of objects) await exec.exec(o.sql);
  const hour = 3_600_000;
  const ticks = generateTicks(N_TICKS, 50, Math.floor(Date.now() / hour) * hour - 6 * hour, 11);
  for (let i = 0; i < ticks.length; i += 100_000) await exec.insert("market.ticks", ticks.slice(i, i + 100_000).map(tickRow));
  const some = ticks.filter((_, i) => i % 10 === 0);
  await exec.insert("market.trades", some.map((t: Tick, i) => ({ ts: tickRow(t).ts, symbol: t.symbol, trade_id: i + 1, price: t.price, quantity: t.size / 10, side: i % 2 ? "sell" : "buy", account_id: 1000 + (i % 97) })));
  await exec.insert("market.quotes", some.map((t: Tick) => ({ ts: tickRow(t).ts, symbol: t.symbol, bid: t.price - 0.01, ask: t.price + 0.01, bid_size: t.size, ask_size: t.size + 1, exchange: t.exchange })));
}, 600_000);

afterAll(async () => {
  await exec?.close();
  await s3?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("ClickHouse BACKUP/RESTORE from infra/backups/clickhouse.ts on chdb (ClickHouse 26.7) with S3 (moto) and File destinations", () => {
  const name = timestampedBackupName(new Date());
  const spec = (): ClickHouseBackupSpec => ({ database: "market", mode: "single-node", cluster: "trading", exclude: backupExclusions(objects), destination: s3Dest });

  it(`whole database to S3 without keys, DROP DATABASE, RESTORE: counts and checksums equal for raw tables and OHLCV views (${N_TICKS} ticks)`, async () => {
    const before = await fingerprint("market");
    expect(before.ticks.n).toBe(N_TICKS);
    expect(before.ohlcv_1m.n).toBeGreaterThan(1000);
    const backup = await run(backupStatement(spec(), name));
    expect(backup.status).toBe("BACKUP_CREATED");
    const size = await backupSize(backup.id);
    const keys = await s3.list(`backups/market/${name}/`);
    expect(keys).toContain(`backups/market/${name}/.backup`);
    // Kafka consumers stay out: restored, they would consume with production's consumer group.
    expect(keys.filter((k) => /ticks_queue|trades_queue/.test(k))).toEqual([]);
    const listed = await exec.query<{ name: string }>(listBackupsQuery(s3Dest, "market"));
    expect(listed.map((r) => r.name)).toContain(name);

    await exec.exec("DROP DATABASE market SYNC");
    expect(await exec.query("SELECT name FROM system.databases WHERE name = 'market'")).toEqual([]);
    const restore = await run(restoreStatement(spec(), name));
    expect(restore.status).toBe("RESTORED");
    const after = await fingerprint("market");
    console.log(
      `S3 backup of market (${N_TICKS} ticks, ${before.trades.n} trades, ${before.quotes.n} quotes, ${before.ohlcv_1m.n} + ${before.ohlcv_1h.n} bars): ` +
        `BACKUP ${backup.seconds.toFixed(2)} s, ${size.files} files, ${mib(size.bytes)} stored (${mib(size.uncompressed)} uncompressed), ${keys.length} objects; RESTORE ${restore.seconds.toFixed(2)} s`,
    );
    expect(after).toEqual(before);
    const restoredTables = (await exec.query<{ name: string }>("SELECT name FROM system.tables WHERE database = 'market' ORDER BY name")).map((r) => r.name);
    expect(restoredTables).toEqual(objects.filter((o) => o.kind !== "database" && !backupExclusions(objects).includes(o.name)).map((o) => o.name).sort());
    // The restored views are live: a new tick lands in the 1 m bars.
    const bars = (await fingerprint("market")).ohlcv_1m.n;
    await exec.insert("market.ticks", [tickRow({ ts: Date.now() + 3_600_000, symbol: "NEW", price: 10, size: 5, seq: 1, exchange: "XNAS" })]);
    expect((await fingerprint("market")).ohlcv_1m.n).toBe(bars + 1);
    await exec.exec("ALTER TABLE market.ticks DELETE WHERE symbol = 'NEW' SETTINGS mutations_sync = 1");
  });

  it("restore beside production (AS market_check) leaves market untouched and equals it", async () => {
    const current = await fingerprint("market");
    const r = await run(restoreStatement(spec(), name, { into: "market_check" }));
    expect(r.status).toBe("RESTORED");
    const beside = await fingerprint("market_check");
    // market had one extra tick and bar inserted and deleted since: the 1 m view keeps its bar.
    expect({ ...beside, ohlcv_1m: undefined, ohlcv_1h: undefined }).toEqual({ ...current, ohlcv_1m: undefined, ohlcv_1h: undefined });
    await exec.exec("DROP DATABASE market_check SYNC");
  });

  it("a table list to a directory (File): drop one table, restore only it, its rows and checksum come back", async () => {
    const fileSpec: ClickHouseBackupSpec = { database: "market", tables: ["ticks", "ohlcv_1m"], mode: "single-node", cluster: "trading", destination: fileDest };
    const fileName = `${name}-tables`;
    const before = await fingerprint("market");
    const backup = await run(backupStatement(fileSpec, fileName));
    expect(backup.status).toBe("BACKUP_CREATED");
    const size = await backupSize(backup.id);
    expect(fs.existsSync(path.join(fileDest.kind === "file" ? fileDest.directory : "", "market", fileName, ".backup"))).toBe(true);
    // The damage: the raw ticks table is gone (its views stay; they write only when ticks get rows).
    await exec.exec("DROP TABLE market.ticks SYNC");
    const restore = await run(restoreStatement({ ...fileSpec, tables: ["ticks"] }, fileName));
    expect(restore.status).toBe("RESTORED");
    console.log(`File backup of market.ticks + ohlcv_1m: BACKUP ${backup.seconds.toFixed(2)} s, ${size.files} files, ${mib(size.bytes)}; RESTORE of ticks alone ${restore.seconds.toFixed(2)} s`);
    expect(await fingerprint("market")).toEqual(before);
  });

  it("restoring over a table that still has rows is refused and changes nothing", async () => {
    const before = await fingerprint("market");
    const err = await exec.query(restoreStatement({ ...spec(), exclude: undefined, tables: ["trades"] }, name)).catch((e: Error) => e);
    expect(String(err)).toMatch(/already exists|not empty|CANNOT_RESTORE_TABLE/i);
    expect(await fingerprint("market")).toEqual(before);
  });

  it("clustered (what the CronJob sends, prod config with Kafka tables) and the backup user's grants parse on the engine", async () => {
    const prod = readStackFile("prod");
    const destination = { kind: "s3", bucket: BUCKET, region: "eu-west-1", prefix: "backups/" } as const;
    const scheduled = scheduledBackupStatement({ config: prod.clickhouse, database: "market", destination, kafkaBrokers: "kafka:9092" });
    const restore = restoreStatement({ database: "market", mode: "clustered", cluster: "trading", exclude: backupExclusions(objects), destination }, "n", { into: "market_check" });
    for (const sql of [scheduled, restore]) {
      const [r] = await exec.query<{ f: string }>(`SELECT formatQuery(${sqlString(sql)}) AS f`);
      expect(r.f, sql).toMatch(/^(BACKUP|RESTORE) DATABASE market .*EXCEPT TABLES? .*ticks_queue.* ON CLUSTER trading (TO|FROM) S3\(/);
    }
    const users = usersSection({ name: "c", namespace: "n", environment: "prod", config: prod.clickhouse, storageClass: "gp3", usersSecret: "s", database: "market", monitoring: false });
    for (const g of users["backup/grants/query"] as string[]) {
      const [r] = await exec.query<{ f: string }>(`SELECT formatQuery(${sqlString(`${g} TO backup`)}) AS f`);
      expect(r.f).toMatch(/^GRANT (BACKUP|CLUSTER|S3) ON /);
    }
  });
});

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
