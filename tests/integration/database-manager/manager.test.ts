import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { applyMigrations } from "../../../infra/providers/postgres/apply";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import { clusterState, isLeader, multiHostUrl } from "../../../local/services/postgres";
import { nodeRole } from "../../../local/services/redis";
import {
  AmbiguousOperationError,
  DatabaseManager,
  InitializeError,
  lastPriceKey,
  SchemaVersionError,
  type DataTierConnection,
  type RetryEvent,
} from "../../../runtime/database-manager";
import { Cache, subscribe } from "../../../runtime/redis";
import { applyStackSchemas, available, connection, Relay, tier } from "./fixture";

// Real things: the local tier's Patroni cluster behind PgBouncer, Redis behind Sentinel, the 3-node
// KRaft cluster, chdb on the tier's ClickHouse directory, and Milvus when the tier runs it.
const stores = available();
const has = (...s: string[]) => s.every((x) => (stores as string[]).includes(x));
const run = randomBytes(3).toString("hex").toUpperCase();
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** DateTime64(3) text as ClickHouse parses it in JSONEachRow. */
const chTime = (epochMs: number) => new Date(epochMs).toISOString().replace("T", " ").replace("Z", "");
/** The error a promise rejects with; a promise that resolves fails the test. */
const failed = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => {
      throw new Error("expected a failure, but it succeeded");
    },
    (e: unknown) => e as Error,
  );

let m: DatabaseManager;
let readerPassword: string | undefined;

beforeAll(async () => {
  ({ readerPassword } = await applyStackSchemas(stores));
  m = new DatabaseManager(connection(readerPassword));
  const rep = await m.initialize({ stores });
  console.log(
    `[database-manager] initialize(${stores.join(", ")}) in ${ms(rep.totalMs)}: ` +
      Object.entries(rep.stores)
        .map(([s, r]) => `${s} connect ${ms(r!.connectMs)}, schema ${r!.schema?.actual}`)
        .join("; "),
  );
});

afterAll(async () => {
  await m?.close();
});

describe("DatabaseManager on the local tier", () => {
  it("initialize() found every store at the schema version the stack's providers applied; health() is up", async () => {
    expect(m.stores).toEqual(stores);
    const lat: Record<string, number[]> = {};
    for (let i = 0; i < 5; i++) {
      const h = await m.health();
      expect(h.status, JSON.stringify(h.stores)).toBe("up");
      for (const [s, x] of Object.entries(h.stores)) (lat[s] ??= []).push(x!.latencyMs);
      (lat.total ??= []).push(h.totalMs);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`[database-manager] health() median of 5: ${Object.entries(lat).map(([s, xs]) => `${s} ${ms(median(xs))}`).join(", ")}`);
  });

  it.runIf(has("postgres"))("writes land on the primary (PgBouncer rw pool); reads are served by a replica (ro pool)", async () => {
    const leader = (await clusterState(tier().postgres!.members)).members.find((x) => isLeader(x.role));
    const [w] = await m.postgres.write<{ port: number; standby: boolean }>("select inet_server_port() as port, pg_is_in_recovery() as standby", [], { idempotent: true });
    expect(w).toEqual({ port: leader?.port, standby: false });
    const [r] = await m.postgres.read<{ port: number; standby: boolean }>("select inet_server_port() as port, pg_is_in_recovery() as standby");
    expect(r.standby).toBe(true);
    expect(r.port).not.toBe(leader?.port);
    // A write through the manager is on the primary and reaches the replica the reads use.
    const email = `dbm-${run.toLowerCase()}@example.com`;
    await m.postgres.write("insert into trading.users (email, full_name) values ($1, 'routing probe') on conflict do nothing", [email], { idempotent: true });
    let seen = 0;
    for (let i = 0; i < 50 && seen === 0; i++) {
      seen = (await m.postgres.read("select 1 from trading.users where lower(email) = $1", [email])).length;
      if (!seen) await new Promise((res) => setTimeout(res, 100));
    }
    expect(seen).toBe(1);
    console.log(`[database-manager] write on primary port ${w.port}, read on replica port ${r.port}`);
  });

  describe.runIf(has("postgres", "redis", "clickhouse"))("cross-store", () => {
    const sym = (s: string) => `D${run}${s}`;
    const instruments = [
      { symbol: sym("A"), currency: "USD", assetClass: "equity", quantity: "10.5", redis: 101.25, tick: 99.5 },
      { symbol: sym("B"), currency: "USD", assetClass: "etf", quantity: "3", redis: 55.5 },
      { symbol: sym("C"), currency: "EUR", assetClass: "bond", quantity: "1200.25", tick: 98.765 },
    ];
    let portfolioId = "";

    beforeAll(async () => {
      const c = await connect(tier().postgres!.connectionString);
      try {
        const u = await c.query<{ id: string }>("insert into trading.users (email, full_name) values ($1, 'valuation') returning id", [`val-${run.toLowerCase()}@example.com`]);
        const a = await c.query<{ id: string }>("insert into trading.accounts (user_id, base_currency) values ($1, 'USD') returning id", [u.rows[0].id]);
        const p = await c.query<{ id: string }>("insert into trading.portfolios (account_id, name) values ($1, 'main') returning id", [a.rows[0].id]);
        portfolioId = p.rows[0].id;
        for (const i of instruments) {
          const r = await c.query<{ id: string }>("insert into trading.instruments (symbol, name, asset_class, currency) values ($1, $1, $2, $3) returning id", [i.symbol, i.assetClass, i.currency]);
          await c.query("insert into trading.holdings (portfolio_id, instrument_id, quantity, average_cost) values ($1, $2, $3, 1)", [portfolioId, r.rows[0].id, i.quantity]);
        }
      } finally {
        await c.end();
      }
      const now = Date.now();
      for (const i of instruments) {
        if (i.redis !== undefined) await m.redis.run((r) => r.set(lastPriceKey(i.symbol), JSON.stringify({ price: i.redis, ts: now })), { idempotent: true, operation: "SET price" });
      }
      // Ticks: an older and the last price for C (Redis has none); for A an older price Redis must win over.
      await m.clickhouse.insert("market.ticks", [
        { ts: chTime(now - 60_000), symbol: sym("C"), price: 97.1, size: 5, seq: 1, exchange: "XTST" },
        { ts: chTime(now - 1_000), symbol: sym("C"), price: 98.765, size: 5, seq: 2, exchange: "XTST" },
        { ts: chTime(now - 1_000), symbol: sym("A"), price: 99.5, size: 5, seq: 3, exchange: "XTST" },
      ]);
    });

    it("portfolio valuation = holdings (Postgres) × last prices (Redis, falling back to ClickHouse) equals Postgres's own numeric arithmetic", async () => {
      const v = await m.portfolioValuation(portfolioId, { consistency: "primary" });
      const expectedPrice = (i: (typeof instruments)[number]) => i.redis ?? i.tick!;
      // Reference: Postgres multiplies the numeric quantities by the prices the test placed.
      const c = await connect(tier().postgres!.connectionString);
      const ref = await c.query<{ currency: string; total: string }>(
        `select i.currency, sum(h.quantity * p.price) as total from trading.holdings h
           join trading.instruments i on i.id = h.instrument_id
           join (select * from unnest($2::text[], $3::numeric[]) as x(symbol, price)) p on p.symbol = i.symbol
          where h.portfolio_id = $1 group by i.currency order by 1`,
        [portfolioId, instruments.map((i) => i.symbol), instruments.map((i) => String(expectedPrice(i)))],
      );
      await c.end();
      expect(Object.keys(v.totals).sort()).toEqual(ref.rows.map((r) => r.currency));
      for (const r of ref.rows) expect(v.totals[r.currency]).toBeCloseTo(Number(r.total), 6);
      expect(v.positions.map((p) => [p.symbol, p.price?.source, p.price?.price])).toEqual(
        instruments.map((i) => [i.symbol, i.redis !== undefined ? "redis" : "clickhouse", expectedPrice(i)]),
      );
      expect(v.unpriced).toEqual([]);
      console.log(`[database-manager] valuation of portfolio ${portfolioId}: ${JSON.stringify(v.totals)} (reference ${JSON.stringify(ref.rows)})`);
    });

    it("ClickHouse joins its trades with Postgres instruments through postgresql() as a read-only login", async () => {
      // A one-second window of this run, so trades of earlier runs never count.
      const since = new Date(Date.now() - 3_600_000 - Math.floor(Math.random() * 3_600_000));
      const trades = [
        { i: 0, price: 100, quantity: 2 },
        { i: 0, price: 101, quantity: 1.5 },
        { i: 1, price: 55, quantity: 10 },
        { i: 2, price: 98.5, quantity: 400 },
      ];
      await m.clickhouse.insert(
        "market.trades",
        trades.map((t, n) => ({ ts: chTime(since.getTime() + 100 * n), symbol: instruments[t.i].symbol, trade_id: n + 1, price: t.price, quantity: t.quantity, side: "buy", account_id: 1 })),
      );
      const got = await m.notionalByAssetClass(since, new Date(since.getTime() + 1000));
      const want = new Map<string, { trades: number; notional: number }>();
      for (const t of trades) {
        const k = instruments[t.i].assetClass;
        const w = want.get(k) ?? { trades: 0, notional: 0 };
        want.set(k, { trades: w.trades + 1, notional: w.notional + t.price * t.quantity });
      }
      expect(got.map((g) => g.assetClass)).toEqual([...want.keys()].sort());
      for (const g of got) {
        expect(g.trades).toBe(want.get(g.assetClass)!.trades);
        expect(g.notional).toBeCloseTo(want.get(g.assetClass)!.notional, 6);
      }
      // The reader really is read-only.
      const c = await connect(`postgresql://dbm_analytics_ro:${readerPassword}@${tier().postgres!.members.map((x) => `${x.host}:${x.port}`).join(",")}/trading?target_session_attrs=read-write`);
      await expect(c.query("insert into trading.currencies values ('XXX', 2, 'probe')")).rejects.toThrow(/permission denied/);
      await c.end();
    });
  });

  it.runIf(has("redis"))("Redis: the dedicated subscriber connection receives invalidations the command connection publishes (runtime/redis)", async () => {
    const got: string[][] = [];
    const sub = subscribe(m.redis.subscriber, "cacheInvalidations", (p) => got.push(p.tags));
    await sub.ready;
    const cache = new Cache(m.redis.client, `dbm:${run}:`);
    await cache.getOrSet("k", { ttlMs: 60_000, tags: [`t-${run}`] }, async () => "v");
    expect(await cache.invalidateTags([`t-${run}`])).toBe(1);
    for (let i = 0; i < 40 && !got.some((t) => t.includes(`t-${run}`)); i++) await new Promise((r) => setTimeout(r, 50));
    await sub.close();
    expect(got).toContainEqual([`t-${run}`]);
  });

  it.runIf(has("kafka"))("Kafka: the idempotent acks=all producer's send is acknowledged by the in-sync replicas", async () => {
    const msgs = Array.from({ length: 20 }, (_, i) => ({ key: `acct-${run}-${i}`, value: JSON.stringify({ probe: run, i }) }));
    const r = await m.kafka.send("orders", msgs);
    // One request per partition: several partitions answered, each without error.
    expect(r.length).toBeGreaterThan(1);
    expect(r.every((x) => x.topicName === "orders" && x.errorCode === 0)).toBe(true);
  });

  it.runIf(has("milvus"))("Milvus: the client reaches the declared collections through their aliases", async () => {
    const d = await m.milvus.describeCollection({ collection_name: "instrument_embeddings" });
    expect(d.schema?.fields.map((f) => f.name)).toContain("embedding");
  });

  it.runIf(has("postgres", "redis"))("health() reports a stopped store as down within a second, and up when it is back", async () => {
    const t = tier();
    const pgb = await Relay.start({ host: t.postgres!.pgbouncer.host, port: t.postgres!.pgbouncer.port });
    let primary = t.redis!.nodes[0];
    for (const n of t.redis!.nodes) if ((await nodeRole(n.port, t.redis!.admin)) === "master") primary = n;
    const rds = await Relay.start({ host: primary.host, port: primary.port });
    const base = connection();
    const viaRelays: DataTierConnection = {
      postgres: { readWrite: { ...base.postgres!.readWrite, port: pgb.port }, readOnly: { ...base.postgres!.readOnly!, port: pgb.port } },
      redis: { host: "127.0.0.1", port: rds.port, username: base.redis!.username, password: base.redis!.password },
    };
    const probe = new DatabaseManager(viaRelays);
    try {
      await probe.initialize({ stores: ["postgres", "redis"], checkSchema: false });
      expect((await probe.health()).status).toBe("up");
      await Promise.all([pgb.down(), rds.down()]);
      const t0 = performance.now();
      const h = await probe.health();
      const took = performance.now() - t0;
      console.log(`[database-manager] stores stopped: health() said ${JSON.stringify(h.stores)} in ${ms(took)}`);
      expect(h.status).toBe("down");
      expect(h.stores.postgres?.status).toBe("down");
      expect(h.stores.redis?.status).toBe("down");
      expect(took).toBeLessThan(1000);
      await Promise.all([pgb.up(), rds.up()]);
      let back = await probe.health();
      for (let i = 0; i < 20 && back.status !== "up"; i++) {
        await new Promise((r) => setTimeout(r, 250));
        back = await probe.health();
      }
      expect(back.status).toBe("up");
    } finally {
      await probe.close();
      await Promise.all([pgb.down(), rds.down()]);
    }
  });

  it.runIf(has("postgres"))("a write cut mid-request: non-idempotent fails as 'may or may not have been applied', idempotent is retried and succeeds", async () => {
    const t = tier();
    const relay = await Relay.start({ host: t.postgres!.pgbouncer.host, port: t.postgres!.pgbouncer.port });
    const events: RetryEvent[] = [];
    const base = connection();
    const probe = new DatabaseManager(
      { postgres: { readWrite: { ...base.postgres!.readWrite, port: relay.port } } },
      { onRetry: (e) => events.push(e), retry: { budgetMs: 10_000 } },
    );
    const cut = async (afterMs: number, outageMs: number) => {
      await new Promise((r) => setTimeout(r, afterMs));
      await relay.down();
      await new Promise((r) => setTimeout(r, outageMs));
      await relay.up();
    };
    const insert = "insert into trading.users (email, full_name) select $1, 'cut' from pg_sleep(0.6) on conflict do nothing";
    try {
      await probe.initialize({ stores: ["postgres"], checkSchema: false });
      const once = `once-${run.toLowerCase()}@example.com`;
      const [err] = await Promise.all([probe.postgres.write(insert, [once], { idempotent: false, operation: "register user" }).catch((e: unknown) => e), cut(200, 300)]);
      expect(err).toBeInstanceOf(AmbiguousOperationError);
      expect(String(err)).toMatch(/postgres: register user may or may not have been applied/);
      const applied = (await m.postgres.readPrimary("select 1 from trading.users where lower(email) = $1", [once])).length;
      console.log(`[database-manager] non-idempotent write cut mid-request: AmbiguousOperationError, and the row ${applied ? "WAS" : "was not"} applied (why it must not be retried blindly)`);

      const idem = `idem-${run.toLowerCase()}@example.com`;
      await Promise.all([probe.postgres.write(insert, [idem], { idempotent: true, operation: "upsert user" }), cut(200, 500)]);
      expect((await m.postgres.readPrimary("select count(*)::int as n from trading.users where lower(email) = $1", [idem]))[0].n).toBe(1);
      expect(events.some((e) => e.operation === "upsert user" && e.failure === "ambiguous")).toBe(true);
      expect(events.some((e) => e.operation === "register user")).toBe(false);
      console.log(`[database-manager] idempotent write across the cut: ${events.map((e) => `attempt ${e.attempt} ${e.failure} (${e.error.slice(0, 50)}) +${e.delayMs} ms`).join("; ")}`);
    } finally {
      await probe.close();
      await relay.down();
    }
  });

  it.runIf(has("postgres"))("schema-version mismatch: a database holding only the first three migrations is refused, naming the store and both versions", async () => {
    const pg = tier().postgres!;
    const name = `dbm_old_${run.toLowerCase()}`;
    const admin = await connect(pg.connectionString);
    await admin.query(`create database ${name}`);
    await admin.end();
    try {
      const files = loadMigrationFiles(path.resolve(__dirname, "../../../schemas/postgres"));
      await applyMigrations({ connectionString: multiHostUrl(pg.members, pg.superuser, name), migrations: files.slice(0, 3), partitions: { monthsAhead: 1, retentionMonths: 12 }, allowDestructiveChanges: false });
      const leader = (await clusterState(pg.members)).members.find((x) => isLeader(x.role))!;
      const target = { host: pg.host, port: leader.port, database: name, user: pg.superuser.user, password: pg.superuser.password };
      const old = new DatabaseManager({ postgres: { readWrite: target } });
      const err = await failed(old.initialize({ stores: ["postgres"] }));
      const last = files.at(-1)!;
      expect(err).toBeInstanceOf(SchemaVersionError);
      expect(err.message).toContain(`postgres: expected ${String(last.version).padStart(4, "0")} (${last.file}), found 0003 (${files[2].file})`);
      expect(err.message).toMatch(/missing: 0004_/);
      // Refused means closed: nothing usable is left behind.
      expect(() => old.postgres).toThrow(/closed/);
    } finally {
      const c = await connect(pg.connectionString);
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }
  });

  it("bad configuration: a missing endpoint or a wrong password names the store, never the password", async () => {
    const base = connection();
    const missing = await failed(new DatabaseManager({ ...base, milvus: undefined }).initialize({ stores: ["milvus"] }));
    expect(missing.message).toMatch(/milvus: no endpoint configured/);
    if (!has("postgres", "redis")) return;
    const wrong = "Wr0ng-Pa55word-" + run;
    const bad = new DatabaseManager(
      {
        postgres: { readWrite: { ...base.postgres!.readWrite, password: wrong } },
        redis: { ...base.redis!, password: wrong },
      },
      { connectTimeoutMs: 5_000 },
    );
    const err = await failed(bad.initialize({ stores: ["postgres", "redis"] }));
    expect(err).toBeInstanceOf(InitializeError);
    expect(err.message).toMatch(/postgres: cannot connect to 127\.0\.0\.1:\d+\/trading as app: .*(password|authentication)/);
    expect(err.message).toMatch(/redis: cannot connect to sentinels .* as application: .*(WRONGPASS|no answer)/);
    expect(err.message).not.toContain(wrong);
    console.log(`[database-manager] wrong passwords: ${err.message.replace(/\n/g, " | ")}`);
  });

  it("close() drains in-flight work; a second close() is harmless; use after close is a clear error", async () => {
    const probe = new DatabaseManager(connection());
    const some = stores.filter((s) => s === "postgres" || s === "redis");
    await probe.initialize({ stores: some, checkSchema: false });
    const inFlight = some.includes("postgres") ? probe.postgres.read<{ ok: number }>("select 1 as ok from pg_sleep(0.3)") : Promise.resolve([{ ok: 1 }]);
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([probe.close(), probe.close()]);
    expect((await inFlight)[0].ok).toBe(1);
    await probe.close();
    if (some.length) expect(() => probe.postgres).toThrow(/DatabaseManager is closed/);
    await expect(probe.initialize()).rejects.toThrow(/already closed/);
  });
});
