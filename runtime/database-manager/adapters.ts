import * as fs from "node:fs";
import { parseConnectionString, sslOption } from "../../infra/postgres/client/connect";
import { DEFAULT_DATABASE } from "../../schemas/clickhouse/render";
import { DataTierConfigError, type DataTierConnection, type HostPort, type PgTarget } from "./config";

/**
 * Three ways to build a DataTierConnection: environment variables (a service in a pod), the local
 * tier's endpoints JSON (tests, `npm start`), and `pulumi stack output --json --show-secrets` plus the
 * credentials a service is given (stack outputs carry addresses; passwords live in Kubernetes Secrets).
 */

function hostPort(s: string, where: string, problems: string[]): HostPort | undefined {
  const m = /^\s*([^:\s,]+):(\d+)\s*$/.exec(s);
  if (!m) {
    problems.push(`${where}: expected host:port, got ${JSON.stringify(s)}`);
    return undefined;
  }
  return { host: m[1], port: Number(m[2]) };
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(",").map((x) => x.trim()).filter(Boolean) : [];

function pgFromUrl(url: string, where: string, problems: string[]): PgTarget | undefined {
  try {
    const p = parseConnectionString(url);
    if (p.hosts.length !== 1) problems.push(`${where}: one host expected (the PgBouncer Service), got ${p.hosts.length}`);
    const ssl = sslOption(p.sslmode);
    return { host: p.hosts[0].host, port: p.hosts[0].port, database: p.database, user: p.user, password: p.password, ...(ssl ? { ssl } : {}) };
  } catch (e) {
    // The parser's message never echoes the URL (it holds the password).
    problems.push(`${where}: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Environment variables (unset ones leave their store out):
 * - DATA_TIER_PG_URL, DATA_TIER_PG_RO_URL: postgresql://user:password@pgbouncer:6432/trading (and …/trading_ro)
 * - DATA_TIER_REDIS_SENTINELS (host:port,…), DATA_TIER_REDIS_MASTER, or DATA_TIER_REDIS_ADDR (host:port);
 *   DATA_TIER_REDIS_USER, DATA_TIER_REDIS_PASSWORD
 * - DATA_TIER_KAFKA_BROKERS (host:port,…), DATA_TIER_KAFKA_USER, DATA_TIER_KAFKA_PASSWORD, DATA_TIER_KAFKA_CA_FILE
 *   (PEM; setting it turns TLS on), DATA_TIER_KAFKA_TLS=1 (TLS with public CAs)
 * - DATA_TIER_CLICKHOUSE_URL (http://host:8123), DATA_TIER_CLICKHOUSE_USER, DATA_TIER_CLICKHOUSE_PASSWORD,
 *   or DATA_TIER_CLICKHOUSE_CHDB_DIR (local only); DATA_TIER_CLICKHOUSE_DATABASE (default market)
 * - DATA_TIER_MILVUS_ADDRESS (host:port), DATA_TIER_MILVUS_TOKEN (user:password)
 */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): DataTierConnection {
  const problems: string[] = [];
  const out: { -readonly [K in keyof DataTierConnection]: DataTierConnection[K] } = {};
  if (env.DATA_TIER_PG_URL) {
    const rw = pgFromUrl(env.DATA_TIER_PG_URL, "postgres (DATA_TIER_PG_URL)", problems);
    const ro = env.DATA_TIER_PG_RO_URL ? pgFromUrl(env.DATA_TIER_PG_RO_URL, "postgres (DATA_TIER_PG_RO_URL)", problems) : undefined;
    if (rw) out.postgres = { readWrite: rw, readOnly: ro };
  } else if (env.DATA_TIER_PG_RO_URL) {
    problems.push("postgres: DATA_TIER_PG_RO_URL is set but DATA_TIER_PG_URL (the read-write pool) is not");
  }
  if (env.DATA_TIER_REDIS_SENTINELS || env.DATA_TIER_REDIS_ADDR) {
    const auth = { username: env.DATA_TIER_REDIS_USER ?? "", password: env.DATA_TIER_REDIS_PASSWORD ?? "" };
    if (env.DATA_TIER_REDIS_SENTINELS) {
      const sentinels = list(env.DATA_TIER_REDIS_SENTINELS).flatMap((s) => hostPort(s, "redis (DATA_TIER_REDIS_SENTINELS)", problems) ?? []);
      out.redis = { sentinels, masterName: env.DATA_TIER_REDIS_MASTER ?? "", ...auth };
    } else {
      const a = hostPort(env.DATA_TIER_REDIS_ADDR!, "redis (DATA_TIER_REDIS_ADDR)", problems);
      if (a) out.redis = { ...a, ...auth };
    }
  }
  if (env.DATA_TIER_KAFKA_BROKERS) {
    const ca = env.DATA_TIER_KAFKA_CA_FILE ? readCa(env.DATA_TIER_KAFKA_CA_FILE, problems) : undefined;
    const tls = env.DATA_TIER_KAFKA_CA_FILE || env.DATA_TIER_KAFKA_TLS === "1" ? { ca } : undefined;
    const sasl = env.DATA_TIER_KAFKA_USER ? { username: env.DATA_TIER_KAFKA_USER, password: env.DATA_TIER_KAFKA_PASSWORD ?? "" } : undefined;
    out.kafka = { brokers: list(env.DATA_TIER_KAFKA_BROKERS), tls, sasl };
  }
  const chDatabase = env.DATA_TIER_CLICKHOUSE_DATABASE ?? DEFAULT_DATABASE;
  if (env.DATA_TIER_CLICKHOUSE_URL) {
    out.clickhouse = { kind: "http", url: env.DATA_TIER_CLICKHOUSE_URL, username: env.DATA_TIER_CLICKHOUSE_USER ?? "", password: env.DATA_TIER_CLICKHOUSE_PASSWORD ?? "", database: chDatabase };
  } else if (env.DATA_TIER_CLICKHOUSE_CHDB_DIR) {
    out.clickhouse = { kind: "chdb", dataDir: env.DATA_TIER_CLICKHOUSE_CHDB_DIR, database: chDatabase };
  }
  if (env.DATA_TIER_MILVUS_ADDRESS) out.milvus = { address: env.DATA_TIER_MILVUS_ADDRESS, token: env.DATA_TIER_MILVUS_TOKEN };
  if (problems.length) throw new DataTierConfigError(problems);
  return out;
}

function readCa(file: string, problems: string[]): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    problems.push(`kafka (DATA_TIER_KAFKA_CA_FILE): cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
}

/** The parts of the local tier's endpoints JSON (local/services/*.ts) the manager reads. Extra fields are ignored. */
export interface LocalTierEndpointsLike {
  postgres?: {
    app: { user: string; password: string };
    pgbouncer: { host: string; port: number; readWriteDatabase: string; readOnlyDatabase: string };
  };
  redis?: { masterName: string; sentinels: HostPort[]; application: { username: string; password: string } };
  kafka?: { brokers: string[] };
  clickhouse?: { dataDir: string; database: string; mode: "single-node"; cluster: string; retention: { ticksDays: number; tradesDays: number; quotesDays: number } };
  milvus?: { address: string };
}

/** From the local tier (inject("localTier") in tests, or the run directory's endpoints.json). */
export function fromLocalEndpoints(ep: LocalTierEndpointsLike): DataTierConnection {
  const pg = ep.postgres;
  const pool = (database: string): PgTarget | undefined => pg && { host: pg.pgbouncer.host, port: pg.pgbouncer.port, database, user: pg.app.user, password: pg.app.password };
  return {
    environment: "local",
    postgres: pg && { readWrite: pool(pg.pgbouncer.readWriteDatabase)!, readOnly: pool(pg.pgbouncer.readOnlyDatabase) },
    redis: ep.redis && { sentinels: ep.redis.sentinels, masterName: ep.redis.masterName, username: ep.redis.application.username, password: ep.redis.application.password },
    kafka: ep.kafka && { brokers: ep.kafka.brokers },
    clickhouse: ep.clickhouse && {
      kind: "chdb",
      dataDir: ep.clickhouse.dataDir,
      database: ep.clickhouse.database,
      schema: { mode: ep.clickhouse.mode, cluster: ep.clickhouse.cluster, retention: ep.clickhouse.retention },
    },
    milvus: ep.milvus && { address: ep.milvus.address },
  };
}

/** Credentials a service is given beside the stack outputs (mounted from the Kubernetes Secrets). */
export interface DataTierSecrets {
  postgres?: { user?: string; password: string };
  redis?: { username?: string; password: string };
  kafka?: { username: string; password: string; ca?: string };
  clickhouse?: { username?: string; password: string };
  milvus?: { token: string };
  /** For the local stack, whose ClickHouse is in-process: the chdb data directory. */
  chdbDataDir?: string;
}

/** Credentials from the same variables fromEnv() reads. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): DataTierSecrets {
  const pick = <T>(cond: unknown, v: T) => (cond ? v : undefined);
  return {
    postgres: pick(env.DATA_TIER_PG_PASSWORD, { user: env.DATA_TIER_PG_USER, password: env.DATA_TIER_PG_PASSWORD ?? "" }),
    redis: pick(env.DATA_TIER_REDIS_PASSWORD, { username: env.DATA_TIER_REDIS_USER, password: env.DATA_TIER_REDIS_PASSWORD ?? "" }),
    kafka: pick(env.DATA_TIER_KAFKA_USER, { username: env.DATA_TIER_KAFKA_USER ?? "", password: env.DATA_TIER_KAFKA_PASSWORD ?? "" }),
    clickhouse: pick(env.DATA_TIER_CLICKHOUSE_PASSWORD, { username: env.DATA_TIER_CLICKHOUSE_USER, password: env.DATA_TIER_CLICKHOUSE_PASSWORD ?? "" }),
    milvus: pick(env.DATA_TIER_MILVUS_TOKEN, { token: env.DATA_TIER_MILVUS_TOKEN ?? "" }),
    chdbDataDir: env.DATA_TIER_CLICKHOUSE_CHDB_DIR,
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * From `pulumi stack output --json --show-secrets` (stacks/data-tier.ts DataTierOutputs) and the
 * credentials. Tolerant on purpose, since the outputs are still settling: unknown keys are ignored,
 * a store missing from the outputs is left out (initialize() then names it), lists may be arrays or
 * comma-separated strings, and a `connectionStrings` object (Postgres pooler URLs) wins over
 * pooler + secrets. A value printed as "[secret]" (outputs read without --show-secrets) is an error.
 *
 * Read: postgres.{pooler, database, connectionStrings.{pooler, poolerReadOnly}}; redis.{sentinels,
 * masterName, applicationUser}; kafka.{bootstrapServers | brokers}; clickhouse.{http, database,
 * cluster}; milvus.{address}.
 */
export function fromStackOutputs(outputs: unknown, secrets: DataTierSecrets = secretsFromEnv()): DataTierConnection {
  const root = obj(outputs);
  if (!root) throw new DataTierConfigError(["stack outputs: expected the JSON object printed by `pulumi stack output --json --show-secrets`"]);
  const problems: string[] = [];
  const hidden = (store: string, v: unknown) => v === "[secret]" && problems.push(`${store}: the stack outputs hold "[secret]": run \`pulumi stack output --json --show-secrets\``);
  const out: { -readonly [K in keyof DataTierConnection]: DataTierConnection[K] } = { environment: str(root.environment) };

  const pg = obj(root.postgres);
  if (pg) {
    const cs = obj(pg.connectionStrings);
    hidden("postgres", pg.connectionStrings);
    const database = str(pg.database) ?? "trading";
    if (cs && str(cs.pooler)) {
      const rw = pgFromUrl(String(cs.pooler), "postgres (connectionStrings.pooler)", problems);
      const ro = str(cs.poolerReadOnly) ? pgFromUrl(String(cs.poolerReadOnly), "postgres (connectionStrings.poolerReadOnly)", problems) : undefined;
      if (rw) out.postgres = { readWrite: rw, readOnly: ro };
    } else if (str(pg.pooler)) {
      const hp = hostPort(String(pg.pooler), "postgres.pooler", problems);
      const user = secrets.postgres?.user ?? "app";
      const password = secrets.postgres?.password ?? "";
      if (hp) out.postgres = { readWrite: { ...hp, database, user, password }, readOnly: { ...hp, database: `${database}_ro`, user, password } };
    } else {
      problems.push("postgres: the outputs have neither pooler nor connectionStrings.pooler");
    }
  }

  const rd = obj(root.redis);
  if (rd) {
    const sentinels = list(rd.sentinels).flatMap((s) => hostPort(s, "redis.sentinels", problems) ?? []);
    out.redis = {
      sentinels,
      masterName: str(rd.masterName) ?? "",
      username: secrets.redis?.username ?? str(rd.applicationUser) ?? "application",
      password: secrets.redis?.password ?? "",
    };
  }

  const kf = obj(root.kafka);
  if (kf) {
    const brokers = list(kf.brokers ?? kf.bootstrapServers);
    // Strimzi's TLS listener: the outputs name the cluster CA Secret when clients must use TLS.
    const tls = str(kf.caSecret) || secrets.kafka?.ca ? { ca: secrets.kafka?.ca } : undefined;
    out.kafka = { brokers, tls, sasl: secrets.kafka ? { username: secrets.kafka.username, password: secrets.kafka.password } : undefined };
  }

  const ch = obj(root.clickhouse);
  if (ch) {
    const database = str(ch.database) ?? DEFAULT_DATABASE;
    const cluster = str(ch.cluster) ?? "trading";
    const http = str(ch.http);
    if (http && /^https?:\/\//.test(http)) {
      out.clickhouse = { kind: "http", url: http, username: secrets.clickhouse?.username ?? "app", password: secrets.clickhouse?.password ?? "", database, schema: { mode: "clustered", cluster } };
    } else if (secrets.chdbDataDir) {
      out.clickhouse = { kind: "chdb", dataDir: secrets.chdbDataDir, database, schema: { mode: "single-node", cluster } };
    } else {
      problems.push(`clickhouse: the outputs give no HTTP URL (got ${JSON.stringify(http ?? null)}); on the local stack pass chdbDataDir (DATA_TIER_CLICKHOUSE_CHDB_DIR)`);
    }
  }

  const mv = obj(root.milvus);
  if (mv && str(mv.address)) out.milvus = { address: String(mv.address), token: secrets.milvus?.token };

  if (problems.length) throw new DataTierConfigError(problems);
  return out;
}
