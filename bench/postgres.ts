/**
 * PostgreSQL numbers beside native baselines on the same real cluster.
 *
 *   npx tsx bench/postgres.ts           (BENCH_SECONDS=10 per throughput run, BENCH_CLIENTS=8)
 *
 * Starts the local 3-member Patroni cluster (synchronous_mode: every commit waits for a standby) and
 * PgBouncer exactly as the tests do, then:
 *   1. migration apply time: PostgresMigrations' applyMigrations vs `psql -1 -f` per file (plus the same
 *      partition maintenance call), each on a fresh database, median of 3
 *   2. insert throughput of a transaction-history "buy" row through PgBouncer's read-write pool:
 *      node-postgres clients (our path) vs pgbench running the same INSERT with the same clients
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect } from "../infra/postgres/client/connect";
import { applyMigrations } from "../infra/providers/postgres/apply";
import { loadMigrationFiles } from "../infra/providers/postgres/migration-files";
import { multiHostUrl, startPostgres, type PostgresEndpoints } from "../local/services/postgres";
import { readStackFile } from "../local/stack-config";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SCHEMA_DIR = path.resolve(__dirname, "../schemas/postgres");
const PARTITIONS = { monthsAhead: 2, retentionMonths: 12 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sql(url: string, text: string, params: unknown[] = []) {
  const c = await connect(url);
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

async function primary(ep: PostgresEndpoints): Promise<{ host: string; port: number }> {
  const c = await connect(ep.connectionString);
  const r = await c.query<{ p: number }>("select inet_server_port() as p");
  await c.end();
  return { host: ep.host, port: r.rows[0].p };
}

async function migrationTimes(ep: PostgresEndpoints, runs = 3): Promise<{ ours: number; psql: number }> {
  const files = loadMigrationFiles(SCHEMA_DIR);
  const ours: number[] = [];
  const native: number[] = [];
  const p = await primary(ep);
  for (let i = 0; i < runs; i++) {
    for (const kind of ["ours", "psql"] as const) {
      const db = `bench_${kind}_${i}`;
      await sql(ep.connectionString, `create database ${db}`);
      const t0 = process.hrtime.bigint();
      if (kind === "ours") {
        await applyMigrations({ connectionString: multiHostUrl(ep.members, ep.superuser, db), migrations: files, partitions: PARTITIONS, allowDestructiveChanges: false });
      } else {
        const env = { ...process.env, PGPASSWORD: ep.superuser.password };
        const base = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", p.host, "-p", String(p.port), "-U", ep.superuser.user, "-d", db];
        for (const f of files) {
          const r = spawnSync("psql", [...base, "-1", "-f", path.join(SCHEMA_DIR, f.file)], { env, encoding: "utf8" });
          if (r.status !== 0) throw new Error(`psql -f ${f.file}: ${r.stderr}`);
        }
        const r = spawnSync("psql", [...base, "-c", `select * from trading.maintain_transaction_partitions(${PARTITIONS.monthsAhead}, ${PARTITIONS.retentionMonths})`], { env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`psql maintenance: ${r.stderr}`);
      }
      (kind === "ours" ? ours : native).push(Number(process.hrtime.bigint() - t0) / 1e6);
      await sql(ep.connectionString, `drop database ${db} with (force)`);
    }
  }
  return { ours: median(ours), psql: median(native) };
}

const INSERT = `insert into trading.transaction_history (account_id, occurred_at, kind, instrument_id, order_id, quantity, price, amount, currency)`;

async function oursThroughput(url: string, accountId: number, instrumentId: number): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = await connect(url);
      try {
        while (Date.now() < deadline) {
          const qty = 1 + Math.floor(Math.random() * 100);
          const px = (1000 + Math.floor(Math.random() * 49000)) / 100;
          await c.query(`${INSERT} values ($1, now(), 'buy', $2, $3, $4, $5, $6, 'USD')`, [accountId, instrumentId, done, qty, px, -(qty * px)]);
          done += 1;
        }
      } finally {
        await c.end();
      }
    }),
  );
  return done / SECONDS;
}

function pgbenchThroughput(ep: PostgresEndpoints, dir: string, accountId: number, instrumentId: number): number {
  const script = path.join(dir, "insert.sql");
  fs.writeFileSync(
    script,
    [
      "\\set qty random(1, 100)",
      "\\set px random(1000, 50000)",
      `${INSERT} values (${accountId}, now(), 'buy', ${instrumentId}, :client_id, :qty, :px / 100.0, -(:qty * :px / 100.0), 'USD');`,
      "",
    ].join("\n"),
  );
  const r = spawnSync(
    "pgbench",
    ["-n", "-c", String(CLIENTS), "-j", "2", "-T", String(SECONDS), "-f", script, "-h", ep.pgbouncer.host, "-p", String(ep.pgbouncer.port), "-U", ep.app.user, ep.pgbouncer.readWriteDatabase],
    { env: { ...process.env, PGPASSWORD: ep.app.password }, encoding: "utf8" },
  );
  const m = /tps = ([0-9.]+) \(without initial connection time\)/.exec(r.stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-postgres-"));
  fs.chmodSync(baseDir, 0o755);
  const svc = await startPostgres({ baseDir, cacheDir: os.tmpdir(), log: (m) => console.log(`[setup] ${m}`), track: () => {} }, readStackFile("local"));
  const ep = svc.endpoints;
  try {
    const mig = await migrationTimes(ep);
    console.log(`migrations (${loadMigrationFiles(SCHEMA_DIR).length} files): ours ${mig.ours.toFixed(0)} ms, psql -f ${mig.psql.toFixed(0)} ms, ratio ours/psql ${(mig.ours / mig.psql).toFixed(2)}`);

    await applyMigrations({ connectionString: ep.connectionString, migrations: loadMigrationFiles(SCHEMA_DIR), partitions: PARTITIONS, allowDestructiveChanges: false });
    await sql(ep.connectionString, `grant app_rw to ${ep.app.user}`);
    const u = await sql(ep.connectionString, "insert into trading.users (email, full_name) values ('bench@example.com', 'Bench') returning id");
    const a = await sql(ep.connectionString, "insert into trading.accounts (user_id, base_currency, cash_balance) values ($1, 'USD', 1e9) returning id", [u.rows[0].id]);
    const i = await sql(ep.connectionString, "insert into trading.instruments (symbol, name, asset_class, currency) values ('ACME', 'Acme', 'equity', 'USD') returning id");
    const accountId = Number(a.rows[0].id);
    const instrumentId = Number(i.rows[0].id);
    const poolUrl = `postgresql://${ep.app.user}:${encodeURIComponent(ep.app.password)}@${ep.pgbouncer.host}:${ep.pgbouncer.port}/${ep.pgbouncer.readWriteDatabase}`;
    const native = pgbenchThroughput(ep, baseDir, accountId, instrumentId);
    const ours = await oursThroughput(poolUrl, accountId, instrumentId);
    console.log(
      `transaction_history inserts via PgBouncer (${CLIENTS} clients, ${SECONDS} s, synchronous commit to a standby): ours ${ours.toFixed(0)}/s, pgbench ${native.toFixed(0)}/s, ratio ours/pgbench ${(ours / native).toFixed(2)}`,
    );
  } finally {
    await svc.stop();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
