import type { ServiceAccess, TopicDeclaration } from "../../../schemas/kafka/types";
import type { DiffKind } from "../common";

/**
 * Pure half of the KafkaTopics provider: validation, normalisation, the plan of what to change and
 * the per-topic, per-key diff. No client, no @pulumi: unit tests and check() call these directly.
 */

/** A topic as the provider compares it: config values as the broker reports them (strings). */
export interface NormalizedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

export interface ValidationContext {
  /** Where the declarations came from, named in every message (e.g. "schemas/kafka/topics.ts"). */
  source: string;
  /** Brokers in the cluster; a replication factor above it is refused. */
  brokerCount: number;
  /** Replication factor for topics that do not set one. */
  defaultReplicationFactor: number;
  /** The broker's message.max.bytes; a topic may not accept larger records than brokers replicate. */
  brokerMessageMaxBytes?: number;
}

type Rule = (value: string, topic: { replicationFactor: number }, ctx: ValidationContext) => string | undefined;

const intAtLeast =
  (min: number, hint = ""): Rule =>
  (v) =>
    /^-?[0-9]+$/.test(v) && Number(v) >= min ? undefined : `must be an integer >= ${min}${hint}, got ${v}`;
const oneOf =
  (...allowed: string[]): Rule =>
  (v) =>
    allowed.includes(v) ? undefined : `must be one of ${allowed.join(", ")}, got ${v}`;

/** Topic-level keys we manage, each with its rule. Anything else is refused (a typo would otherwise be ignored). */
export const TOPIC_CONFIG_RULES: Record<string, Rule> = {
  "cleanup.policy": oneOf("delete", "compact", "compact,delete"),
  "retention.ms": intAtLeast(-1, " (-1 keeps data forever)"),
  "retention.bytes": intAtLeast(-1, " (-1 means no size limit)"),
  "min.insync.replicas": (v, t) =>
    /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= t.replicationFactor
      ? undefined
      : `must be an integer from 1 to the topic's replication factor (${t.replicationFactor}), got ${v}`,
  "compression.type": oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
  "max.message.bytes": (v, _t, ctx) => {
    const bad = intAtLeast(1)(v, _t, ctx);
    if (bad) return bad;
    if (ctx.brokerMessageMaxBytes !== undefined && Number(v) > ctx.brokerMessageMaxBytes) {
      return `must be <= the brokers' message.max.bytes (${ctx.brokerMessageMaxBytes}), got ${v}`;
    }
    return undefined;
  },
  "segment.ms": intAtLeast(1),
  "segment.bytes": intAtLeast(1024 * 1024, " (1 MiB)"),
  "min.compaction.lag.ms": intAtLeast(0),
  "max.compaction.lag.ms": intAtLeast(1),
  "delete.retention.ms": intAtLeast(0),
  "min.cleanable.dirty.ratio": (v) => (/^[0-9.]+$/.test(v) && Number(v) >= 0 && Number(v) <= 1 ? undefined : `must be a number from 0 to 1, got ${v}`),
  "message.timestamp.type": oneOf("CreateTime", "LogAppendTime"),
  "unclean.leader.election.enable": oneOf("false"),
};

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Normalises a config value the way the broker reports it, so declared and live values compare equal. */
export function normalizeConfigValue(key: string, value: string | number | boolean): string {
  const s = String(value).trim();
  if (key === "cleanup.policy") return [...new Set(s.split(",").map((p) => p.trim()))].sort().join(",");
  return s;
}

export function normalizeTopic(t: TopicDeclaration, defaultReplicationFactor: number): NormalizedTopic {
  const config: Record<string, string> = {};
  for (const key of Object.keys(t.config).sort()) config[key] = normalizeConfigValue(key, t.config[key]);
  return { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor ?? defaultReplicationFactor, config };
}

/** Every problem with the declarations, each naming source, topic, key, the value found and what is allowed. */
export function validateTopics(decls: readonly TopicDeclaration[], ctx: ValidationContext): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  decls.forEach((t, i) => {
    const where = `${ctx.source}: topics[${JSON.stringify(t?.name ?? i)}]`;
    if (typeof t?.name !== "string" || !TOPIC_NAME.test(t.name)) {
      problems.push(`${where}.name: must be 1-249 characters of a-z A-Z 0-9 . _ -, got ${JSON.stringify(t?.name)}`);
      return;
    }
    if (seen.has(t.name)) problems.push(`${where}: declared twice`);
    seen.add(t.name);
    if (!Number.isInteger(t.partitions) || t.partitions < 1) problems.push(`${where}.partitions: must be an integer >= 1, got ${t.partitions}`);
    const rf = t.replicationFactor ?? ctx.defaultReplicationFactor;
    if (!Number.isInteger(rf) || rf < 1 || rf > ctx.brokerCount) {
      problems.push(`${where}.replicationFactor: must be an integer from 1 to the broker count (${ctx.brokerCount}), got ${rf}`);
    }
    for (const [key, raw] of Object.entries(t.config ?? {})) {
      const rule = TOPIC_CONFIG_RULES[key];
      if (!rule) {
        problems.push(`${where}.config.${key}: unknown or unmanaged topic config key; allowed: ${Object.keys(TOPIC_CONFIG_RULES).join(", ")}`);
        continue;
      }
      const bad = rule(normalizeConfigValue(key, raw), { replicationFactor: rf }, ctx);
      if (bad) problems.push(`${where}.config.${key}: ${bad}`);
    }
  });
  return problems;
}

/** Matches a service's topic reference (exact name or `prefix*`) against the declared topics. */
export function topicRefMatches(ref: string, topic: string): boolean {
  return ref.endsWith("*") ? topic.startsWith(ref.slice(0, -1)) : ref === topic;
}

/** A service may only reference topics that are declared, so an ACL can never point at nothing. */
export function validateServices(svcs: readonly ServiceAccess[], decls: readonly TopicDeclaration[], source: string): string[] {
  const problems: string[] = [];
  for (const s of svcs) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s.service)) problems.push(`${source}: services[${JSON.stringify(s.service)}]: name must be a DNS-1123 label`);
    for (const [field, refs] of [["produces", s.produces], ["consumes", s.consumes]] as const) {
      for (const ref of refs) {
        if (!decls.some((t) => topicRefMatches(ref, t.name))) {
          problems.push(`${source}: services[${JSON.stringify(s.service)}].${field}: ${JSON.stringify(ref)} matches no declared topic`);
        }
      }
    }
  }
  return problems;
}

export interface TopicPlan {
  create: NormalizedTopic[];
  growPartitions: { name: string; from: number; to: number }[];
  alterConfig: { name: string; config: Record<string, string>; changed: string[] }[];
  /** Changes Kafka cannot make in place; done by delete + create, only when allowed. */
  replace: { topic: NormalizedTopic; reasons: string[] }[];
  /** Why the plan cannot run (destructive changes not allowed); nothing is applied when non-empty. */
  refused: string[];
}

/** The keys whose values differ between two config maps (added, removed or changed). */
export function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
}

/** Why a topic must be recreated to go from `live` to `want` (empty when it can change in place). */
export function replaceReasons(live: NormalizedTopic, want: NormalizedTopic): string[] {
  const reasons: string[] = [];
  if (want.partitions < live.partitions) reasons.push(`partitions ${live.partitions} -> ${want.partitions} (Kafka cannot remove partitions)`);
  if (want.replicationFactor !== live.replicationFactor) {
    reasons.push(`replication factor ${live.replicationFactor} -> ${want.replicationFactor}`);
  }
  return reasons;
}

/** What to do to make the live topics match the declarations. Topics not declared are not looked at. */
export function planTopics(desired: readonly NormalizedTopic[], live: Record<string, NormalizedTopic | undefined>, allowReplace: boolean): TopicPlan {
  const plan: TopicPlan = { create: [], growPartitions: [], alterConfig: [], replace: [], refused: [] };
  for (const want of desired) {
    const have = live[want.name];
    if (!have) {
      plan.create.push(want);
      continue;
    }
    const reasons = replaceReasons(have, want);
    if (reasons.length) {
      if (allowReplace) plan.replace.push({ topic: want, reasons });
      else {
        plan.refused.push(
          `topic ${want.name}: ${reasons.join("; ")} needs a replace, which DELETES the topic and all its data; ` +
            `set allowDestructiveChanges: true for this run to allow it`,
        );
      }
      continue;
    }
    if (want.partitions > have.partitions) plan.growPartitions.push({ name: want.name, from: have.partitions, to: want.partitions });
    const changed = changedKeys(have.config, want.config);
    if (changed.length) plan.alterConfig.push({ name: want.name, config: want.config, changed });
  }
  return plan;
}

export function planIsEmpty(p: TopicPlan): boolean {
  return !p.create.length && !p.growPartitions.length && !p.alterConfig.length && !p.replace.length;
}

/**
 * Per-topic, per-key diff for Pulumi previews: `topics["orders"].config["retention.ms"]`. A partition
 * decrease or replication-factor change is marked update-replace on that topic only; it never
 * replaces the whole resource (that would recreate every topic).
 */
export function diffTopicMaps(before: Record<string, NormalizedTopic>, after: Record<string, NormalizedTopic>): Record<string, { kind: DiffKind; inputDiff: boolean }> {
  const out: Record<string, { kind: DiffKind; inputDiff: boolean }> = {};
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[name];
    const a = after[name];
    const p = `topics[${JSON.stringify(name)}]`;
    if (!b) out[p] = { kind: "add", inputDiff: true };
    else if (!a) out[p] = { kind: "delete", inputDiff: true };
    else {
      const replace = replaceReasons(b, a).length > 0;
      if (b.partitions !== a.partitions) out[`${p}.partitions`] = { kind: replace ? "update-replace" : "update", inputDiff: true };
      if (b.replicationFactor !== a.replicationFactor) out[`${p}.replicationFactor`] = { kind: "update-replace", inputDiff: true };
      for (const k of changedKeys(b.config, a.config)) {
        const kind: DiffKind = !(k in b.config) ? "add" : !(k in a.config) ? "delete" : "update";
        out[`${p}.config[${JSON.stringify(k)}]`] = { kind, inputDiff: true };
      }
    }
  }
  return out;
}

export function byName(list: readonly NormalizedTopic[]): Record<string, NormalizedTopic> {
  return Object.fromEntries(list.map((t) => [t.name, t]));
}
