import { describe, expect, it } from "vitest";
import { connectionProblems, DataTierConfigError, fromEnv, fromLocalEndpoints, fromStackOutputs, STORES } from "../../../runtime/database-manager";

const PW = "s3cret-Pa55word";

const local = {
  postgres: { app: { user: "app", password: PW }, pgbouncer: { host: "127.0.0.1", port: 6432, readWriteDatabase: "trading", readOnlyDatabase: "trading_ro" } },
  redis: { masterName: "trading", sentinels: [{ host: "127.0.0.1", port: 26379 }], application: { username: "application", password: PW } },
  kafka: { brokers: ["127.0.0.1:9092", "127.0.0.1:9093"] },
  clickhouse: { dataDir: "/tmp/ch", database: "market", mode: "single-node" as const, cluster: "trading", retention: { ticksDays: 30, tradesDays: 90, quotesDays: 14 } },
  milvus: { address: "127.0.0.1:19530" },
};

describe("fromLocalEndpoints", () => {
  it("routes writes to PgBouncer's read-write pool and reads to its read-only pool, as the app user", () => {
    const c = fromLocalEndpoints(local);
    expect(c.postgres?.readWrite).toMatchObject({ port: 6432, database: "trading", user: "app" });
    expect(c.postgres?.readOnly).toMatchObject({ port: 6432, database: "trading_ro", user: "app" });
    expect(c.redis).toMatchObject({ masterName: "trading", username: "application", sentinels: [{ port: 26379 }] });
    expect(c.clickhouse).toMatchObject({ kind: "chdb", dataDir: "/tmp/ch", schema: { mode: "single-node", retention: { ticksDays: 30 } } });
    expect(connectionProblems(c, STORES)).toEqual([]);
  });

  it("leaves out stores the tier did not start, and initialize-time validation names them", () => {
    const c = fromLocalEndpoints({ postgres: local.postgres });
    expect(c.redis).toBeUndefined();
    expect(connectionProblems(c, ["postgres", "redis"])).toEqual([expect.stringMatching(/^redis: no endpoint configured/)]);
  });
});

describe("fromEnv", () => {
  it("reads every store from DATA_TIER_* variables", () => {
    const c = fromEnv({
      DATA_TIER_PG_URL: `postgresql://app:${PW}@pgbouncer:6432/trading`,
      DATA_TIER_PG_RO_URL: `postgresql://app:${PW}@pgbouncer:6432/trading_ro`,
      DATA_TIER_REDIS_SENTINELS: "s1:26379, s2:26379",
      DATA_TIER_REDIS_MASTER: "trading",
      DATA_TIER_REDIS_USER: "application",
      DATA_TIER_REDIS_PASSWORD: PW,
      DATA_TIER_KAFKA_BROKERS: "k1:9093,k2:9093",
      DATA_TIER_KAFKA_TLS: "1",
      DATA_TIER_KAFKA_USER: "orders",
      DATA_TIER_KAFKA_PASSWORD: PW,
      DATA_TIER_CLICKHOUSE_URL: "http://ch:8123",
      DATA_TIER_CLICKHOUSE_USER: "app",
      DATA_TIER_CLICKHOUSE_PASSWORD: PW,
      DATA_TIER_MILVUS_ADDRESS: "milvus:19530",
    });
    expect(c.postgres?.readWrite).toEqual({ host: "pgbouncer", port: 6432, database: "trading", user: "app", password: PW });
    expect(c.postgres?.readOnly?.database).toBe("trading_ro");
    expect(c.redis?.sentinels).toEqual([{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }]);
    expect(c.kafka).toMatchObject({ brokers: ["k1:9093", "k2:9093"], tls: {}, sasl: { username: "orders" } });
    expect(c.clickhouse).toMatchObject({ kind: "http", url: "http://ch:8123", database: "market" });
    expect(connectionProblems(c, STORES)).toEqual([]);
  });

  it("an unset store is absent; a malformed variable is named without echoing the password", () => {
    expect(fromEnv({})).toEqual({});
    const err = (() => {
      try {
        fromEnv({ DATA_TIER_PG_URL: `mysql://app:${PW}@h/db`, DATA_TIER_REDIS_ADDR: "nohostport" });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DataTierConfigError);
    expect(err?.message).toMatch(/postgres \(DATA_TIER_PG_URL\)/);
    expect(err?.message).toMatch(/redis \(DATA_TIER_REDIS_ADDR\): expected host:port/);
    expect(err?.message).not.toContain(PW);
  });
});

describe("fromStackOutputs", () => {
  const outputs = {
    environment: "prod",
    namespace: "data-prod",
    postgres: { primary: "pg-primary.data-prod.svc.cluster.local:5432", replicas: "pg-replica:5432", pooler: "postgres-pgbouncer.data-prod.svc.cluster.local:6432", database: "trading" },
    redis: { sentinels: "redis-sentinel.data-prod.svc.cluster.local:26379", masterName: "trading", authSecret: "redis-auth", applicationUser: "application" },
    kafka: { bootstrapServers: "kafka-kafka-bootstrap.data-prod.svc.cluster.local:9093", caSecret: "kafka-cluster-ca-cert", userSecrets: {} },
    clickhouse: { http: "http://clickhouse-clickhouse.data-prod.svc.cluster.local:8123", cluster: "trading", database: "market", usersSecret: "clickhouse-users" },
    milvus: { address: "milvus-milvus.data-prod.svc.cluster.local:19530" },
    somethingNew: { ignored: true },
  };

  it("takes addresses from the outputs and credentials from the secrets; unknown keys are ignored", () => {
    const c = fromStackOutputs(outputs, {
      postgres: { password: PW },
      redis: { password: PW },
      kafka: { username: "orders", password: PW, ca: "PEM" },
      clickhouse: { password: PW },
    });
    expect(c.environment).toBe("prod");
    expect(c.postgres?.readWrite).toEqual({ host: "postgres-pgbouncer.data-prod.svc.cluster.local", port: 6432, database: "trading", user: "app", password: PW });
    expect(c.postgres?.readOnly?.database).toBe("trading_ro");
    expect(c.redis).toMatchObject({ sentinels: [{ port: 26379 }], masterName: "trading", username: "application", password: PW });
    expect(c.kafka).toMatchObject({ brokers: ["kafka-kafka-bootstrap.data-prod.svc.cluster.local:9093"], tls: { ca: "PEM" }, sasl: { username: "orders" } });
    expect(c.clickhouse).toMatchObject({ kind: "http", database: "market", schema: { mode: "clustered", cluster: "trading" } });
    expect(c.milvus?.address).toMatch(/:19530$/);
    expect(connectionProblems(c, STORES)).toEqual([]);
  });

  it("prefers Postgres connection strings when the outputs carry them", () => {
    const c = fromStackOutputs(
      { postgres: { connectionStrings: { pooler: `postgresql://app:${PW}@pgb:6432/trading`, poolerReadOnly: `postgresql://app:${PW}@pgb:6432/trading_ro` } } },
      {},
    );
    expect(c.postgres?.readOnly).toMatchObject({ host: "pgb", database: "trading_ro", password: PW });
  });

  it("without credentials the store is configured but invalid, and the problem names store and key", () => {
    const c = fromStackOutputs(outputs, {});
    expect(connectionProblems(c, ["postgres", "redis", "clickhouse"])).toEqual([
      "postgres.readWrite.password: is required (not set)",
      "postgres.readOnly.password: is required (not set)",
      "redis.password: is required (not set)",
      "clickhouse.password: is required (not set)",
    ]);
  });

  it("refuses outputs read without --show-secrets, and the local stack's chdb placeholder without a data dir", () => {
    expect(() => fromStackOutputs({ postgres: { connectionStrings: "[secret]", pooler: "p:6432" } }, { postgres: { password: PW } })).toThrow(/postgres: the stack outputs hold "\[secret\]"/);
    expect(() => fromStackOutputs({ clickhouse: { http: "chdb (in-process, see the local tier's endpoints)" } }, {})).toThrow(/clickhouse: the outputs give no HTTP URL.*chdbDataDir/);
    expect(fromStackOutputs({ clickhouse: { http: "chdb (in-process)", database: "market" } }, { chdbDataDir: "/d" }).clickhouse).toMatchObject({ kind: "chdb", dataDir: "/d" });
    expect(() => fromStackOutputs("nope")).toThrow(/stack outputs: expected the JSON object/);
  });
});

describe("connectionProblems", () => {
  it("names each bad key with what is allowed, and never includes a password", () => {
    const c = fromLocalEndpoints(local);
    const bad = {
      ...c,
      postgres: { ...c.postgres!, readWrite: { ...c.postgres!.readWrite, port: 70000 } },
      redis: { ...c.redis!, masterName: "" },
      kafka: { brokers: ["no-port"] },
      milvus: { address: "" },
    };
    const p = connectionProblems(bad, [...STORES, "bogus" as never]);
    expect(p).toContain("postgres.readWrite.port: must be a TCP port 1-65535, got 70000");
    expect(p).toContain("redis.masterName: is required with sentinels");
    expect(p).toContain('kafka.brokers[0]: must be host:port, got "no-port"');
    expect(p).toContain('milvus.address: must be host:port, got ""');
    expect(p).toContain('stores: unknown store "bogus"; allowed: postgres, redis, kafka, clickhouse, milvus');
    expect(p.join("\n")).not.toContain(PW);
  });
});
