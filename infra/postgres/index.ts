import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Environment, StackConfig } from "../../stacks/config";
import { workloadBucket } from "../aws/storage";
import type { PostgresConfig } from "../../stacks/schema/postgres";
import { serviceHost, standardLabels } from "../platform/labels";
import { loadMigrationFiles } from "../providers/postgres/migration-files";
import type { Login } from "../providers/postgres/logins";
import { PostgresMigrations } from "../providers/postgres/provider";
import * as path from "node:path";
import { SUPERUSER } from "./config/patroni";
import { DATABASE, EXPORTER_PORT, PATRONI_PORT, PG_PORT, PGBOUNCER_PORT, ROLE_LABEL, SCOPE_LABEL } from "./names";
import { pgbouncerDeployment } from "./pgbouncer";
import { patroniRbac } from "./rbac";
import { postgresDnsNames, postgresTlsSecret } from "./tls";
import { imageUsers } from "../security";
import { patroniStatefulSet, type PostgresBackupTarget } from "./statefulset";

export type { PostgresBackupTarget } from "./statefulset";

/** pgBackRest's S3 repository for a stack, when it has AWS resources (prod); pure, known at preview. */
export function postgresBackupTarget(cfg: StackConfig): (PostgresBackupTarget & { roleArn: string }) | undefined {
  const { enabled, region, eksOidcProviderArn } = cfg.aws;
  if (!enabled || !region || !eksOidcProviderArn) return undefined;
  const b = workloadBucket({ namespace: cfg.namespace, region, eksOidcProviderArn }, "postgres");
  return {
    bucket: b.bucket,
    region: b.region,
    prefix: b.prefix,
    roleArn: b.roleArn,
    retentionDays: cfg.backups.postgresRetentionDays,
    fullBackupHours: cfg.backups.postgresFullBackupHours,
  };
}

export interface PostgresClusterArgs {
  /** Namespace the objects go in (ignored on the local stack). */
  readonly namespace: pulumi.Input<string>;
  readonly environment: Environment;
  /** Validated system config from the stack (stacks/schema/postgres.ts documents every field). */
  readonly config: PostgresConfig;
  /** StorageClass of each member's data PVC. Defaults to the cluster's default class (left unset). */
  readonly storageClass?: string;
  /** postgres_exporter sidecar image, pinned. Defaults to quay.io/prometheuscommunity/postgres-exporter:v0.15.0. */
  readonly exporterImage?: string;
  /** CIDR pg_hba admits (scram-sha-256 only). Defaults to 10.0.0.0/8, the usual pod network. */
  readonly clientCidr?: string;
  /**
   * WAL archive and scheduled base backups with pgBackRest to this S3 repository, reached through the
   * IRSA role in `roleArn` (annotated on the members' ServiceAccount). Defaults to none: no archive, so
   * no point-in-time recovery; prod always has one (stacks/config.ts requires aws.enabled there).
   */
  readonly backup?: PostgresBackupTarget & { readonly roleArn: string };
  /**
   * Apply schemas/postgres with the PostgresMigrations provider after the cluster. Defaults to off.
   * `connectionString` (secret) must reach PostgreSQL directly from where Pulumi runs; it is required on
   * the local stack and defaults to the in-cluster primary Service on Kubernetes (runners inside the cluster).
   */
  readonly migrations?: {
    readonly connectionString?: pulumi.Input<string>;
    /** Directory of NNNN_name.sql files. Defaults to schemas/postgres in this repository. */
    readonly dir?: string;
    /** Drop (not just detach) partitions past retention. Defaults to false. */
    readonly allowDestructiveChanges?: boolean;
  };
}

export interface PostgresClusterEndpoints {
  readonly primary: string;
  readonly replicas: string;
  readonly pooler: string;
  readonly database: string;
}

/** Secret connection strings for the services that use the database. */
export interface PostgresConnectionStrings {
  /** Direct to the primary as superuser: for migrations. */
  readonly primary: string;
  /** Through PgBouncer's read-write pool as the application login. */
  readonly pooler: string;
  /** Through PgBouncer's read-only pool as the application login. */
  readonly poolerReadOnly: string;
}

const APP_USER = "app";
/** What the app login is granted: the roles migration 0001 creates (read-write and read-only on the schema). */
export const APP_LOGIN_ROLES = ["app_rw", "app_ro"] as const;
const PGBOUNCER_ADMIN = "pgbouncer_admin";

/**
 * PostgreSQL under Patroni run directly (no operator): a StatefulSet running Patroni from our
 * patroni.yml on the Kubernetes DCS, pgBackRest WAL archiving and scheduled base backups to S3,
 * primary/replica Services on Patroni's role label, PgBouncer, postgres_exporter, PDB and RBAC.
 * On the local stack the same patroni.yml runs as local processes (local/services/postgres.ts), so
 * nothing is registered here.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  readonly endpoints: pulumi.Output<PostgresClusterEndpoints>;
  /** Secret. */
  readonly connectionStrings?: pulumi.Output<PostgresConnectionStrings>;
  /** Name of the Kubernetes Secret holding superuser/replication/app passwords. */
  readonly credentialsSecretName?: pulumi.Output<string>;
  /** PEM of the generated CA the server certificate chains to (public); absent with cert-manager or on local. */
  readonly caCertificate?: pulumi.Output<string>;
  /**
   * The services' login behind PgBouncer, with its generated password (secret): the post-deploy migrations create
   * it, since Patroni creates only its own superuser and replication users.
   */
  readonly appLogin?: pulumi.Output<Login>;
  /** Present when Args.migrations is set. */
  migrations?: PostgresMigrations;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:postgres:PostgresCluster", name, {}, opts);
    const ns = pulumi.output(args.namespace);
    this.endpoints = ns.apply((n) => ({
      primary: `${serviceHost(`${name}-primary`, n)}:${PG_PORT}`,
      replicas: `${serviceHost(`${name}-replica`, n)}:${PG_PORT}`,
      pooler: `${serviceHost(`${name}-pgbouncer`, n)}:${PGBOUNCER_PORT}`,
      database: DATABASE,
    }));
    if (args.environment === "local") {
      if (args.migrations) {
        if (!args.migrations.connectionString) throw new Error("PostgresCluster: migrations.connectionString is required on the local stack (the local tier's endpoints)");
        this.migrations = this.migrationsResource(name, args, args.migrations.connectionString);
      }
      this.registerOutputs({ endpoints: this.endpoints });
      return;
    }

    const c = args.config;
    const podLabels = standardLabels("postgres", "database", { [SCOPE_LABEL]: name });
    const password = (role: string) =>
      new random.RandomPassword(`${name}-${role}-password`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
    const superuser = password("superuser");
    const replication = password("replication");
    const app = password("app");
    const pgbAdmin = password("pgbouncer-admin");
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: `${name}-credentials`, namespace: args.namespace, labels: podLabels },
        stringData: {
          "superuser-password": superuser.result,
          "replication-password": replication.result,
          "app-password": app.result,
          "pgbouncer-admin-password": pgbAdmin.result,
        },
      },
      { parent: this },
    );
    const tlsSecret = postgresTlsSecret(
      { name, namespace: args.namespace, labels: podLabels, dnsNames: ns.apply((n) => postgresDnsNames(name, n)), config: c.tls },
      this,
    );
    const sa = patroniRbac(name, args.namespace, podLabels, this, args.backup ? { "eks.amazonaws.com/role-arn": args.backup.roleArn } : {});
    patroniStatefulSet(
      {
        name,
        namespace: args.namespace,
        environment: args.environment,
        config: c,
        storageClass: args.storageClass ?? "",
        podLabels,
        serviceAccountName: sa.metadata.name,
        credentialsSecret: credentials.metadata.name,
        exporterImage: args.exporterImage ?? "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
        clientCidr: args.clientCidr ?? "10.0.0.0/8",
        backup: args.backup,
        user: imageUsers.patroni,
        tlsSecret: tlsSecret.secretName,
      },
      this,
    );

    const svc = (role: string, spec: k8s.types.input.core.v1.ServiceSpec) =>
      new k8s.core.v1.Service(`${name}-${role}`, { metadata: { name: `${name}-${role}`, namespace: args.namespace, labels: podLabels }, spec }, { parent: this });
    const pgPorts = [{ name: "postgresql", port: PG_PORT, targetPort: PG_PORT }];
    svc("headless", {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: podLabels,
      ports: [...pgPorts, { name: "patroni", port: PATRONI_PORT, targetPort: PATRONI_PORT }, { name: "metrics", port: EXPORTER_PORT, targetPort: EXPORTER_PORT }],
    });
    svc("primary", { selector: { ...podLabels, [ROLE_LABEL]: "master" }, ports: pgPorts });
    svc("replica", { selector: { ...podLabels, [ROLE_LABEL]: "replica" }, ports: pgPorts });

    // Never more than one member down by choice: with synchronous_mode a second loss stops writes.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      { metadata: { name, namespace: args.namespace, labels: podLabels }, spec: { maxUnavailable: 1, selector: { matchLabels: podLabels } } },
      { parent: this },
    );

    const pgbName = `${name}-pgbouncer`;
    pgbouncerDeployment(
      {
        name: pgbName,
        namespace: args.namespace,
        config: c,
        labels: standardLabels("postgres", "pgbouncer", { [SCOPE_LABEL]: name }),
        primaryService: `${name}-primary`,
        replicaService: `${name}-replica`,
        users: pulumi
          .all([superuser.result, app.result, pgbAdmin.result])
          // Under unit-test mocks a RandomPassword has no result; a real one always does.
          .apply(([s, a, p]): Record<string, string> =>
            Object.fromEntries(Object.entries({ [SUPERUSER]: s, [APP_USER]: a, [PGBOUNCER_ADMIN]: p }).filter(([, v]) => typeof v === "string")),
          ),
        adminUser: PGBOUNCER_ADMIN,
        requireAntiAffinity: args.environment === "prod",
        tlsSecret: tlsSecret.secretName,
      },
      this,
    );

    this.credentialsSecretName = credentials.metadata.name;
    this.caCertificate = tlsSecret.caCertificate;
    this.appLogin = pulumi.secret(app.result.apply((password): Login => ({ name: APP_USER, password, memberOf: [...APP_LOGIN_ROLES] })));
    this.connectionStrings = pulumi.secret(
      pulumi.all([this.endpoints, superuser.result, app.result]).apply(([e, s, a]) => ({
        // sslmode=require: the server and PgBouncer refuse plain connections from the network; clients that
        // want verify-full take the CA from the caCertificate output (or the Secret's ca.crt).
        primary: `postgresql://${SUPERUSER}:${encodeURIComponent(s)}@${e.primary}/${DATABASE}?target_session_attrs=read-write&sslmode=require`,
        pooler: `postgresql://${APP_USER}:${encodeURIComponent(a)}@${e.pooler}/${DATABASE}?sslmode=require`,
        poolerReadOnly: `postgresql://${APP_USER}:${encodeURIComponent(a)}@${e.pooler}/${DATABASE}_ro?sslmode=require`,
      })),
    );
    if (args.migrations) {
      const url = args.migrations.connectionString ?? this.connectionStrings.apply((c) => c.primary);
      this.migrations = this.migrationsResource(name, args, url, [credentials], this.appLogin.apply((l) => [l]));
    }
    this.registerOutputs({ endpoints: this.endpoints, connectionStrings: this.connectionStrings, credentialsSecretName: this.credentialsSecretName, caCertificate: this.caCertificate });
  }

  private migrationsResource(
    name: string,
    args: PostgresClusterArgs,
    url: pulumi.Input<string>,
    dependsOn: pulumi.Resource[] = [],
    logins?: pulumi.Input<Login[]>,
  ): PostgresMigrations {
    const dir = args.migrations?.dir ?? path.resolve(__dirname, "../../schemas/postgres");
    return new PostgresMigrations(
      `${name}-migrations`,
      {
        connectionString: url,
        migrations: loadMigrationFiles(dir),
        partitions: { monthsAhead: args.config.retention.partitionsAhead, retentionMonths: args.config.retention.transactionMonths },
        allowDestructiveChanges: args.migrations?.allowDestructiveChanges ?? false,
        logins,
      },
      { parent: this, dependsOn },
    );
  }
}
