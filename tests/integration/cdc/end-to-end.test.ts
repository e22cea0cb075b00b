import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ClickHouseExecutor } from "../../../infra/providers/clickhouse/executor";
import { connect } from "../../../infra/postgres/client/connect";
import type { CdcConsumer } from "../../../runtime/cdc/consumer";
import { formatReport, reconcile } from "../../../runtime/cdc/reconcile";
import { seedAccount, startPipeline, type CdcPipeline } from "./harness";
import { eventually, lagMs, landedCounts, openLanding, startSink } from "./landing";

const tier = inject("localTier");
const pg = tier.postgres!;
const kafka = tier.kafka!;

let p: CdcPipeline;
let exec: ClickHouseExecutor;
let sink: CdcConsumer | undefined;
const accounts: number[] = [];
let execClosed = false;
let lastReport: Awaited<ReturnType<typeof reconcile>> | undefined;

const range = () => ({ from: new Date(Date.now() - 3 * 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

async function reconcileNow() {
  const c = await connect(p.url);
  try {
    return await reconcile(c, exec, range());
  } finally {
    await c.end();
  }
}

async function pgTotals(): Promise<{ n: number; total: string }> {
  const [r] = await p.query<{ n: number; total: string }>("select count(*)::int as n, coalesce(sum(amount), 0)::numeric(38,4)::text as total from trading.transaction_history");
  return r;
}

async function chTotals(): Promise<{ n: number; total: string }> {
  const [r] = await exec.query<{ n: string; total: string }>("SELECT toString(count()) AS n, toString(sum(amount)) AS total FROM cdc.transactions FINAL WHERE _deleted = 0");
  return { n: Number(r.n), total: Number(r.total).toFixed(4) };
}

describe("CDC end to end: Postgres (Patroni) → Debezium 3.6.1 on Kafka Connect 4.3.1 → Kafka → consumer → ClickHouse (chdb)", () => {
  beforeAll(async () => {
    p = await startPipeline(pg, kafka, "cdce2e");
    exec = await openLanding(p);
    sink = await startSink(exec, p, kafka.brokers);
    accounts.push(await seedAccount(p, "alice@example.com"), await seedAccount(p, "bob@example.com"));
  });

  afterAll(async () => {
    await sink?.stop();
    if (!execClosed) await exec?.close();
    await p?.close();
  });

  it("inserts and updates committed in Postgres land in ClickHouse exactly once, with the lag printed", async () => {
    // Two days × two accounts, in a handful of multi-row transactions like a real batch import.
    for (let batch = 0; batch < 10; batch++) {
      await p.query(
        `insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency)
         select case when g % 2 = 0 then $1::bigint else $2::bigint end,
                now() - (g % 2) * interval '1 day',
                'deposit', (g * 1.25 + $3)::numeric(20,4), 'USD'
           from generate_series(1, 20) g`,
        [accounts[0], accounts[1], batch],
      );
    }
    // An update of a committed row (a correction) must replace the landed row, not add one.
    const [first] = await p.query<{ id: string }>("select id::text from trading.transaction_history order by id limit 1");
    const updated = await p.query("update trading.transaction_history set amount = 999.9900 where id = $1 returning id", [first.id]);
    expect(updated).toHaveLength(1);
    await p.query("update trading.accounts set status = 'suspended' where id = $1", [accounts[1]]);

    const want = await pgTotals();
    expect(want.n).toBe(200);
    const got = await eventually("ClickHouse totals equal Postgres", chTotals, (v) => v.n === want.n && v.total === want.total);
    expect(got).toEqual(want);
    // Both changes of the row arrived (insert, then update at a higher LSN); FINAL keeps the update.
    const [row] = await exec.query<{ amount: string }>(`SELECT toString(amount) AS amount FROM cdc.transactions FINAL WHERE id = ${first.id}`);
    expect(Number(row.amount)).toBe(999.99);
    const ops = await exec.query<{ op: string }>(
      `SELECT op FROM cdc.deliveries WHERE table = 'trading.transaction_history' AND JSONExtractInt(pk, 'id') = ${first.id} ORDER BY version`,
    );
    expect(ops.map((o) => o.op)).toEqual(["c", "u"]);
    const acct = await eventually(
      "account status change landed",
      () => exec.query<{ data: string }>(`SELECT data FROM cdc.row_changes FINAL WHERE table = 'trading.accounts' AND JSONExtractInt(data, 'id') = ${accounts[1]}`),
      (rows) => rows.length === 1 && JSON.parse(rows[0].data).status === "suspended",
    );
    expect(acct).toHaveLength(1);

    const lag = await lagMs(exec);
    const counts = await landedCounts(exec);
    console.log(
      `[cdc e2e] produced ${want.n} transaction rows (+1 update); landed distinct ${counts.distinct}, deliveries ${counts.deliveries}; ` +
        `end-to-end lag commit→ClickHouse p50 ${lag.p50} ms, p95 ${lag.p95} ms, max ${lag.max} ms over ${lag.n} changes`,
    );
    expect((await reconcileNow()).mismatches).toEqual([]);
  });

  it("a full redelivery (second consumer group replaying every topic from the start) does not double count", async () => {
    const before = await landedCounts(exec);
    const want = await pgTotals();
    const replay = await startSink(exec, p, kafka.brokers, `replay-${p.database}`);
    try {
      await eventually("replay landed every delivery again", () => landedCounts(exec), (c) => c.deliveries >= 2 * before.deliveries);
    } finally {
      await replay.stop();
    }
    const after = await landedCounts(exec);
    console.log(`[cdc redelivery] deliveries ${before.deliveries} → ${after.deliveries}; distinct rows ${before.distinct} → ${after.distinct}`);
    expect(after.distinct).toBe(before.distinct);
    expect(await chTotals()).toEqual(want);
    expect((await reconcileNow()).mismatches).toEqual([]);
  });

  it("reconciliation reports an induced lost event and an induced duplicate, naming day, account and ids", async () => {
    const [lost] = await p.query<{ id: string; account_id: string; day: string }>(
      "select id::text, account_id::text, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day from trading.transaction_history where account_id = $1 order by id desc limit 1",
      [accounts[0]],
    );
    const [dup] = await p.query<{ id: string; account_id: string; day: string }>(
      "select id::text, account_id::text, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day from trading.transaction_history where account_id = $1 order by id desc limit 1",
      [accounts[1]],
    );
    // Lost: the landed row disappears downstream. Duplicate: the same movement lands a second time
    // under another key (a replay that bypassed the dedup key), so it survives FINAL.
    await exec.exec(`ALTER TABLE cdc.transactions DELETE WHERE id = ${lost.id} SETTINGS mutations_sync = 1`);
    const dupId = (BigInt(dup.id) + 1_000_000_000n).toString();
    await exec.exec(
      `INSERT INTO cdc.transactions SELECT ${dupId}, occurred_at, account_id, kind, instrument_id, amount, currency, _version, _deleted, _source_ts, now64(3)
         FROM cdc.transactions FINAL WHERE id = ${dup.id}`,
    );
    const report = await reconcileNow();
    lastReport = report;
    console.log(formatReport(report).join("\n"));
    expect(report.mismatches).toHaveLength(2);
    expect(report.mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ day: lost.day, accountId: lost.account_id, missingInClickHouse: [lost.id], unexpectedInClickHouse: [] }),
        expect.objectContaining({ day: dup.day, accountId: dup.account_id, missingInClickHouse: [], unexpectedInClickHouse: [dupId] }),
      ]),
    );
    const lostCell = report.mismatches.find((m) => m.missingInClickHouse.length)!;
    expect(lostCell.clickhouse.count).toBe(lostCell.postgres.count - 1);
  });

  it("the reconcile command (scripts/reconcile.ts) prints the same mismatches and exits 1", async () => {
    expect(lastReport?.mismatches).toHaveLength(2);
    // chdb binds a data directory to one process: hand it over to the command.
    await sink?.stop();
    sink = undefined;
    await exec.close();
    execClosed = true;
    const root = path.resolve(__dirname, "../../..");
    const r = spawnSync(
      path.join(root, "node_modules/.bin/tsx"),
      ["scripts/reconcile.ts", "--from", lastReport!.from, "--to", lastReport!.to, "--chdb", path.join(p.dir, "chdb")],
      { cwd: root, encoding: "utf8", env: { ...process.env, RECONCILE_POSTGRES_URL: p.url }, timeout: 120_000 },
    );
    console.log(r.stdout, r.stderr);
    expect(r.status).toBe(1);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("MISMATCH"));
    expect(lines.sort()).toEqual(formatReport(lastReport!).slice(1).sort());
    expect(r.stdout + r.stderr).not.toContain(pg.superuser.password);
  });
});
