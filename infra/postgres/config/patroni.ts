import { stringify } from "yaml";
import type { PostgresConfig } from "../../../stacks/schema/postgres";
import { postgresParameters } from "./parameters";

/** Where Patroni keeps its leader lock and cluster state. Only this section differs between targets. */
export type PatroniDcs =
  | { readonly kind: "etcd3"; readonly hosts: readonly string[] }
  | {
      readonly kind: "kubernetes";
      /** Labels Patroni puts on (and selects) the member pods. */
      readonly labels: Readonly<Record<string, string>>;
      readonly scopeLabel: string;
      readonly roleLabel: string;
    };

export interface PatroniMember {
  /** Member name (pod name on Kubernetes). */
  readonly name: string;
  /** Address other members and clients reach this member on. */
  readonly host: string;
  readonly listenHost: string;
  readonly port: number;
  readonly restApiPort: number;
  readonly dataDir: string;
  readonly binDir?: string;
  /** Directory for the Unix socket (local only; Spilo sets its own). */
  readonly socketDir?: string;
  readonly pgpassPath?: string;
}

export interface PatroniCredentials {
  readonly superuserPassword: string;
  readonly replicationPassword: string;
}

export interface PatroniConfigInput {
  /** Cluster name (Patroni scope). */
  readonly scope: string;
  readonly config: PostgresConfig;
  readonly dcs: PatroniDcs;
  readonly member: PatroniMember;
  readonly credentials: PatroniCredentials;
  /** CIDR clients and replicas connect from (127.0.0.1/32 locally, the pod network on Kubernetes). */
  readonly clientCidr: string;
  /** Patroni callbacks, e.g. { on_role_change: "/path/script args" }. */
  readonly callbacks?: Readonly<Record<string, string>>;
  /**
   * Permanent logical replication slots (slot name → database and output plugin), kept by Patroni on
   * every member so a CDC reader (Debezium, infra/cdc) resumes on the new primary after a failover.
   * Defaults to none.
   */
  readonly permanentSlots?: Readonly<Record<string, { readonly database: string; readonly plugin: string }>>;
  /**
   * Continuous WAL archiving (infra/backups/pgbackrest.ts renders the commands). Member-level settings,
   * because each member's command names its own pgbackrest.conf. Defaults to none (no archive).
   */
  readonly archive?: PatroniArchive;
  /** Server TLS. Defaults to none (ssl off). */
  readonly tls?: PostgresTls;
}

export interface PostgresTls {
  /** PEM files as the server sees them (a mounted Secret on Kubernetes). */
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * Refuse unencrypted connections from clientCidr (hostssl) and make replicas and pg_rewind insist on
   * TLS. Loopback stays plain for same-pod sidecars. False only where every client is on loopback anyway
   * (the local tier), so the distinction cannot be drawn there.
   */
  readonly requireForRemote: boolean;
}

export interface PatroniArchive {
  /** archive_command, e.g. `pgbackrest ... archive-push %p`. */
  readonly archiveCommand: string;
  /** Seconds after which a partly filled WAL segment is switched and archived: bounds what a total loss costs. */
  readonly archiveTimeoutSeconds: number;
}

export const SUPERUSER = "postgres";
/** Values of the role label Patroni sets on the pods (the primary and replica Services select on them). */
export const LEADER_LABEL_VALUE = "master";
export const FOLLOWER_LABEL_VALUE = "replica";
export const REPLICATION_USER = "replicator";

/** scram-sha-256 only: no md5, no trust, not even on the local socket; `hostssl` for the network when TLS is required. */
export function pgHba(clientCidr: string, requireTls = false): string[] {
  const remote = requireTls ? "hostssl" : "host";
  const lines = [
    "local all all scram-sha-256",
    // Sidecars (exporter, backup agent) reach the server over loopback.
    "host all all 127.0.0.1/32 scram-sha-256",
    `${remote} replication ${REPLICATION_USER} ${clientCidr} scram-sha-256`,
    `${remote} all all ${clientCidr} scram-sha-256`,
  ];
  return [...new Set(lines)];
}

/** ssl parameters: TLS 1.2 at least, the server's cipher order. */
export function tlsParameters(t: PostgresTls): Record<string, string> {
  return { ssl: "on", ssl_cert_file: t.certFile, ssl_key_file: t.keyFile, ssl_min_protocol_version: "TLSv1.2", ssl_prefer_server_ciphers: "on" };
}

/**
 * patroni.yml as an object. The Kubernetes StatefulSet (through Spilo's SPILO_CONFIGURATION) and the
 * local members both use it; the `dcs` input picks etcd3 or Kubernetes and nothing else changes.
 */
export function patroniConfig(input: PatroniConfigInput): Record<string, unknown> {
  const { config: c, member: m } = input;
  // Patroni puts sslmode into primary_conninfo and pg_rewind's connection.
  const sslmode = input.tls?.requireForRemote ? { sslmode: "require" } : {};
  const dcs =
    input.dcs.kind === "etcd3"
      ? { etcd3: { hosts: [...input.dcs.hosts], protocol: "http" } }
      : {
          kubernetes: {
            use_endpoints: true,
            labels: { ...input.dcs.labels },
            scope_label: input.dcs.scopeLabel,
            role_label: input.dcs.roleLabel,
            // Pinned: Patroni 4 changed the leader's default label value to "primary", which would leave
            // the primary Service (selecting "master") without endpoints after an image upgrade.
            leader_label_value: LEADER_LABEL_VALUE,
            follower_label_value: FOLLOWER_LABEL_VALUE,
            pod_ip: m.host,
            ports: [{ name: "postgresql", port: m.port }],
          },
        };
  return {
    scope: input.scope,
    name: m.name,
    restapi: { listen: `${m.listenHost}:${m.restApiPort}`, connect_address: `${m.host}:${m.restApiPort}` },
    ...dcs,
    bootstrap: {
      dcs: {
        ttl: c.ttl,
        loop_wait: c.loopWait,
        retry_timeout: c.retryTimeout,
        maximum_lag_on_failover: c.maximumLagOnFailover,
        synchronous_mode: true,
        synchronous_node_count: c.synchronousNodeCount,
        ...(input.permanentSlots && Object.keys(input.permanentSlots).length
          ? { slots: Object.fromEntries(Object.entries(input.permanentSlots).map(([n, s]) => [n, { type: "logical", database: s.database, plugin: s.plugin }])) }
          : {}),
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: postgresParameters(c.resources),
          pg_hba: pgHba(input.clientCidr, input.tls?.requireForRemote),
        },
      },
      initdb: [{ encoding: "UTF8" }, { locale: "C.UTF-8" }, "data-checksums", { "auth-host": "scram-sha-256" }, { "auth-local": "scram-sha-256" }],
    },
    postgresql: {
      listen: `${m.listenHost}:${m.port}`,
      connect_address: `${m.host}:${m.port}`,
      data_dir: m.dataDir,
      ...(m.binDir ? { bin_dir: m.binDir } : {}),
      ...(m.pgpassPath ? { pgpass: m.pgpassPath } : {}),
      use_pg_rewind: true,
      authentication: {
        superuser: { username: SUPERUSER, password: input.credentials.superuserPassword },
        replication: { username: REPLICATION_USER, password: input.credentials.replicationPassword, ...sslmode },
        rewind: { username: SUPERUSER, password: input.credentials.superuserPassword, ...sslmode },
      },
      parameters: {
        ...(m.socketDir ? { unix_socket_directories: m.socketDir } : {}),
        ...(input.archive
          ? { archive_mode: "on", archive_command: input.archive.archiveCommand, archive_timeout: input.archive.archiveTimeoutSeconds }
          : {}),
        ...(input.tls ? tlsParameters(input.tls) : {}),
      },
      // No restore_command for the members. With one, a replica could replay from the archive a segment of the dead
      // primary that ends past the point where the new leader forked its timeline (the segment switch archive_timeout
      // forces), and then never stream again: "requested starting point … is not in this server's history", while
      // Patroni 3.0 keeps reporting it as following and never rewinds it. Seen in 3 of 4 kill -9 failovers on the
      // local cluster. Replicas stream only, their WAL kept by Patroni's slots; a point-in-time recovery gets its
      // restore_command from `pgbackrest restore` (docs/runbook-restore.md).
      pg_hba: pgHba(input.clientCidr, input.tls?.requireForRemote),
      ...(input.callbacks ? { callbacks: { ...input.callbacks } } : {}),
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

export function renderPatroniYaml(input: PatroniConfigInput): string {
  return stringify(patroniConfig(input));
}

/**
 * Environment variables Patroni reads over its config file (Patroni's documented PATRONI_* names). On
 * Kubernetes they carry what differs per pod and the passwords, so the patroni.yml ConfigMap is the
 * same for every member and holds no secret.
 */
export const PATRONI_POD_ENV = {
  name: "PATRONI_NAME",
  podIp: "PATRONI_KUBERNETES_POD_IP",
  namespace: "PATRONI_KUBERNETES_NAMESPACE",
  restApiConnect: "PATRONI_RESTAPI_CONNECT_ADDRESS",
  postgresConnect: "PATRONI_POSTGRESQL_CONNECT_ADDRESS",
  superuserPassword: "PATRONI_SUPERUSER_PASSWORD",
  replicationPassword: "PATRONI_REPLICATION_PASSWORD",
  rewindPassword: "PATRONI_REWIND_PASSWORD",
} as const;

/**
 * patroni.yml for the Kubernetes pods: patroniConfig() with the per-pod fields and passwords left to
 * PATRONI_POD_ENV, so the file can live in a ConfigMap.
 */
export function kubernetesPatroniYaml(input: Omit<PatroniConfigInput, "credentials" | "member"> & { readonly member: Omit<PatroniMember, "name" | "host"> }): string {
  const full = patroniConfig({
    ...input,
    member: { ...input.member, name: "", host: "" },
    credentials: { superuserPassword: "", replicationPassword: "" },
  }) as { restapi: Record<string, unknown>; postgresql: Record<string, unknown>; kubernetes?: Record<string, unknown> } & Record<string, unknown>;
  const { name: _name, ...rest } = full;
  const { connect_address: _rc, ...restapi } = full.restapi;
  const { connect_address: _pc, authentication: _a, ...pg } = full.postgresql;
  const kubernetes = full.kubernetes ? (({ pod_ip: _ip, ...k }) => k)(full.kubernetes) : undefined;
  return stringify({
    ...rest,
    restapi,
    ...(kubernetes ? { kubernetes } : {}),
    postgresql: {
      ...pg,
      authentication: {
        superuser: { username: SUPERUSER },
        replication: { username: REPLICATION_USER, ...(input.tls?.requireForRemote ? { sslmode: "require" } : {}) },
        rewind: { username: SUPERUSER, ...(input.tls?.requireForRemote ? { sslmode: "require" } : {}) },
      },
    },
  });
}
