import * as pulumi from "@pulumi/pulumi";
import type { SchemaMode, SchemaObject } from "../../../schemas/clickhouse";
import { redact } from "../common";
import { withExecutor, type ClickHouseConnection } from "./executor";
import { applyClickHouseSchema, readClickHouseSchema } from "./schema-apply";
import { checkClickHouseSchema, diffClickHouseSchema, type SchemaInputs, type SchemaOutputs } from "./schema-diff";

const secretsOf = (c?: ClickHouseConnection) => (c?.kind === "http" ? [c.password] : []);

/** Errors leave the provider without the password, whatever the client put in them. */
async function guarded<T>(conn: ClickHouseConnection | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as Error;
    err.message = redact(err.message, secretsOf(conn));
    throw err;
  }
}

async function apply(inputs: SchemaInputs): Promise<SchemaOutputs> {
  const r = await guarded(inputs.connection, () => withExecutor(inputs.connection, (exec) => applyClickHouseSchema(exec, inputs)));
  return { ...inputs, checksums: r.checksums, actions: r.actions };
}

/**
 * Dynamic provider for ClickHouseSchema. Each method opens its own executor (Pulumi serializes this
 * object); the logic lives in schema-apply.ts / schema-diff.ts, which the tests call directly.
 */
export const clickhouseSchemaProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Partial<SchemaOutputs>, news: SchemaInputs) {
    return { inputs: news, failures: checkClickHouseSchema(news) };
  },
  async diff(_id: string, olds: SchemaOutputs, news: SchemaInputs) {
    const d = diffClickHouseSchema(olds, news);
    return { changes: d.changes, detailedDiff: d.detailedDiff, replaces: d.replaces, deleteBeforeReplace: false };
  },
  async create(inputs: SchemaInputs) {
    return { id: `clickhouse-schema-${inputs.database}`, outs: await apply(inputs) };
  },
  async update(_id: string, _olds: SchemaOutputs, news: SchemaInputs) {
    return { outs: await apply(news) };
  },
  async read(id: string, props?: SchemaOutputs) {
    if (!props?.connection) return { id, props: props ?? {} };
    const now = await guarded(props.connection, () => withExecutor(props.connection, (exec) => readClickHouseSchema(exec, props)));
    return { id, props: { ...props, checksums: now } };
  },
  // The tables hold market data: removing the resource from the stack never drops anything.
  async delete() {},
};

export interface ClickHouseSchemaArgs {
  /** How to reach the engine: `{ kind: "http", url, username, password }` (secret) or `{ kind: "chdb", dataDir }`. */
  readonly connection: pulumi.Input<ClickHouseConnection>;
  /** "clustered" (ON CLUSTER, Replicated engines) or "single-node"; must match how `objects` were rendered. */
  readonly mode: pulumi.Input<SchemaMode>;
  /** Cluster name in remote_servers (used for ON CLUSTER in clustered mode). */
  readonly cluster: pulumi.Input<string>;
  /** Database holding the objects and the _schema_applied state table. */
  readonly database: pulumi.Input<string>;
  /** Objects in apply order, from renderClickHouseSchema(). */
  readonly objects: pulumi.Input<SchemaObject[]>;
  /** Allow dropping columns/tables and rebuilding tables (ORDER BY, engine, type changes). Defaults to false. */
  readonly allowDestructiveChanges?: pulumi.Input<boolean>;
}

/** Applies the ClickHouse market-data schema idempotently and records (name, checksum) per object. */
export class ClickHouseSchema extends pulumi.dynamic.Resource {
  declare readonly checksums: pulumi.Output<Record<string, string>>;
  declare readonly actions: pulumi.Output<string[]>;
  declare readonly connection: pulumi.Output<ClickHouseConnection>;

  constructor(name: string, args: ClickHouseSchemaArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      clickhouseSchemaProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        mode: args.mode,
        cluster: args.cluster,
        database: args.database,
        objects: args.objects,
        allowDestructiveChanges: args.allowDestructiveChanges ?? false,
        checksums: undefined,
        actions: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection"] },
    );
  }
}
