import type { MilvusClient } from "@zilliz/milvus2-sdk-node";
import { openExecutor, type ClickHouseExecutor } from "../../infra/providers/clickhouse/executor";
import { redact } from "../../infra/providers/common";
import { topics as declaredTopics } from "../../schemas/kafka/topics";
import { modelCollections } from "../../schemas/milvus/collections";
import { loadFunctionLibraries } from "../../schemas/redis/libraries";
import { connectionProblems, DataTierConfigError, secretsOf, STORES, type DataTierConnection, type StoreName } from "./config";
import { lastPrices, notionalByAssetClass, valuePortfolio, type AssetClassNotional, type LastPrice, type PortfolioValuation } from "./cross-store";
import { InitializeError, messageOf, SchemaVersionError, StoreError } from "./errors";
import { KafkaStore } from "./kafka";
import { MilvusStore } from "./milvus";
import { PostgresStore } from "./postgres";
import { RedisStore } from "./redis";
import { defaultRetryPolicy, type RetryListener, type RetryPolicy } from "./retry";
import { clickhouseApplied, kafkaApplied, milvusApplied, postgresApplied, redisApplied } from "./schema-actual";
import { compareState, expected, type SchemaPolicy, type StoreSchemaState } from "./schema-expectations";

export interface ManagerOptions {
  /** Back-off for idempotent operations across a failover. Defaults to defaultRetryPolicy (60 s budget). */
  readonly retry?: Partial<RetryPolicy>;
  /** Called for every retry (store, operation, attempt, error, delay): log it or count it. */
  readonly onRetry?: RetryListener;
  /** How long initialize() waits for one store to connect, in ms. Defaults to 15000. */
  readonly connectTimeoutMs?: number;
  /** Deadline of each store's check in health(), in ms. Defaults to 800, so a dead store shows within a second. */
  readonly healthTimeoutMs?: number;
}

export interface InitializeOptions {
  /** The stores this service needs; only these are connected and checked. Defaults to all five. */
  readonly stores?: readonly StoreName[];
  /** Compare each store's applied schema with this build's schemas/. Defaults to true. */
  readonly checkSchema?: boolean;
  /** "exact" (default) or "at-least" (the store may have newer items, e.g. during a rolling upgrade). */
  readonly schemaPolicy?: SchemaPolicy;
  /** Override the expected state of a store (e.g. a service pinned to an older schema). */
  readonly expectedSchema?: Partial<Record<StoreName, StoreSchemaState>>;
}

export interface InitializeReport {
  readonly totalMs: number;
  readonly stores: Partial<Record<StoreName, { readonly connectMs: number; readonly schema?: { readonly expected: string; readonly actual: string } }>>;
}

export interface StoreHealth {
  readonly status: "up" | "down";
  readonly latencyMs: number;
  /** Why it is down (no passwords). */
  readonly error?: string;
}

export interface HealthReport {
  /** "up" when every initialised store is up. */
  readonly status: "up" | "degraded" | "down";
  readonly stores: Partial<Record<StoreName, StoreHealth>>;
  readonly totalMs: number;
}

function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Where a store lives, for error messages (never credentials). */
function whereOf(c: DataTierConnection, s: StoreName): string {
  switch (s) {
    case "postgres":
      return `${c.postgres?.readWrite.host}:${c.postgres?.readWrite.port}/${c.postgres?.readWrite.database} as ${c.postgres?.readWrite.user}`;
    case "redis":
      return c.redis?.sentinels?.length ? `sentinels ${c.redis.sentinels.map((x) => `${x.host}:${x.port}`).join(",")} (${c.redis.masterName}) as ${c.redis.username}` : `${c.redis?.host}:${c.redis?.port} as ${c.redis?.username}`;
    case "kafka":
      return `brokers ${c.kafka?.brokers.join(",")}`;
    case "clickhouse":
      return c.clickhouse?.kind === "http" ? `${c.clickhouse.url} as ${c.clickhouse.username}` : `chdb ${c.clickhouse?.dataDir}`;
    case "milvus":
      return `${c.milvus?.address}`;
  }
}

/**
 * One typed way into the data tier: pg pools (writes through PgBouncer's read-write pool, reads
 * through the read-only pool), ClickHouse (HTTP, or in-process chdb locally), Redis through Sentinel
 * plus a subscriber connection, a Kafka idempotent producer and admin, and a Milvus client.
 */
export class DatabaseManager {
  private readonly policy: RetryPolicy;
  private readonly secrets: string[];
  private pg?: PostgresStore;
  private rd?: RedisStore;
  private kf?: KafkaStore;
  private ch?: ClickHouseExecutor;
  private mv?: MilvusStore;
  private state: "new" | "initializing" | "ready" | "closed" = "new";
  private closing?: Promise<void>;

  constructor(
    readonly connection: DataTierConnection,
    private readonly options: ManagerOptions = {},
  ) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.secrets = secretsOf(connection);
  }

  private need<T>(store: StoreName, v: T | undefined): T {
    if (this.state === "closed") throw new Error(`DatabaseManager is closed; ${store} is no longer available`);
    if (v === undefined) throw new Error(`${store} was not initialised: pass it in initialize({ stores: [..., "${store}"] })`);
    return v;
  }

  get postgres(): PostgresStore {
    return this.need("postgres", this.pg);
  }
  get redis(): RedisStore {
    return this.need("redis", this.rd);
  }
  get kafka(): KafkaStore {
    return this.need("kafka", this.kf);
  }
  get clickhouse(): ClickHouseExecutor {
    return this.need("clickhouse", this.ch);
  }
  get milvus(): MilvusClient {
    return this.need("milvus", this.mv).client;
  }
  /** The stores initialize() connected. */
  get stores(): StoreName[] {
    const open: Record<StoreName, unknown> = { postgres: this.pg, redis: this.rd, kafka: this.kf, clickhouse: this.ch, milvus: this.mv };
    return STORES.filter((s) => open[s] !== undefined);
  }

  /**
   * Connects the chosen stores in parallel and checks each one's applied schema. On any failure it
   * closes whatever it opened and throws one error naming every failing store (DataTierConfigError,
   * InitializeError or SchemaVersionError). Call once.
   */
  async initialize(opts: InitializeOptions = {}): Promise<InitializeReport> {
    if (this.state !== "new") throw new Error(`DatabaseManager.initialize: already ${this.state === "closed" ? "closed" : "initialised"}; create a new manager`);
    const stores = [...(opts.stores ?? STORES)];
    const problems = connectionProblems(this.connection, stores);
    if (problems.length) throw new DataTierConfigError(problems.map((p) => redact(p, this.secrets)));
    this.state = "initializing";
    const t0 = performance.now();
    const report: Record<string, { connectMs: number; schema?: { expected: string; actual: string } }> = {};
    const failures: { store: StoreName; message: string }[] = [];
    const timeout = this.options.connectTimeoutMs ?? 15_000;
    await Promise.all(
      stores.map(async (s) => {
        const t = performance.now();
        try {
          await within(timeout, this.open(s), `${s}: connecting to ${whereOf(this.connection, s)}`);
          report[s] = { connectMs: performance.now() - t };
        } catch (e) {
          const last = s === "redis" && this.rd?.lastError ? ` (last error: ${this.rd.lastError})` : "";
          failures.push({ store: s, message: redact(`${s}: cannot connect to ${whereOf(this.connection, s)}: ${messageOf(e)}${last}`, this.secrets) });
        }
      }),
    );
    if (!failures.length && opts.checkSchema !== false) {
      const mismatches: { store: StoreName; expected: string; actual: string; detail?: string }[] = [];
      await Promise.all(
        stores.map(async (s) => {
          try {
            const want = opts.expectedSchema?.[s] ?? this.expectedState(s);
            const have = await within(timeout, this.appliedState(s), `${s}: reading the applied schema`);
            report[s].schema = { expected: want.version, actual: have.version };
            const detail = compareState(want, have, opts.schemaPolicy ?? "exact");
            if (detail !== undefined) mismatches.push({ store: s, expected: want.version, actual: have.version, detail });
          } catch (e) {
            failures.push({ store: s, message: redact(`${s}: cannot read the applied schema version: ${messageOf(e)}`, this.secrets) });
          }
        }),
      );
      if (mismatches.length && !failures.length) {
        await this.shutdown();
        throw new SchemaVersionError(mismatches.sort((a, b) => STORES.indexOf(a.store) - STORES.indexOf(b.store)));
      }
    }
    if (failures.length) {
      await this.shutdown();
      throw new InitializeError(failures.sort((a, b) => STORES.indexOf(a.store) - STORES.indexOf(b.store)));
    }
    this.state = "ready";
    return { totalMs: performance.now() - t0, stores: report };
  }

  private async open(s: StoreName): Promise<void> {
    const c = this.connection;
    switch (s) {
      case "postgres": {
        this.pg = new PostgresStore(c.postgres!, this.policy, this.options.onRetry);
        await this.pg.ping(this.options.connectTimeoutMs ?? 15_000);
        return;
      }
      case "redis": {
        this.rd = new RedisStore(c.redis!, this.policy, this.options.onRetry);
        await this.rd.connect();
        await this.rd.client.ping();
        return;
      }
      case "kafka": {
        this.kf = new KafkaStore(c.kafka!);
        await this.kf.connect();
        return;
      }
      case "clickhouse": {
        const ch = c.clickhouse!;
        this.ch = await openExecutor(ch.kind === "http" ? { kind: "http", url: ch.url, username: ch.username, password: ch.password, requestTimeoutMs: ch.requestTimeoutMs ?? 30_000 } : { kind: "chdb", dataDir: ch.dataDir });
        await this.ch.query("SELECT 1 AS ok");
        return;
      }
      case "milvus": {
        this.mv = new MilvusStore(c.milvus!);
        await this.mv.ping();
        return;
      }
    }
  }

  private expectedState(s: StoreName): StoreSchemaState {
    const ch = this.connection.clickhouse;
    return s === "clickhouse" ? expected.clickhouse(ch!.database, ch!.schema) : expected[s]();
  }

  private appliedState(s: StoreName): Promise<StoreSchemaState> {
    switch (s) {
      case "postgres":
        return postgresApplied(this.pg!.readPool);
      case "redis":
        return redisApplied(this.rd!.client, loadFunctionLibraries().map((l) => l.name));
      case "kafka":
        return kafkaApplied(this.kf!.admin, declaredTopics.map((t) => t.name));
      case "clickhouse":
        return clickhouseApplied(this.ch!, this.connection.clickhouse!.database, this.connection.clickhouse!.schema?.retention !== undefined);
      case "milvus":
        return milvusApplied(this.connection.milvus!, modelCollections.map((m) => m.name));
    }
  }

  /** Per-store status and round-trip latency; each check has healthTimeoutMs, so this returns within about a second. */
  async health(): Promise<HealthReport> {
    const t0 = performance.now();
    const ms = this.options.healthTimeoutMs ?? 800;
    const checks: Partial<Record<StoreName, () => Promise<unknown>>> = {
      postgres: this.pg && (() => this.pg!.ping(ms)),
      redis: this.rd && (() => this.rd!.ping()),
      kafka: this.kf && (() => this.kf!.ping()),
      clickhouse: this.ch && (() => this.ch!.query("SELECT 1 AS ok")),
      milvus: this.mv && (() => this.mv!.ping()),
    };
    const stores: Partial<Record<StoreName, StoreHealth>> = {};
    await Promise.all(
      STORES.filter((s) => checks[s]).map(async (s) => {
        const t = performance.now();
        try {
          if (this.state === "closed") throw new Error("manager is closed");
          await within(ms, checks[s]!(), `${s} health check`);
          stores[s] = { status: "up", latencyMs: performance.now() - t };
        } catch (e) {
          stores[s] = { status: "down", latencyMs: performance.now() - t, error: redact(messageOf(e), this.secrets) };
        }
      }),
    );
    const states = Object.values(stores).map((h) => h.status);
    const status = states.every((x) => x === "up") ? "up" : states.every((x) => x === "down") ? "down" : "degraded";
    return { status, stores, totalMs: performance.now() - t0 };
  }

  /**
   * Drains and closes everything: pg pools wait for checked-out connections, Redis QUITs after
   * pending replies, Kafka disconnects after in-flight sends. A second call returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.state = "closed";
    await Promise.allSettled([this.pg?.close(), this.rd?.close(), this.kf?.close(), this.ch?.close(), this.mv?.close()]);
  }

  /** Last price per symbol: Redis cache, falling back to ClickHouse ticks for the misses. */
  lastPrices(symbols: readonly string[]): Promise<Map<string, LastPrice>> {
    if (!this.rd && !this.ch) throw new StoreError("redis", "lastPrices needs redis or clickhouse initialised");
    return lastPrices(symbols, this.rd, this.ch, this.connection.clickhouse?.database ?? "market");
  }

  /**
   * Portfolio valuation = holdings (Postgres) × last prices (Redis, falling back to ClickHouse).
   * Reads holdings from a replica unless consistency is "primary" (after a trade, read your write).
   */
  portfolioValuation(portfolioId: number | string, opts: { consistency?: "replica" | "primary" } = {}): Promise<PortfolioValuation> {
    return valuePortfolio(portfolioId, this.postgres, (s) => this.lastPrices(s), opts.consistency ?? "replica");
  }

  /** Traded notional per asset class in [since, until): ClickHouse trades × Postgres instruments, joined in ClickHouse. */
  async notionalByAssetClass(since: Date, until: Date = new Date()): Promise<AssetClassNotional[]> {
    const reader = this.connection.clickhousePostgresReader;
    if (!reader) throw new DataTierConfigError(["clickhousePostgresReader: is required for cross-store queries (a read-only Postgres login ClickHouse can reach)"]);
    try {
      return await notionalByAssetClass(this.clickhouse, this.connection.clickhouse!.database, reader, since, until);
    } catch (e) {
      throw new StoreError("clickhouse", `notionalByAssetClass: ${messageOf(e)}`, this.secrets);
    }
  }
}
