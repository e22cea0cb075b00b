import { ConfigResourceTypes, Kafka, logLevel, type Admin, type SASLOptions } from "kafkajs";
import type { TopicDeclaration } from "../../../schemas/kafka/types";
import { redact } from "../common";
import { byName, normalizeTopic, planIsEmpty, planTopics, validateTopics, type NormalizedTopic, type TopicPlan, type ValidationContext } from "./spec";

/**
 * Client half of the KafkaTopics provider: plain async functions over kafkajs admin that the
 * integration tests call against the real local cluster and the dynamic provider wraps. A client is
 * opened per call and closed before returning (Pulumi serializes the provider; nothing live is kept).
 */

export interface KafkaConnection {
  /** Bootstrap host:port list. */
  brokers: string[];
  /** TLS to the brokers (the Strimzi internal listener); the CA in PEM when it is not publicly trusted. */
  tls?: { ca?: string };
  /** SCRAM-SHA-512 credentials of the KafkaUser the provider runs as. */
  sasl?: { username: string; password: string };
}

export interface TopicsSpec {
  /** Declarations as written in schemas/kafka. */
  topics: readonly TopicDeclaration[];
  /** Named in every validation message. */
  source: string;
  defaultReplicationFactor: number;
  brokerMessageMaxBytes?: number;
  /** Allows a partition decrease or replication-factor change by deleting and recreating that topic. */
  allowReplace: boolean;
}

export interface ApplyResult {
  plan: TopicPlan;
  /** The declared topics as they are on the cluster after the apply. */
  topics: NormalizedTopic[];
}

export class KafkaTopicsError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "KafkaTopicsError";
  }
}

function secretsOf(conn: KafkaConnection): string[] {
  return conn.sasl ? [conn.sasl.password] : [];
}

/** Runs `fn` with a connected admin client and always disconnects; errors never carry the password. */
export async function withAdmin<T>(conn: KafkaConnection, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const sasl: SASLOptions | undefined = conn.sasl ? { mechanism: "scram-sha-512", username: conn.sasl.username, password: conn.sasl.password } : undefined;
  const kafka = new Kafka({
    clientId: "data-platform-kafka-topics",
    brokers: conn.brokers,
    ssl: conn.tls ? (conn.tls.ca ? { ca: [conn.tls.ca] } : true) : undefined,
    sasl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 300 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } catch (err) {
    if (err instanceof KafkaTopicsError) throw err;
    throw new KafkaTopicsError(redact(`kafka admin on ${conn.brokers.join(",")}: ${(err as Error).message}`, secretsOf(conn)));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// kafkajs's ConfigSource numbering: 1 is a topic-level override (what we manage).
const TOPIC_OVERRIDE = 1;

/** The live state of the named topics (undefined for those that do not exist); other topics are not read. */
export async function readLiveTopics(admin: Admin, names: readonly string[]): Promise<Record<string, NormalizedTopic | undefined>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  const out: Record<string, NormalizedTopic | undefined> = Object.fromEntries(names.map((n) => [n, undefined]));
  if (!present.length) return out;
  const meta = await admin.fetchTopicMetadata({ topics: present });
  const described = await admin.describeConfigs({
    resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  const configs = new Map(described.resources.map((r) => [r.resourceName, r.configEntries]));
  for (const t of meta.topics) {
    const config: Record<string, string> = {};
    for (const e of configs.get(t.name) ?? []) {
      if ((e as { configSource?: number }).configSource === TOPIC_OVERRIDE && e.configValue !== null) config[e.configName] = e.configValue;
    }
    out[t.name] = {
      name: t.name,
      partitions: t.partitions.length,
      replicationFactor: Math.max(...t.partitions.map((p) => p.replicas.length)),
      config: Object.fromEntries(Object.keys(config).sort().map((k) => [k, config[k]])),
    };
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Brokers learn metadata changes asynchronously (KRaft metadata log), and each admin call may ask a
 * different broker, so one read can be stale. A read counts once it agrees with the reads before it
 * (`agree` in a row); transient errors from a broker that has not caught up are retried.
 */
export async function readConsistent(
  admin: Admin,
  names: readonly string[],
  expect?: Record<string, NormalizedTopic | undefined>,
  agree = 3,
  timeoutMs = 30_000,
): Promise<Record<string, NormalizedTopic | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, NormalizedTopic | undefined> | undefined;
  let streak = 0;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const now = await readLiveTopics(admin, names);
      if (expect) streak = same(now, expect) ? streak + 1 : 0;
      else streak = last && same(now, last) ? streak + 1 : 1;
      last = now;
      if (streak >= agree) return now;
    } catch (err) {
      lastError = err;
      streak = 0;
    }
    await sleep(150);
  }
  const why = expect ? "the brokers did not all show the applied change" : `reads kept disagreeing${lastError ? ` (${(lastError as Error).message})` : ""}`;
  throw new KafkaTopicsError(`topics ${names.join(", ")}: ${why} within ${timeoutMs / 1000} s`);
}

async function brokerCount(admin: Admin): Promise<number> {
  return (await admin.describeCluster()).brokers.length;
}

/** Validates declarations against the live broker count; throws listing every problem, before any change. */
export function assertValid(spec: TopicsSpec, brokers: number): NormalizedTopic[] {
  const ctx: ValidationContext = {
    source: spec.source,
    brokerCount: brokers,
    defaultReplicationFactor: spec.defaultReplicationFactor,
    brokerMessageMaxBytes: spec.brokerMessageMaxBytes,
  };
  const problems = validateTopics(spec.topics, ctx);
  if (problems.length) throw new KafkaTopicsError(`invalid Kafka topic declarations, nothing changed:\n  - ${problems.join("\n  - ")}`, problems);
  return spec.topics.map((t) => normalizeTopic(t, spec.defaultReplicationFactor));
}

/** What applyTopics would do, without changing anything. */
export async function planAgainstCluster(spec: TopicsSpec, conn: KafkaConnection): Promise<TopicPlan> {
  return withAdmin(conn, async (admin) => {
    const desired = assertValid(spec, await brokerCount(admin));
    return planTopics(desired, await readConsistent(admin, desired.map((t) => t.name)), spec.allowReplace);
  });
}

async function waitUntilGone(admin: Admin, names: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  while (Date.now() < deadline) {
    const live = new Set(await admin.listTopics());
    streak = names.some((n) => live.has(n)) ? 0 : streak + 1;
    if (streak >= 3) return;
    await sleep(250);
  }
  throw new KafkaTopicsError(`topics ${names.join(", ")} still exist ${timeoutMs / 1000} s after deletion`);
}

const entries = (config: Record<string, string>) => Object.entries(config).map(([name, value]) => ({ name, value }));

/**
 * Makes the declared topics match: creates missing ones, grows partitions, rewrites topic-level config
 * (so an override set by hand is removed), and replaces a topic only when allowed. Validation and the
 * destructive-change check run before the first change, so a refused plan changes nothing.
 */
export async function applyTopics(spec: TopicsSpec, conn: KafkaConnection): Promise<ApplyResult> {
  return withAdmin(conn, async (admin) => {
    const desired = assertValid(spec, await brokerCount(admin));
    const names = desired.map((t) => t.name);
    const plan = planTopics(desired, await readConsistent(admin, names), spec.allowReplace);
    if (plan.refused.length) throw new KafkaTopicsError(`refused, nothing changed:\n  - ${plan.refused.join("\n  - ")}`, plan.refused);
    if (!planIsEmpty(plan)) {
      if (plan.replace.length) {
        const doomed = plan.replace.map((r) => r.topic.name);
        await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
        await waitUntilGone(admin, doomed);
      }
      const toCreate = [...plan.create, ...plan.replace.map((r) => r.topic)];
      if (toCreate.length) {
        // No waitForLeaders: kafkajs fails on a broker that has not heard of the topic yet; the
        // consistent read below waits until every broker shows it instead.
        await admin.createTopics({
          waitForLeaders: false,
          topics: toCreate.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, configEntries: entries(t.config) })),
        });
      }
      if (plan.growPartitions.length) {
        await admin.createPartitions({ topicPartitions: plan.growPartitions.map((g) => ({ topic: g.name, count: g.to })) });
      }
      if (plan.alterConfig.length) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: plan.alterConfig.map((a) => ({ type: ConfigResourceTypes.TOPIC, name: a.name, configEntries: entries(a.config) })),
        });
      }
    }
    // Wait until every broker we ask shows the declared state, so the next read (a refresh, a test) agrees.
    const after = planIsEmpty(plan) ? await readConsistent(admin, names) : await readConsistent(admin, names, byName(desired));
    return { plan, topics: names.map((n) => after[n]).filter((t): t is NormalizedTopic => t !== undefined) };
  });
}

/** The declared topics as they are now (for refresh); a declared topic that vanished is simply absent. */
export async function readTopics(names: readonly string[], conn: KafkaConnection): Promise<NormalizedTopic[]> {
  return withAdmin(conn, async (admin) => {
    const live = await readConsistent(admin, names);
    return names.map((n) => live[n]).filter((t): t is NormalizedTopic => t !== undefined);
  });
}

/** Deletes exactly the named topics (only used when the stack explicitly allows destroying data). */
export async function deleteTopics(names: readonly string[], conn: KafkaConnection): Promise<void> {
  await withAdmin(conn, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((n) => existing.has(n));
    if (doomed.length) {
      await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
      await waitUntilGone(admin, doomed);
    }
  });
}

