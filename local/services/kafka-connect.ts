import * as fs from "node:fs";
import * as path from "node:path";
import { localWorkerProperties, toProperties } from "../../infra/cdc/worker-config";
import type { StackConfig } from "../../stacks/config";
import { ensureMavenJars } from "../install";
import { freePort } from "../ports";
import { sleep, startProcess, waitUntil, type ManagedProcess } from "../process";
import type { StartContext, StartedService } from "../types";
import type { KafkaEndpoints } from "./kafka";
import type { PostgresEndpoints } from "./postgres";
import { startPrimaryProxy, type PrimaryProxy } from "./kafka-connect/primary-proxy";

export { currentPrimary, startPrimaryProxy, type PrimaryProxy } from "./kafka-connect/primary-proxy";

export { DEBEZIUM_VERSION } from "../../infra/cdc/versions";
import { DEBEZIUM_VERSION } from "../../infra/cdc/versions";

/** The Connect runtime (same Kafka version as the brokers) and its log binding. */
export const connectMavenArtifacts = (kafkaVersion: string) => [
  `org.apache.kafka:connect-runtime:${kafkaVersion}`,
  `org.apache.kafka:connect-json:${kafkaVersion}`,
  "org.apache.logging.log4j:log4j-slf4j-impl:2.25.4",
];

/** The connector plugin, resolved into its own directory so Connect loads it in an isolated class loader. */
export const debeziumMavenArtifacts = [`io.debezium:debezium-connector-postgres:${DEBEZIUM_VERSION}`];

/** Plain JSON: a test worker can reach, stop and restart the worker from it. */
export interface KafkaConnectEndpoints {
  /** REST API, e.g. http://127.0.0.1:8083. */
  restUrl: string;
  groupId: string;
  pid: number;
  configPath: string;
  logPath: string;
  /** Where Debezium should connect: always the current Patroni primary (see primary-proxy.ts). */
  primary: { host: string; port: number };
}

export interface StartedKafkaConnect extends StartedService<KafkaConnectEndpoints> {
  /** The primary-following proxy (lives in the process that started the worker). */
  readonly proxy: PrimaryProxy;
}

const SERVICE = "kafka-connect";
// Small heap: one connector, one task; the machine is shared by five systems on 2 cores.
const JVM_OPTIONS = ["-Xms128m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"];

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`;

/**
 * A Kafka Connect distributed worker with the Debezium PostgreSQL connector from Maven Central, on
 * the local Kafka, plus the primary proxy Debezium connects through. Started on demand by the CDC
 * tests (not a default tier service): it costs a JVM the other systems' tests do not need.
 */
export async function startKafkaConnect(
  ctx: StartContext,
  cfg: StackConfig,
  deps: { kafka: KafkaEndpoints; postgres: PostgresEndpoints; groupId?: string },
): Promise<StartedKafkaConnect> {
  const libDir = ensureMavenJars(`kafka-connect-${cfg.kafka.version}`, connectMavenArtifacts(cfg.kafka.version), ctx.log);
  const pluginLib = ensureMavenJars(`debezium-postgres-${DEBEZIUM_VERSION}`, debeziumMavenArtifacts, ctx.log);
  const dir = path.join(ctx.baseDir, SERVICE);
  const pluginPath = path.join(dir, "plugins");
  fs.mkdirSync(pluginPath, { recursive: true });
  // plugin.path wants a directory of plugin directories; link the cached jars in as one plugin.
  fs.symlinkSync(pluginLib, path.join(pluginPath, "debezium-connector-postgres"));
  const log4jConfig = path.join(dir, "log4j2.properties");
  fs.writeFileSync(log4jConfig, LOG4J2);
  const restPort = await freePort();
  const groupId = deps.groupId ?? "cdc-connect";
  const configPath = path.join(dir, "connect-distributed.properties");
  fs.writeFileSync(
    configPath,
    toProperties(
      localWorkerProperties({
        groupId,
        replicationFactor: deps.kafka.replicationFactor,
        bootstrapServers: deps.kafka.bootstrapServers,
        restHost: "127.0.0.1",
        restPort,
        pluginPath,
      }),
    ),
  );
  const logPath = path.join(dir, "connect.log");
  const proxy = await startPrimaryProxy(deps.postgres.members);
  let proc: ManagedProcess | undefined;
  const stop = async () => {
    await proc?.stop(15_000);
    await proxy.close();
  };
  try {
    proc = startProcess({
      name: SERVICE,
      command: "java",
      args: [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${log4jConfig}`, "-cp", `${libDir}/*`, "org.apache.kafka.connect.cli.ConnectDistributed", configPath],
      logPath,
    });
    ctx.track(proc.pid, SERVICE);
    const restUrl = `http://127.0.0.1:${restPort}`;
    await waitUntil(
      { service: SERVICE, logPath, proc },
      async () => {
        const r = await fetch(`${restUrl}/connector-plugins`, { signal: AbortSignal.timeout(2000) });
        if (!r.ok) return false;
        const plugins = (await r.json()) as { class: string }[];
        return plugins.some((p) => p.class === "io.debezium.connector.postgresql.PostgresConnector");
      },
      180_000,
      1000,
    );
    ctx.log(`${SERVICE}: worker on ${restUrl}, primary proxy on 127.0.0.1:${proxy.port}`);
    return {
      name: SERVICE,
      endpoints: { restUrl, groupId, pid: proc.pid, configPath, logPath, primary: { host: proxy.host, port: proxy.port } },
      logDir: dir,
      proxy,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function rest<T>(ep: Pick<KafkaConnectEndpoints, "restUrl">, method: string, route: string, body?: unknown): Promise<T> {
  const r = await fetch(`${ep.restUrl}${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (!r.ok && !(method === "DELETE" && r.status === 404)) throw new Error(`kafka-connect ${method} ${route}: HTTP ${r.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface ConnectorStatus {
  connector: { state: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** Creates or updates a connector (PUT is idempotent). */
export const putConnector = (ep: KafkaConnectEndpoints, name: string, config: Record<string, string>) =>
  rest<unknown>(ep, "PUT", `/connectors/${encodeURIComponent(name)}/config`, config);

export const deleteConnector = (ep: KafkaConnectEndpoints, name: string) => rest<unknown>(ep, "DELETE", `/connectors/${encodeURIComponent(name)}`);

export const connectorStatus = (ep: KafkaConnectEndpoints, name: string) => rest<ConnectorStatus>(ep, "GET", `/connectors/${encodeURIComponent(name)}/status`);

/** Waits until the connector and all its tasks run; a FAILED task fails at once with its trace. */
export async function waitForConnectorRunning(ep: KafkaConnectEndpoints, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const s = await connectorStatus(ep, name);
      const failed = s.tasks.find((t) => t.state === "FAILED");
      if (failed) throw new Error(`connector ${name} task ${failed.id} FAILED: ${(failed.trace ?? "").split("\n").slice(0, 6).join("\n")}`);
      if (s.connector.state === "RUNNING" && s.tasks.length > 0 && s.tasks.every((t) => t.state === "RUNNING")) return;
      last = JSON.stringify(s);
    } catch (e) {
      if ((e as Error).message.includes("FAILED")) throw e;
      last = (e as Error).message;
    }
    await sleep(1000);
  }
  throw new Error(`connector ${name} not running after ${Math.round(timeoutMs / 1000)} s: ${last} (log: ${ep.logPath})`);
}
