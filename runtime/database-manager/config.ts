import type { RetentionDays } from "./schema-expectations";

/** The five stores of the data tier, in the order initialize() and health() report them. */
export const STORES = ["postgres", "redis", "kafka", "clickhouse", "milvus"] as const;
export type StoreName = (typeof STORES)[number];

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One PostgreSQL endpoint as node-postgres wants it. */
export interface PgTarget extends HostPort {
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** TLS toward PgBouncer (from the URL's sslmode): omitted means plain TCP. */
  readonly ssl?: { readonly rejectUnauthorized: boolean; readonly ca?: string };
}

export interface PostgresConnection {
  /** PgBouncer's read-write pool (it follows the primary). Writes and read-your-writes reads go here. */
  readonly readWrite: PgTarget;
  /** PgBouncer's read-only pool or the replicas Service. Defaults to readWrite (no replica to offload to). */
  readonly readOnly?: PgTarget;
  /** Connections per pool. Defaults to 10. */
  readonly poolSize?: number;
  /** A query without an answer after this many ms fails on the client (and counts as ambiguous). Defaults to 30000. */
  readonly queryTimeoutMs?: number;
  /** TCP connect timeout in ms. Defaults to 3000. */
  readonly connectTimeoutMs?: number;
}

export interface RedisConnection {
  /** Sentinels (the normal case); the manager asks them for the primary and follows failovers. */
  readonly sentinels?: readonly HostPort[];
  /** Sentinel master set name. Required with sentinels. */
  readonly masterName?: string;
  /** One address instead of Sentinels (tools, tests). */
  readonly host?: string;
  readonly port?: number;
  readonly username: string;
  readonly password: string;
  /** A command without a reply after this many ms fails (and counts as ambiguous). Defaults to 3000. */
  readonly commandTimeoutMs?: number;
}

export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** Defaults to "data-platform-service". */
  readonly clientId?: string;
  /** TLS to the brokers; ca in PEM when not publicly trusted. */
  readonly tls?: { readonly ca?: string };
  /** SCRAM-SHA-512 credentials of the service's KafkaUser. */
  readonly sasl?: { readonly username: string; readonly password: string };
}

/** How the local tier (chdb) or a production stack (HTTP) renders its ClickHouse schema: for the version check. */
export interface ClickHouseSchemaTarget {
  readonly mode: "single-node" | "clustered";
  readonly cluster: string;
  /** Needed to compute the exact expected checksums (TTL is part of the DDL); without it only object names are compared. */
  readonly retention?: RetentionDays;
  /** Kafka ingestion as the stack renders it (brokers, group prefix, topics), when the stack enables it. */
  readonly kafka?: { readonly brokers: string; readonly groupPrefix?: string; readonly ticksTopic?: string; readonly tradesTopic?: string };
}

export type ClickHouseConnection =
  | {
      readonly kind: "http";
      /** e.g. http://clickhouse-clickhouse.data-prod.svc.cluster.local:8123 */
      readonly url: string;
      readonly username: string;
      readonly password: string;
      readonly database: string;
      readonly schema?: ClickHouseSchemaTarget;
      /** Per-request timeout in ms. Defaults to 30000. */
      readonly requestTimeoutMs?: number;
    }
  | {
      readonly kind: "chdb";
      /** The in-process engine's data directory (one per process: local tier and tests only). */
      readonly dataDir: string;
      readonly database: string;
      readonly schema?: ClickHouseSchemaTarget;
    };

export interface MilvusConnection {
  /** host:port of the gRPC proxy. */
  readonly address: string;
  /** `user:password` when authentication is on. */
  readonly token?: string;
  /** Per-call timeout in ms. Defaults to 10000. */
  readonly timeoutMs?: number;
}

/**
 * The read-only Postgres login ClickHouse uses in the postgresql() table function. Production should
 * prefer a server-side named collection (credentials stay in the server config, out of SQL text).
 */
export type ClickHousePostgresReader =
  | { readonly namedCollection: string; readonly schema?: string }
  | {
      /** host:port as ClickHouse sees them; several are tried in order (ClickHouse's `a|b` syntax). */
      readonly addresses: readonly string[];
      readonly database: string;
      readonly user: string;
      readonly password: string;
      /** Postgres schema of the reference tables. Defaults to "trading". */
      readonly schema?: string;
    };

/**
 * Everything the DatabaseManager needs to reach the data tier. Plain JSON; build it with fromEnv(),
 * fromLocalEndpoints() or fromStackOutputs(), or by hand. A store left out cannot be initialised.
 */
export interface DataTierConnection {
  readonly environment?: string;
  readonly postgres?: PostgresConnection;
  readonly redis?: RedisConnection;
  readonly kafka?: KafkaConnection;
  readonly clickhouse?: ClickHouseConnection;
  readonly milvus?: MilvusConnection;
  /** How ClickHouse reaches Postgres reference data (cross-store queries). Optional. */
  readonly clickhousePostgresReader?: ClickHousePostgresReader;
}

/** Bad configuration: names the store and key, never a password. Nothing was connected. */
export class DataTierConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`DatabaseManager: invalid data-tier configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "DataTierConfigError";
  }
}

const isPort = (p: unknown) => typeof p === "number" && Number.isInteger(p) && p > 0 && p < 65536;
const nonEmpty = (s: unknown) => typeof s === "string" && s.length > 0;

function pgTargetProblems(where: string, t: PgTarget | undefined): string[] {
  if (!t || typeof t !== "object") return [`${where}: is required (host, port, database, user, password)`];
  const out: string[] = [];
  if (!nonEmpty(t.host)) out.push(`${where}.host: is required`);
  if (!isPort(t.port)) out.push(`${where}.port: must be a TCP port 1-65535, got ${JSON.stringify(t.port)}`);
  if (!nonEmpty(t.database)) out.push(`${where}.database: is required`);
  if (!nonEmpty(t.user)) out.push(`${where}.user: is required`);
  if (!nonEmpty(t.password)) out.push(`${where}.password: is required (not set)`);
  return out;
}

/** Every problem with the configuration of the given stores; empty when they can be connected. Pure. */
export function connectionProblems(c: DataTierConnection, stores: readonly StoreName[]): string[] {
  const out: string[] = [];
  for (const s of stores) {
    if (!(STORES as readonly string[]).includes(s)) {
      out.push(`stores: unknown store ${JSON.stringify(s)}; allowed: ${STORES.join(", ")}`);
      continue;
    }
    if (!c[s]) {
      out.push(`${s}: no endpoint configured (set it in the connection, e.g. from fromEnv(), fromLocalEndpoints() or fromStackOutputs())`);
      continue;
    }
  }
  if (stores.includes("postgres") && c.postgres) {
    out.push(...pgTargetProblems("postgres.readWrite", c.postgres.readWrite));
    if (c.postgres.readOnly) out.push(...pgTargetProblems("postgres.readOnly", c.postgres.readOnly));
    if (c.postgres.poolSize !== undefined && !(Number.isInteger(c.postgres.poolSize) && c.postgres.poolSize >= 1)) {
      out.push(`postgres.poolSize: must be an integer >= 1, got ${JSON.stringify(c.postgres.poolSize)}`);
    }
  }
  if (stores.includes("redis") && c.redis) {
    const r = c.redis;
    const viaSentinel = Array.isArray(r.sentinels) && r.sentinels.length > 0;
    if (viaSentinel) {
      if (!nonEmpty(r.masterName)) out.push("redis.masterName: is required with sentinels");
      r.sentinels!.forEach((s, i) => {
        if (!nonEmpty(s.host) || !isPort(s.port)) out.push(`redis.sentinels[${i}]: must be {host, port}, got ${JSON.stringify({ host: s.host, port: s.port })}`);
      });
    } else if (!nonEmpty(r.host) || !isPort(r.port)) {
      out.push("redis: needs sentinels + masterName, or host + port");
    }
    if (!nonEmpty(r.username)) out.push("redis.username: is required (an ACL user)");
    if (!nonEmpty(r.password)) out.push("redis.password: is required (not set)");
  }
  if (stores.includes("kafka") && c.kafka) {
    const k = c.kafka;
    if (!Array.isArray(k.brokers) || k.brokers.length === 0) out.push("kafka.brokers: at least one host:port is required");
    else k.brokers.forEach((b, i) => !/^[^:\s]+:\d+$/.test(b) && out.push(`kafka.brokers[${i}]: must be host:port, got ${JSON.stringify(b)}`));
    if (k.sasl && (!nonEmpty(k.sasl.username) || !nonEmpty(k.sasl.password))) out.push("kafka.sasl: username and password are both required");
  }
  if (stores.includes("clickhouse") && c.clickhouse) {
    const ch = c.clickhouse;
    if (ch.kind === "http") {
      if (!/^https?:\/\/[^\s]+$/.test(ch.url ?? "")) out.push(`clickhouse.url: must be http(s)://host:port, got ${JSON.stringify(ch.url)}`);
      if (!nonEmpty(ch.username)) out.push("clickhouse.username: is required");
      if (!nonEmpty(ch.password)) out.push("clickhouse.password: is required (not set)");
    } else if (ch.kind === "chdb") {
      if (!nonEmpty(ch.dataDir)) out.push("clickhouse.dataDir: is required for the chdb engine");
    } else {
      out.push(`clickhouse.kind: must be "http" or "chdb", got ${JSON.stringify((ch as { kind?: unknown }).kind)}`);
    }
    if (!nonEmpty(ch.database)) out.push("clickhouse.database: is required");
  }
  if (stores.includes("milvus") && c.milvus) {
    if (!/^[^:\s]+:\d+$/.test(c.milvus.address ?? "")) out.push(`milvus.address: must be host:port, got ${JSON.stringify(c.milvus.address)}`);
  }
  const r = c.clickhousePostgresReader;
  if (r && !("namedCollection" in r)) {
    if (!Array.isArray(r.addresses) || r.addresses.length === 0 || r.addresses.some((a) => !/^[^:\s|]+:\d+$/.test(a))) {
      out.push(`clickhousePostgresReader.addresses: must be a non-empty list of host:port, got ${JSON.stringify(r.addresses)}`);
    }
    if (!nonEmpty(r.database) || !nonEmpty(r.user)) out.push("clickhousePostgresReader: database and user are required");
    if (!nonEmpty(r.password)) out.push("clickhousePostgresReader.password: is required (not set)");
  }
  return out;
}

/** Every password in the configuration, so errors can be scrubbed of them. */
export function secretsOf(c: DataTierConnection): string[] {
  return [
    c.postgres?.readWrite?.password,
    c.postgres?.readOnly?.password,
    c.redis?.password,
    c.kafka?.sasl?.password,
    c.clickhouse?.kind === "http" ? c.clickhouse.password : undefined,
    c.milvus?.token,
    c.clickhousePostgresReader && "password" in c.clickhousePostgresReader ? c.clickhousePostgresReader.password : undefined,
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
}
