import * as pulumi from "@pulumi/pulumi";
import { applyMigrations, readAppliedMigrations } from "./apply";
import { checkMigrations, diffMigrations, type MigrationsInputs, type MigrationsOutputs } from "./diff";
import type { Login } from "./logins";
import type { MigrationFile } from "./migration-files";

/**
 * Dynamic provider for PostgresMigrations. Every method opens its own connection (Pulumi serializes
 * this object into state); the logic lives in apply.ts and diff.ts, which the tests call directly.
 */
export const postgresMigrationsProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<MigrationsOutputs>, news: MigrationsInputs) {
    return { inputs: news, failures: checkMigrations(olds, news) };
  },
  async diff(_id: string, olds: MigrationsOutputs, news: MigrationsInputs) {
    const d = diffMigrations(olds, news);
    return { changes: d.changes, detailedDiff: d.detailedDiff, replaces: d.replaces, deleteBeforeReplace: false };
  },
  async create(inputs: MigrationsInputs) {
    const r = await applyMigrations(inputs);
    const outs: MigrationsOutputs = { ...inputs, applied: r.applied, activePartitions: r.activePartitions };
    return { id: "postgres-migrations", outs };
  },
  async update(_id: string, _olds: MigrationsOutputs, news: MigrationsInputs) {
    const r = await applyMigrations(news);
    const outs: MigrationsOutputs = { ...news, applied: r.applied, activePartitions: r.activePartitions };
    return { outs };
  },
  async read(id: string, props?: MigrationsOutputs) {
    if (!props?.connectionString) return { id, props: props ?? {} };
    const logins = props.logins ?? [];
    const now = await readAppliedMigrations(props, logins.map((l) => l.name));
    // A login dropped by hand leaves the state, so the next diff plans to create it again.
    return { id, props: { ...props, applied: now.applied, activePartitions: now.activePartitions, logins: logins.filter((l) => now.logins.has(l.name)) } };
  },
  // Schemas hold the trading data: removing the resource from the stack never drops anything.
  async delete() {},
};

export interface PostgresMigrationsArgs {
  /** libpq URL reaching PostgreSQL directly (not PgBouncer); multi-host with target_session_attrs=read-write. Secret. */
  readonly connectionString: pulumi.Input<string>;
  /** Migration files, usually loadMigrationFiles("schemas/postgres"). */
  readonly migrations: pulumi.Input<MigrationFile[]>;
  /** Months of transaction-history partitions created ahead and kept online. */
  readonly partitions: pulumi.Input<{ monthsAhead: number; retentionMonths: number }>;
  /** Drop retired partitions instead of only detaching them. Defaults to false. */
  readonly allowDestructiveChanges?: pulumi.Input<boolean>;
  /** Service logins to create or keep in step with their passwords (secret), after the migrations. Defaults to none. */
  readonly logins?: pulumi.Input<Login[]>;
}

/** Applies schemas/postgres/*.sql in order, once each, with checksums recorded in schema_migrations. */
export class PostgresMigrations extends pulumi.dynamic.Resource {
  declare readonly applied: pulumi.Output<Record<string, string>>;
  declare readonly activePartitions: pulumi.Output<string[]>;
  declare readonly connectionString: pulumi.Output<string>;

  constructor(name: string, args: PostgresMigrationsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      postgresMigrationsProvider,
      name,
      {
        connectionString: pulumi.secret(args.connectionString),
        migrations: args.migrations,
        partitions: args.partitions,
        allowDestructiveChanges: args.allowDestructiveChanges ?? false,
        logins: pulumi.secret(args.logins ?? []),
        applied: undefined,
        activePartitions: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connectionString", "logins"] },
    );
  }
}
