import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { localServerProperties, toProperties, type LocalNodeSpec } from "../../infra/kafka/broker-config";
import type { StackConfig } from "../../stacks/config";
import { ensureMavenJars } from "../install";
import { canConnect, freePorts } from "../ports";
import { groupAlive, sleep, startProcess, waitUntil, type ManagedProcess } from "../process";
import type { StartContext, StartedService } from "../types";

/** Maven artifacts of the local cluster: the broker, its log binding and the perf tools for bench/. */
export const kafkaMavenArtifacts = (version: string) => [
  `org.apache.kafka:kafka_2.13:${version}`,
  `org.apache.kafka:kafka-tools:${version}`,
  // Kafka 4.x logs through slf4j 1.7 into log4j2; without a binding the broker logs nothing.
  "org.apache.logging.log4j:log4j-slf4j-impl:2.25.4",
];

/** One combined broker+controller node, with what a test worker needs to kill and restart it. */
export interface KafkaNodeEndpoint {
  id: number;
  host: string;
  port: number;
  controllerPort: number;
  /** Current JVM pid (also its process group id). */
  pid: number;
  configPath: string;
  logPath: string;
  /** The node writes its current pid here; stop() reads it, so a node restarted by a test is stopped too. */
  pidFile: string;
}

export interface KafkaEndpoints {
  /** Comma-separated host:port list for clients. */
  bootstrapServers: string;
  brokers: string[];
  clusterId: string;
  nodes: KafkaNodeEndpoint[];
  /** Directory of the Kafka jars (classpath `${libDir}/*`), for bench/ and restartNode. */
  libDir: string;
  /** JVM options every node runs with. */
  jvmOptions: string[];
  log4jConfig: string;
  replicationFactor: number;
  minInsyncReplicas: number;
}

const SERVICE = "kafka";
// G1 with short pauses: a long GC pause looks like a dead broker to the controller.
const JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true"];

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
`;

function javaArgs(ep: Pick<KafkaEndpoints, "libDir" | "jvmOptions" | "log4jConfig">, mainClass: string, args: string[]): string[] {
  return [...ep.jvmOptions, `-Dlog4j2.configurationFile=${ep.log4jConfig}`, "-cp", `${ep.libDir}/*`, mainClass, ...args];
}

function launchNode(ep: KafkaEndpoints, node: KafkaNodeEndpoint): ManagedProcess {
  const proc = startProcess({ name: `kafka-${node.id}`, command: "java", args: javaArgs(ep, "kafka.Kafka", [node.configPath]), logPath: node.logPath });
  fs.writeFileSync(node.pidFile, String(proc.pid));
  return proc;
}

/** Brokers currently registered with the controller quorum (fenced brokers are not listed). */
export async function registeredBrokers(bootstrap: string[]): Promise<number[]> {
  const admin = new Kafka({ clientId: "local-tier-probe", brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 }).admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    return brokers.map((b) => b.nodeId).sort();
  } finally {
    await admin.disconnect();
  }
}

async function waitForNode(node: KafkaNodeEndpoint, proc: ManagedProcess | undefined, timeoutMs: number): Promise<void> {
  await waitUntil({ service: `${SERVICE}-${node.id}`, logPath: node.logPath, proc }, () => canConnect(node.port), timeoutMs);
  await waitUntil(
    { service: `${SERVICE}-${node.id}`, logPath: node.logPath, proc },
    async () => (await registeredBrokers([`${node.host}:${node.port}`])).includes(node.id),
    timeoutMs,
    500,
  );
}


/** kill -9 of one node's whole process group, like a machine dying; returns once it is gone. */
export async function killNode(ep: KafkaEndpoints, id: number): Promise<void> {
  const node = nodeById(ep, id);
  const pid = currentPid(node);
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
  while (groupAlive(pid)) await sleep(20);
}

/**
 * Starts a node again from its config (same data dir, same node id) and waits until the quorum has it
 * registered as a broker. Returns the new pid.
 */
export async function restartNode(ep: KafkaEndpoints, id: number, timeoutMs = 90_000): Promise<number> {
  const node = nodeById(ep, id);
  if (groupAlive(currentPid(node))) throw new Error(`kafka node ${id} is still running (pid ${currentPid(node)}); kill it first`);
  const proc = launchNode(ep, node);
  await waitForNode(node, proc, timeoutMs);
  return proc.pid;
}

function nodeById(ep: KafkaEndpoints, id: number): KafkaNodeEndpoint {
  const node = ep.nodes.find((n) => n.id === id);
  if (!node) throw new Error(`kafka node ${id} does not exist; nodes are ${ep.nodes.map((n) => n.id).join(", ")}`);
  return node;
}

function currentPid(node: KafkaNodeEndpoint): number {
  try {
    return Number(fs.readFileSync(node.pidFile, "utf8").trim()) || node.pid;
  } catch {
    return node.pid;
  }
}

/**
 * The local 3-node KRaft cluster. Each node is broker and controller at once: three JVMs instead of six
 * on a 2-core machine, and killing one node takes out a broker and a quorum voter together, which is
 * the harsher failure. (Strimzi runs separate controller and broker pools; the broker settings are the
 * same rendered `brokerConfig`.)
 */
export async function startKafka(ctx: StartContext, cfg: StackConfig): Promise<StartedService<KafkaEndpoints>> {
  const kc = cfg.kafka;
  const count = Math.max(kc.brokers.replicas, kc.replicationFactor);
  const libDir = ensureMavenJars(`kafka-${kc.version}`, kafkaMavenArtifacts(kc.version), ctx.log);
  const dir = path.join(ctx.baseDir, "kafka");
  fs.mkdirSync(dir, { recursive: true });
  const log4jConfig = path.join(dir, "log4j2.properties");
  fs.writeFileSync(log4jConfig, LOG4J2);

  const ports = await freePorts(count * 2);
  const specs: LocalNodeSpec[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    host: "127.0.0.1",
    port: ports[2 * i],
    controllerPort: ports[2 * i + 1],
    logDir: path.join(dir, `node-${i + 1}`, "data"),
  }));
  // Like Kafka's Uuid.randomUuid: an id starting with "-" would be read as an option by StorageTool.
  let clusterId = "-";
  while (clusterId.startsWith("-")) clusterId = Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
  const ep: KafkaEndpoints = {
    bootstrapServers: specs.map((s) => `${s.host}:${s.port}`).join(","),
    brokers: specs.map((s) => `${s.host}:${s.port}`),
    clusterId,
    nodes: [],
    libDir,
    jvmOptions: JVM_OPTIONS,
    log4jConfig,
    replicationFactor: kc.replicationFactor,
    minInsyncReplicas: kc.minInsyncReplicas,
  };

  const procs: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop(15_000)));
    // Nodes a test restarted run under new pids, recorded in their pid files.
    for (const node of ep.nodes) {
      const pid = currentPid(node);
      if (groupAlive(pid)) {
        process.kill(-pid, "SIGTERM");
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && groupAlive(pid)) await sleep(100);
        if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
      }
    }
  };

  try {
    const formatted = specs.map(async (spec): Promise<KafkaNodeEndpoint> => {
      const nodeDir = path.join(dir, `node-${spec.id}`);
      fs.mkdirSync(nodeDir, { recursive: true });
      const configPath = path.join(nodeDir, "server.properties");
      fs.writeFileSync(configPath, toProperties(localServerProperties(kc, spec, specs)));
      const node: KafkaNodeEndpoint = {
        id: spec.id,
        host: spec.host,
        port: spec.port,
        controllerPort: spec.controllerPort,
        pid: 0,
        configPath,
        logPath: path.join(nodeDir, "kafka.log"),
        pidFile: path.join(nodeDir, "kafka.pid"),
      };
      const format = startProcess({
        name: `kafka-${spec.id}-format`,
        command: "java",
        args: javaArgs(ep, "kafka.tools.StorageTool", ["format", "--cluster-id", clusterId, "--config", configPath, "--ignore-formatted"]),
        logPath: path.join(nodeDir, "format.log"),
      });
      ctx.track(format.pid, SERVICE);
      // The child is unref'd, so poll with a timer: awaiting `exited` alone would let node exit.
      while (format.isRunning()) await sleep(100);
      const code = await format.exited;
      if (code !== 0) throw new Error(`kafka node ${spec.id}: storage format exited with ${code}; see ${path.join(nodeDir, "format.log")}`);
      return node;
    });
    ep.nodes.push(...(await Promise.all(formatted)));
    for (const node of ep.nodes) {
      const proc = launchNode(ep, node);
      ctx.track(proc.pid, SERVICE);
      procs.push(proc);
      node.pid = proc.pid;
    }
    ctx.log(`kafka: ${count} KRaft nodes starting on ${ep.bootstrapServers}`);
    await Promise.all(ep.nodes.map((node, i) => waitForNode(node, procs[i], 120_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: SERVICE, endpoints: ep, logDir: dir, stop };
}
