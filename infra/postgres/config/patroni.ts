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
}

export const SUPERUSER = "postgres";
export const REPLICATION_USER = "replicator";

/** scram-sha-256 only: no md5, no trust, not even on the local socket. */
export function pgHba(clientCidr: string): string[] {
  return [
    "local all all scram-sha-256",
    `host replication ${REPLICATION_USER} ${clientCidr} scram-sha-256`,
    `host all all ${clientCidr} scram-sha-256`,
  ];
}

/**
 * patroni.yml as an object. The Kubernetes StatefulSet (through Spilo's SPILO_CONFIGURATION) and the
 * local members both use it; the `dcs` input picks etcd3 or Kubernetes and nothing else changes.
 */
export function patroniConfig(input: PatroniConfigInput): Record<string, unknown> {
  const { config: c, member: m } = input;
  const dcs =
    input.dcs.kind === "etcd3"
      ? { etcd3: { hosts: [...input.dcs.hosts], protocol: "http" } }
      : {
          kubernetes: {
            use_endpoints: true,
            labels: { ...input.dcs.labels },
            scope_label: input.dcs.scopeLabel,
            role_label: input.dcs.roleLabel,
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
          pg_hba: pgHba(input.clientCidr),
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
        replication: { username: REPLICATION_USER, password: input.credentials.replicationPassword },
        rewind: { username: SUPERUSER, password: input.credentials.superuserPassword },
      },
      parameters: m.socketDir ? { unix_socket_directories: m.socketDir } : {},
      pg_hba: pgHba(input.clientCidr),
      ...(input.callbacks ? { callbacks: { ...input.callbacks } } : {}),
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

export function renderPatroniYaml(input: PatroniConfigInput): string {
  return stringify(patroniConfig(input));
}

/**
 * The SPILO_CONFIGURATION document for the Kubernetes StatefulSet: patroniConfig() minus what Spilo
 * fills in per pod (member name, addresses, data directory) and the credentials, which Spilo reads
 * from Secret-backed environment variables so no password sits in the pod spec.
 */
export function spiloConfiguration(input: Omit<PatroniConfigInput, "member" | "credentials"> & { port: number; restApiPort: number }): string {
  const full = patroniConfig({
    ...input,
    member: { name: "$(POD_NAME)", host: "$(POD_IP)", listenHost: "0.0.0.0", port: input.port, restApiPort: input.restApiPort, dataDir: "" },
    credentials: { superuserPassword: "", replicationPassword: "" },
  });
  const { name: _name, restapi: _restapi, postgresql, ...rest } = full as { name: unknown; restapi: unknown; postgresql: Record<string, unknown> };
  const { listen: _l, connect_address: _c, data_dir: _d, authentication: _a, ...pg } = postgresql;
  const k8s = (rest as { kubernetes?: Record<string, unknown> }).kubernetes;
  if (k8s) delete k8s.pod_ip;
  return stringify({ ...rest, postgresql: pg });
}
