import { fromStackOutputs, type DataTierConnection } from "../../runtime/database-manager";
import { topics as declaredTopics } from "../../schemas/kafka/topics";
import { modelCollections } from "../../schemas/milvus/collections";
import { isVectorField, type VectorField } from "../../schemas/milvus/types";

/**
 * Turns `pulumi stack output --json --show-secrets` (stacks/data-tier.ts DataTierOutputs) into what
 * the smoke checks need: a DatabaseManager connection (through runtime/database-manager's
 * fromStackOutputs, fed the secret `connections` output), the superuser URL for the smoke table, the
 * topics and the Milvus aliases the stack's providers applied.
 */

export interface SmokeTargets {
  environment: string;
  connection: DataTierConnection;
  /** Superuser URL (direct, read-write): creates the smoke heartbeat table once. */
  postgresAdminUrl: string;
  topics: string[];
  /** Alias → its active vector field (dimension, metric) from schemas/milvus. */
  aliases: { alias: string; field: VectorField }[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown, what: string): Json => {
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Json;
  throw new Error(`stack outputs: ${what} is missing or not an object`);
};

/**
 * `env` may name the Kafka identity the smoke tests produce and consume as (DATA_TIER_KAFKA_USER and
 * DATA_TIER_KAFKA_PASSWORD, as runtime/database-manager reads them): on Kubernetes stacks the outputs
 * carry the topic admin, whose ACLs allow no reads or writes.
 */
export function smokeTargets(outputs: unknown, env: NodeJS.ProcessEnv = process.env): SmokeTargets {
  const root = obj(outputs, "the outputs");
  if (root.connections === "[secret]") throw new Error("stack outputs: connections is \"[secret]\": read them with `pulumi stack output --json --show-secrets`");
  if (root.connections === undefined) throw new Error("stack outputs: no connections output: the stack has postDeploy.enabled false or was deployed before post-deploy existed");
  const c = obj(root.connections, "connections");
  const pg = obj(c.postgres, "connections.postgres");
  const rd = obj(c.redis, "connections.redis");
  const kf = obj(c.kafka, "connections.kafka");
  const ch = obj(c.clickhouse, "connections.clickhouse");
  const chConn = obj(ch.connection, "connections.clickhouse.connection");
  const mv = obj(c.milvus, "connections.milvus");
  const app = obj(rd.application, "connections.redis.application");
  const sasl = env.DATA_TIER_KAFKA_USER ? { username: env.DATA_TIER_KAFKA_USER, password: env.DATA_TIER_KAFKA_PASSWORD ?? "" } : (kf.sasl as { username: string; password: string } | undefined);
  const tls = kf.tls as { ca?: string } | undefined;
  const http = chConn.kind === "http";
  const connection = fromStackOutputs(
    {
      environment: root.environment,
      postgres: { connectionStrings: { pooler: pg.pooler, poolerReadOnly: pg.poolerReadOnly } },
      redis: { sentinels: rd.sentinels, masterName: rd.masterName, applicationUser: app.username },
      kafka: { brokers: kf.brokers, caSecret: tls ? "from-connections" : undefined },
      clickhouse: { http: http ? chConn.url : undefined, database: ch.database, cluster: ch.cluster },
      milvus: { address: mv.address },
    },
    {
      redis: { username: String(app.username), password: String(app.password) },
      kafka: sasl ? { username: sasl.username, password: sasl.password, ca: tls?.ca } : undefined,
      clickhouse: http ? { username: String(chConn.username), password: String(chConn.password) } : undefined,
      chdbDataDir: http ? undefined : String(chConn.dataDir),
      milvus: typeof mv.token === "string" ? { token: mv.token } : undefined,
    },
  );
  const summary = (root.postDeploy ?? {}) as { kafkaTopics?: string[]; milvusAliases?: Record<string, string> };
  const topics = summary.kafkaTopics?.length ? summary.kafkaTopics : declaredTopics.map((t) => t.name);
  const aliasNames = summary.milvusAliases && Object.keys(summary.milvusAliases).length ? Object.keys(summary.milvusAliases) : modelCollections.map((m) => m.name);
  const aliases = aliasNames.map((alias) => {
    const model = modelCollections.find((m) => m.name === alias);
    const version = model?.versions.find((v) => v.version === model.active);
    const field = version?.fields.find(isVectorField);
    if (!field) throw new Error(`stack outputs: Milvus alias ${alias} is not declared in schemas/milvus/collections.ts (no vector field to search)`);
    return { alias, field };
  });
  return { environment: String(root.environment ?? "unknown"), connection, postgresAdminUrl: String(pg.primary), topics, aliases };
}
