import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ClickHouseCluster } from "../infra/clickhouse";
import type { KafkaCluster } from "../infra/kafka";
import { TOPIC_ADMIN_USER } from "../infra/kafka";
import type { MilvusCluster } from "../infra/milvus";
import { APP_LOGIN_ROLES, type PostgresCluster } from "../infra/postgres";
import type { Login } from "../infra/providers/postgres/logins";
import type { RedisSentinel } from "../infra/redis";
import { ClickHouseSchema } from "../infra/providers/clickhouse/provider";
import type { ClickHouseConnection } from "../infra/providers/clickhouse/executor-types";
import { KafkaTopics } from "../infra/providers/kafka";
import type { KafkaConnection } from "../infra/providers/kafka/topics";
import { MilvusCollections } from "../infra/providers/milvus";
import { loadMigrationFiles } from "../infra/providers/postgres/migration-files";
import { PostgresMigrations } from "../infra/providers/postgres/provider";
import { RedisFunctions } from "../infra/providers/redis-functions";
import { DEFAULT_DATABASE, renderClickHouseSchema, type SchemaMode } from "../schemas/clickhouse";
import { topics as declaredTopics } from "../schemas/kafka/topics";
import { modelCollections } from "../schemas/milvus/collections";
import { loadFunctionLibraries } from "../schemas/redis/libraries";
import type { StackConfig } from "./config";

/**
 * Post-deploy wiring: the five dynamic providers (PostgresMigrations, RedisFunctions, KafkaTopics,
 * ClickHouseSchema, MilvusCollections) created after the components, with connection info passed as
 * Pulumi secrets. Where the connection comes from:
 * - local: the running local tier's endpoints file (`npm start` writes it; throwaway passwords);
 * - dev/prod: the components' Service DNS names and generated passwords. The runner doing `pulumi up`
 *   must reach those Services (in-cluster runner or port-forward), or set postDeploy.enabled: false.
 */

const SERVICES = ["postgres", "redis", "kafka", "clickhouse", "milvus"] as const;

// Set by vite's module runner (vitest) in every module it loads; absent under node/ts-node, and in any
// child process (the engine's language host) even when that child inherits vitest's environment.
declare const __vite_ssr_import__: unknown;

/**
 * False inside a vitest worker: vite's module transform hides node built-ins from Pulumi's closure
 * serializer, so a dynamic provider cannot be serialized in that process. Everywhere else true.
 */
export function providersSerializable(): boolean {
  return typeof __vite_ssr_import__ === "undefined";
}

/** The parts of local/tier.ts's endpoints.json this module reads (the file holds more). */
export interface LocalTierEndpointsFile {
  postgres?: {
    /** Superuser, every member, target_session_attrs=read-write. */
    connectionString: string;
    database: string;
    members: { host: string; port: number }[];
    app: { user: string; password: string };
    pgbouncer: { host: string; port: number; readWriteDatabase: string; readOnlyDatabase: string };
  };
  redis?: {
    masterName: string;
    sentinels: { host: string; port: number }[];
    admin: { username: string; password: string };
    application: { username: string; password: string };
  };
  kafka?: { brokers: string[] };
  clickhouse?: { dataDir: string; database: string; cluster: string; mode: SchemaMode };
  milvus?: { address: string };
}

/**
 * Where the local tier writes its endpoints. The same two lines as local/tier.ts endpointsFile(),
 * duplicated because stacks/ must not import local/ (that module starts servers).
 */
export function localEndpointsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATA_PLATFORM_ENDPOINTS) return path.resolve(env.DATA_PLATFORM_ENDPOINTS);
  const cache = env.DATA_PLATFORM_CACHE ?? path.join(os.homedir(), ".cache", "data-platform");
  return path.join(env.DATA_PLATFORM_RUN_DIR ?? path.join(cache, "run"), "endpoints.json");
}

/** Reads the local tier's endpoints; throws naming the file and what to do when it is missing or incomplete. */
export function readLocalEndpoints(file = localEndpointsPath()): LocalTierEndpointsFile {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`local stack: no local data tier endpoints at ${file}: run npm start first (or point DATA_PLATFORM_ENDPOINTS at a running tier's endpoints.json)`);
  }
  let parsed: LocalTierEndpointsFile;
  try {
    parsed = JSON.parse(raw) as LocalTierEndpointsFile;
  } catch (e) {
    throw new Error(`local stack: ${file} is not JSON (${(e as Error).message}): restart the tier with npm start`);
  }
  const missing = SERVICES.filter((s) => !parsed[s]);
  if (missing.length) {
    throw new Error(`local stack: ${file} has no endpoints for ${missing.join(", ")}: the post-deploy providers need the whole tier (npm start without DATA_PLATFORM_SERVICES), or set postDeploy.enabled: false`);
  }
  return parsed;
}

/** The local endpoints, or undefined when no tier is running (unit tests under mocks run without one). */
export function localEndpointsIfPresent(file = localEndpointsPath()): LocalTierEndpointsFile | undefined {
  return fs.existsSync(file) ? readLocalEndpoints(file) : undefined;
}

/** How the providers and the smoke tests reach each store. A Pulumi secret as a whole. */
export interface DataTierConnections {
  postgres: {
    /** Superuser, direct to the primary (read-write): migrations. */
    primary: string;
    /** Application login through PgBouncer's read-write pool. */
    pooler: string;
    /** Application login through PgBouncer's read-only pool (the replicas). */
    poolerReadOnly: string;
  };
  redis: {
    /** Sentinel host:port list. */
    sentinels: string[];
    masterName: string;
    /** ACL user allowed FUNCTION LOAD (the provider). */
    admin: { username: string; password: string };
    /** ACL user services (and the smoke tests) use. */
    application: { username: string; password: string };
  };
  kafka: KafkaConnection;
  clickhouse: { connection: ClickHouseConnection; database: string; cluster: string; mode: SchemaMode };
  milvus: { address: string; token?: string };
}

/** Plain per-store connections from the local tier's endpoints. */
export function localConnections(ep: LocalTierEndpointsFile): DataTierConnections {
  const pg = ep.postgres!;
  const rd = ep.redis!;
  const ch = ep.clickhouse!;
  const pool = (db: string) => `postgresql://${encodeURIComponent(pg.app.user)}:${encodeURIComponent(pg.app.password)}@${pg.pgbouncer.host}:${pg.pgbouncer.port}/${db}`;
  return {
    postgres: { primary: pg.connectionString, pooler: pool(pg.pgbouncer.readWriteDatabase), poolerReadOnly: pool(pg.pgbouncer.readOnlyDatabase) },
    redis: { sentinels: rd.sentinels.map((s) => `${s.host}:${s.port}`), masterName: rd.masterName, admin: rd.admin, application: rd.application },
    kafka: { brokers: ep.kafka!.brokers },
    clickhouse: { connection: { kind: "chdb", dataDir: ch.dataDir }, database: ch.database, cluster: ch.cluster, mode: ch.mode },
    milvus: { address: ep.milvus!.address },
  };
}

/** The systems' components, as buildDataTier creates them. */
export interface DataTierComponents {
  postgres: PostgresCluster;
  redis: RedisSentinel;
  kafka: KafkaCluster;
  clickhouse: ClickHouseCluster;
  milvus: MilvusCluster;
}

/** Each store's connection as its own secret Output, so one store's unknowns never touch another's provider. */
export type ConnectionOutputs = { [K in keyof DataTierConnections]: pulumi.Output<DataTierConnections[K]> };

/** Per-store secret Outputs from plain connections (local). */
export function plainConnections(c: DataTierConnections): ConnectionOutputs {
  const s = <T>(v: T) => pulumi.secret(pulumi.output(v)) as unknown as pulumi.Output<T>;
  return { postgres: s(c.postgres), redis: s(c.redis), kafka: s(c.kafka), clickhouse: s(c.clickhouse), milvus: s(c.milvus) };
}

/** All stores' connections as one secret Output (the `connections` stack output). */
export function allConnections(c: ConnectionOutputs): pulumi.Output<DataTierConnections> {
  const all = pulumi.all([c.postgres, c.redis, c.kafka, c.clickhouse, c.milvus]).apply(([postgres, redis, kafka, clickhouse, milvus]) => ({ postgres, redis, kafka, clickhouse, milvus }));
  return pulumi.secret(all) as unknown as pulumi.Output<DataTierConnections>;
}

/**
 * One key of a Kubernetes Secret a component created (or Strimzi did, for the cluster CA), read after
 * the component. The read runs during previews too, so a brand-new stack deploys once with
 * postDeploy.enabled: false (docs/operations.md, "Bootstrapping a Kubernetes stack").
 */
function secretKey(name: string, namespace: pulumi.Input<string>, secretName: pulumi.Input<string>, key: string, dependsOn: pulumi.Resource[]): pulumi.Output<string> {
  const id = pulumi.interpolate`${namespace}/${secretName}`;
  const secret = k8s.core.v1.Secret.get(name, id, { dependsOn });
  return pulumi.secret(secret.data.apply((d) => Buffer.from(d?.[key] ?? "", "base64").toString("utf8")));
}

/** Connections on Kubernetes: Service DNS names and the passwords the components generated. */
export function kubernetesConnections(cfg: StackConfig, c: DataTierComponents): ConnectionOutputs {
  const ns = pulumi.output(cfg.namespace);
  const pgUrls = c.postgres.connectionStrings;
  const rdPasswords = c.redis.passwords;
  if (!pgUrls || !rdPasswords) throw new Error("post-deploy: the Postgres and Redis components expose no credentials on a Kubernetes stack");
  const kafkaPassword = secretKey("post-deploy-kafka-admin", ns, c.kafka.endpoints.apply((e) => e.userSecrets[TOPIC_ADMIN_USER]), "password", [c.kafka]);
  const kafkaCa = secretKey("post-deploy-kafka-ca", ns, c.kafka.endpoints.apply((e) => e.caSecret), "ca.crt", [c.kafka]);
  const chPassword = secretKey("post-deploy-clickhouse-schema", ns, c.clickhouse.endpoints.apply((e) => e.usersSecret), "schema_password", [c.clickhouse]);
  return {
    postgres: pulumi.secret(pgUrls.apply((pg) => ({ primary: pg.primary, pooler: pg.pooler, poolerReadOnly: pg.poolerReadOnly }))),
    redis: pulumi.secret(
      pulumi.all([c.redis.endpoints, rdPasswords]).apply(([rd, pw]) => ({
        sentinels: rd.sentinels.split(","),
        masterName: rd.masterName,
        admin: { username: "admin", password: pw.admin },
        application: { username: rd.applicationUser ?? "application", password: pw.application },
      })),
    ),
    kafka: pulumi.secret(
      pulumi.all([c.kafka.endpoints, kafkaPassword, kafkaCa]).apply(([kf, password, ca]): KafkaConnection => ({
        brokers: kf.bootstrapServers.split(","),
        tls: ca ? { ca } : {},
        sasl: { username: TOPIC_ADMIN_USER, password },
      })),
    ),
    clickhouse: pulumi.secret(
      pulumi.all([c.clickhouse.endpoints, chPassword]).apply(([ch, password]) => ({
        connection: { kind: "http" as const, url: ch.http, username: "schema", password },
        database: ch.database,
        cluster: ch.cluster,
        mode: "clustered" as const,
      })),
    ),
    milvus: pulumi.secret(c.milvus.endpoints.apply((mv) => ({ address: mv.address }))),
  };
}

export interface PostDeployResources {
  postgres: PostgresMigrations;
  redis: RedisFunctions;
  kafka: KafkaTopics;
  clickhouse: ClickHouseSchema;
  milvus: MilvusCollections;
}

/** What the providers applied, as a stack output (no secrets): the smoke tests check these items. */
export interface PostDeploySummary {
  postgresMigrations: string[];
  redisLibraries: string[];
  kafkaTopics: string[];
  clickhouseObjects: string[];
  milvusAliases: Record<string, string>;
}

const REPO = path.resolve(__dirname, "..");

/**
 * Registers the five providers after `dependsOn` (the components). Each gets only its own store's
 * connection, as a secret; the values come from `connections` (local file or component outputs).
 */
export function createPostDeploy(cfg: StackConfig, connections: ConnectionOutputs, dependsOn: pulumi.Resource[], postgresLogins: pulumi.Input<Login[]> = []): PostDeployResources {
  const opts = { dependsOn };
  const conn = <K extends keyof DataTierConnections>(k: K) => pulumi.secret(connections[k]);
  const allow = cfg.allowDestructiveChanges;
  // Schema shape from plain config, never from the connection: previews must show each object's diff
  // even while a connection is unknown.
  const mode: SchemaMode = cfg.environment === "local" ? "single-node" : "clustered";
  const database = DEFAULT_DATABASE;
  return {
    postgres: new PostgresMigrations(
      "postgres-migrations",
      {
        connectionString: conn("postgres").apply((p) => p.primary),
        migrations: loadMigrationFiles(path.join(REPO, "schemas/postgres")),
        partitions: { monthsAhead: cfg.postgres.retention.partitionsAhead, retentionMonths: cfg.postgres.retention.transactionMonths },
        allowDestructiveChanges: allow,
        logins: postgresLogins,
      },
      opts,
    ),
    redis: new RedisFunctions(
      "redis-functions",
      {
        connection: pulumi.secret(conn("redis").apply((r) => ({ sentinels: r.sentinels.map(hostPort), masterName: r.masterName, username: r.admin.username, password: r.admin.password }))),
        libraries: loadFunctionLibraries(),
        waitReplicas: Math.min(cfg.redis.minReplicasToWrite, cfg.redis.replicas),
        allowDestructiveChanges: allow,
      },
      opts,
    ),
    kafka: new KafkaTopics(
      "kafka-topics",
      {
        connection: conn("kafka"),
        topics: [...declaredTopics],
        brokerCount: cfg.kafka.brokers.replicas,
        defaultReplicationFactor: cfg.kafka.replicationFactor,
        brokerMessageMaxBytes: cfg.kafka.messageMaxBytes,
        allowDestructiveChanges: allow,
      },
      opts,
    ),
    clickhouse: new ClickHouseSchema(
      "clickhouse-schema",
      {
        connection: conn("clickhouse").apply((c) => c.connection),
        mode,
        cluster: cfg.clickhouse.cluster,
        database,
        objects: renderClickHouseSchema({ mode, cluster: cfg.clickhouse.cluster, database, retention: cfg.clickhouse.retention }),
        allowDestructiveChanges: allow,
      },
      opts,
    ),
    milvus: new MilvusCollections(
      "milvus-collections",
      { connection: conn("milvus"), collections: [...modelCollections], keepVersions: cfg.milvus.keepVersions, allowDestructiveChanges: allow },
      opts,
    ),
  };
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** The applied items of each provider, for the stack outputs. */
export function postDeploySummary(r: PostDeployResources): pulumi.Output<PostDeploySummary> {
  return pulumi.all([r.postgres.applied, r.redis.hashes, r.kafka.live, r.clickhouse.checksums, r.milvus.state]).apply(([pg, rd, kf, ch, mv]) => ({
    postgresMigrations: Object.keys(pg ?? {}).sort(),
    redisLibraries: Object.keys(rd ?? {}).sort(),
    kafkaTopics: (kf ?? []).map((t) => t.name).sort(),
    clickhouseObjects: Object.keys(ch ?? {}).sort(),
    milvusAliases: mv?.aliases ?? {},
  }));
}

/** The local tier's real addresses in the components' endpoint shapes (the components only know Kubernetes names). */
export function localSystemEndpoints(ep: LocalTierEndpointsFile) {
  const pg = ep.postgres!;
  const rd = ep.redis!;
  const members = pg.members.map((m) => `${m.host}:${m.port}`).join(",");
  return {
    postgres: pulumi.output({ primary: members, replicas: members, pooler: `${pg.pgbouncer.host}:${pg.pgbouncer.port}`, database: pg.database }),
    redis: pulumi.output({ sentinels: rd.sentinels.map((s) => `${s.host}:${s.port}`).join(","), masterName: rd.masterName, applicationUser: rd.application.username }),
    kafka: pulumi.output({ bootstrapServers: ep.kafka!.brokers.join(","), caSecret: "", userSecrets: {} as Record<string, string> }),
    clickhouse: pulumi.output({ http: "chdb (in-process; connections.clickhouse.connection.dataDir)", cluster: ep.clickhouse!.cluster, database: ep.clickhouse!.database, usersSecret: "" }),
    milvus: pulumi.output({ address: ep.milvus!.address }),
  };
}

/**
 * Everything post-deploy adds to the stack outputs: the providers (after every component), the secret
 * `connections`, the `postDeploy` summary and, on local, the tier's real endpoints. Nothing when
 * postDeploy.enabled is false, or on local when no tier runs (stacks/index.ts refuses that case
 * first with a clear error; unit tests under mocks build the components alone).
 */
export function wirePostDeploy(cfg: StackConfig, c: DataTierComponents) {
  if (!cfg.postDeploy.enabled) return {};
  const dependsOn = [c.postgres, c.redis, c.kafka, c.clickhouse, c.milvus];
  if (cfg.environment === "local") {
    const ep = localEndpointsIfPresent();
    if (!ep) return {};
    const connections = plainConnections(localConnections(ep));
    // The tier created the app login already; listing it keeps its password and grants in step all the same.
    const app = ep.postgres!.app;
    const logins = pulumi.secret([{ name: app.user, password: app.password, memberOf: [...APP_LOGIN_ROLES] }]);
    const resources = createPostDeploy(cfg, connections, dependsOn, logins);
    return { ...localSystemEndpoints(ep), connections: allConnections(connections), postDeploy: postDeploySummary(resources) };
  }
  const connections = kubernetesConnections(cfg, c);
  if (!c.postgres.appLogin) throw new Error("post-deploy: the Postgres component exposes no app login on a Kubernetes stack");
  const resources = createPostDeploy(cfg, connections, dependsOn, c.postgres.appLogin.apply((l) => [l]));
  return { connections: allConnections(connections), postDeploy: postDeploySummary(resources) };
}
