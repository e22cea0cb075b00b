import * as pulumi from "@pulumi/pulumi";
import type { TopicDeclaration } from "../../../schemas/kafka/types";
import { redact, type DiffKind } from "../common";
import { byName, diffTopicMaps, normalizeTopic, planTopics, validateTopics, type NormalizedTopic } from "./spec";
import { applyTopics, deleteTopics, readTopics, type KafkaConnection } from "./topics";

/** Plain inputs the provider works on (never the Input<> types). */
export interface KafkaTopicsInputs {
  connection: KafkaConnection;
  topics: TopicDeclaration[];
  /** File the declarations come from, named in every validation failure. */
  source: string;
  brokerCount: number;
  defaultReplicationFactor: number;
  brokerMessageMaxBytes?: number;
  /** Allows a per-topic delete + recreate (partition decrease, replication-factor change). */
  allowDestructiveChanges: boolean;
  /** Delete the declared topics when this resource is destroyed. */
  deleteTopicsOnDestroy: boolean;
}

export interface KafkaTopicsOutputs extends KafkaTopicsInputs {
  /** The declared topics as last applied or read from the cluster (refresh updates this: drift). */
  live: NormalizedTopic[];
}

const normalized = (i: Pick<KafkaTopicsInputs, "topics" | "defaultReplicationFactor">) => i.topics.map((t) => normalizeTopic(t, i.defaultReplicationFactor));
const secretsOf = (i: Partial<KafkaTopicsInputs>) => (i.connection?.sasl ? [i.connection.sasl.password] : []);

/**
 * The dynamic provider. Every method opens its own client through the functions in ./topics (nothing
 * live is captured: Pulumi serializes this object into the state).
 */
export const kafkaTopicsProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<KafkaTopicsInputs>, news: KafkaTopicsInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = validateTopics(news.topics ?? [], {
      source: news.source,
      brokerCount: news.brokerCount,
      defaultReplicationFactor: news.defaultReplicationFactor,
      brokerMessageMaxBytes: news.brokerMessageMaxBytes,
    }).map((reason) => ({ property: "topics", reason }));
    // Refuse at preview what apply would refuse, judged against the previous declarations.
    if (!failures.length && olds.topics && olds.defaultReplicationFactor) {
      const before = byName(normalized(olds as KafkaTopicsInputs));
      const plan = planTopics(normalized(news), before, news.allowDestructiveChanges);
      failures.push(...plan.refused.map((reason) => ({ property: "topics", reason: `${news.source}: ${reason}` })));
    }
    return { inputs: news, failures };
  },

  async diff(_id: pulumi.ID, olds: KafkaTopicsOutputs, news: KafkaTopicsInputs) {
    return diffKafkaTopics(olds, news);
  },

  async create(inputs: KafkaTopicsInputs) {
    const res = await applyTopics({ ...specOf(inputs) }, inputs.connection);
    return { id: "kafka-topics", outs: { ...inputs, live: res.topics } satisfies KafkaTopicsOutputs };
  },

  async update(_id: pulumi.ID, _olds: KafkaTopicsOutputs, news: KafkaTopicsInputs) {
    const res = await applyTopics(specOf(news), news.connection);
    return { outs: { ...news, live: res.topics } satisfies KafkaTopicsOutputs };
  },

  async read(id: pulumi.ID, props: KafkaTopicsOutputs) {
    const live = await readTopics(
      (props.topics ?? []).map((t) => t.name),
      props.connection,
    );
    return { id, props: { ...props, live } };
  },

  async delete(_id: pulumi.ID, props: KafkaTopicsOutputs) {
    // Topics hold data: only an explicit deleteTopicsOnDestroy removes them (older states lack the flag: keep).
    if (props.deleteTopicsOnDestroy !== true) return;
    try {
      await deleteTopics((props.topics ?? []).map((t) => t.name), props.connection);
    } catch (err) {
      throw new Error(redact((err as Error).message, secretsOf(props)));
    }
  },
};

export interface KafkaTopicsDiff extends pulumi.dynamic.DiffResult {
  changes: boolean;
  replaces: string[];
  detailedDiff: Record<string, { kind: DiffKind; inputDiff: boolean }>;
}

/**
 * Compares the new declarations with what the cluster had (old outputs, refreshed by read), so drift
 * shows as a change. Never a whole-resource replace: that would recreate every topic; per-topic
 * replaces run inside update. (The Node.js dynamic-provider host of @pulumi/pulumi 3.270 forwards only
 * changes/replaces, so the engine shows its own per-input diff; detailedDiff is kept for when it forwards it.)
 */
export function diffKafkaTopics(olds: KafkaTopicsOutputs, news: KafkaTopicsInputs): KafkaTopicsDiff {
  const detailedDiff = diffTopicMaps(byName(olds.live ?? []), byName(normalized(news)));
  if (JSON.stringify(olds.connection) !== JSON.stringify(news.connection)) detailedDiff.connection = { kind: "update", inputDiff: true };
  for (const k of ["allowDestructiveChanges", "deleteTopicsOnDestroy", "brokerCount", "source"] as const) {
    if (olds[k] !== news[k]) detailedDiff[k] = { kind: "update", inputDiff: true };
  }
  return { changes: Object.keys(detailedDiff).length > 0, detailedDiff, replaces: [], deleteBeforeReplace: false };
}

function specOf(i: KafkaTopicsInputs) {
  return {
    topics: i.topics,
    source: i.source,
    defaultReplicationFactor: i.defaultReplicationFactor,
    brokerMessageMaxBytes: i.brokerMessageMaxBytes,
    allowReplace: i.allowDestructiveChanges,
  };
}

export interface KafkaTopicsArgs {
  /** Bootstrap servers and (secret) SCRAM credentials the provider connects with. */
  readonly connection: pulumi.Input<KafkaConnection>;
  /** Declarations, normally `topics` from schemas/kafka/topics.ts. */
  readonly topics: pulumi.Input<TopicDeclaration[]>;
  /** Named in validation failures. Defaults to "schemas/kafka/topics.ts". */
  readonly source?: string;
  /** Brokers in the cluster: a topic's replication factor may not exceed it. */
  readonly brokerCount: number;
  /** Replication factor for topics that do not set one (the cluster's default.replication.factor). */
  readonly defaultReplicationFactor: number;
  /** The brokers' message.max.bytes, in bytes; caps each topic's max.message.bytes. Defaults to no check. */
  readonly brokerMessageMaxBytes?: number;
  /** Allow deleting and recreating a topic (data lost) for a partition decrease or RF change. Defaults to false. */
  readonly allowDestructiveChanges?: boolean;
  /** Delete the declared topics on destroy. Defaults to false (topics and their data are kept). */
  readonly deleteTopicsOnDestroy?: boolean;
}

/** Post-deploy topics of the Kafka cluster, from schemas/kafka, diffed per topic and per config key. */
export class KafkaTopics extends pulumi.dynamic.Resource {
  declare readonly live: pulumi.Output<NormalizedTopic[]>;
  declare readonly connection: pulumi.Output<KafkaConnection>;

  constructor(name: string, args: KafkaTopicsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      kafkaTopicsProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        topics: args.topics,
        source: args.source ?? "schemas/kafka/topics.ts",
        brokerCount: args.brokerCount,
        defaultReplicationFactor: args.defaultReplicationFactor,
        brokerMessageMaxBytes: args.brokerMessageMaxBytes,
        allowDestructiveChanges: args.allowDestructiveChanges ?? false,
        deleteTopicsOnDestroy: args.deleteTopicsOnDestroy ?? false,
        live: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection"] },
    );
  }
}
