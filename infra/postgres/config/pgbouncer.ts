import type { PostgresConfig } from "../../../stacks/schema/postgres";

export interface PgbouncerTarget {
  readonly host: string;
  readonly port: number;
}

export interface PgbouncerInput {
  readonly config: PostgresConfig;
  readonly listenHost: string;
  readonly listenPort: number;
  /** Database clients name; the read-only pool is `<database>_ro`. */
  readonly database: string;
  readonly authFile: string;
  /** Admin console user (RELOAD after a failover, SHOW POOLS for monitoring). */
  readonly adminUser: string;
  /**
   * Either the targets inline, or a file pgbouncer %includes (local: a Patroni callback rewrites it
   * so the read-write pool follows the primary).
   */
  readonly databases: { readonly readWrite: PgbouncerTarget; readonly readOnly: PgbouncerTarget } | { readonly includeFile: string };
  readonly logFile?: string;
  readonly pidFile?: string;
  readonly unixSocketDir?: string;
  /**
   * TLS toward clients (`client_tls_sslmode = require`, TLS 1.2+) and toward PostgreSQL
   * (`server_tls_sslmode = verify-full` against caFile). Defaults to none.
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/** The [databases] lines for the read-write and read-only pools. */
export function pgbouncerDatabases(database: string, readWrite: PgbouncerTarget, readOnly: PgbouncerTarget): string {
  return [
    `${database} = host=${readWrite.host} port=${readWrite.port} dbname=${database}`,
    `${database}_ro = host=${readOnly.host} port=${readOnly.port} dbname=${database}`,
    "",
  ].join("\n");
}

/** pgbouncer.ini in transaction mode; the same text for the Kubernetes Deployment and the local process. */
export function renderPgbouncerIni(p: PgbouncerInput): string {
  const pg = p.config.pgbouncer;
  const dbs = "includeFile" in p.databases ? `%include ${p.databases.includeFile}\n` : pgbouncerDatabases(p.database, p.databases.readWrite, p.databases.readOnly);
  return [
    "[databases]",
    dbs.trimEnd(),
    "",
    "[pgbouncer]",
    `listen_addr = ${p.listenHost}`,
    `listen_port = ${p.listenPort}`,
    `unix_socket_dir = ${p.unixSocketDir ?? ""}`,
    "auth_type = scram-sha-256",
    `auth_file = ${p.authFile}`,
    `admin_users = ${p.adminUser}`,
    `stats_users = ${p.adminUser}`,
    "pool_mode = transaction",
    `default_pool_size = ${pg.defaultPoolSize}`,
    `max_client_conn = ${pg.maxClientConn}`,
    "reserve_pool_size = 5",
    "reserve_pool_timeout = 3",
    // Fail fast while the primary moves, so clients retry instead of hanging.
    "server_connect_timeout = 3",
    "server_login_retry = 1",
    "query_wait_timeout = 30",
    "server_check_query = select 1",
    "server_check_delay = 5",
    // Prepared statements are not safe in transaction mode before pgbouncer 1.21.
    "ignore_startup_parameters = extra_float_digits,options",
    ...(p.tls
      ? [
          "client_tls_sslmode = require",
          `client_tls_cert_file = ${p.tls.certFile}`,
          `client_tls_key_file = ${p.tls.keyFile}`,
          "client_tls_protocols = secure",
          "server_tls_sslmode = verify-full",
          `server_tls_ca_file = ${p.tls.caFile}`,
          "server_tls_protocols = secure",
        ]
      : []),
    ...(p.logFile ? [`logfile = ${p.logFile}`] : []),
    ...(p.pidFile ? [`pidfile = ${p.pidFile}`] : []),
    "",
  ].join("\n");
}

/** userlist.txt: pgbouncer accepts plain passwords here and still speaks SCRAM to clients and servers. */
export function renderPgbouncerUserlist(users: Readonly<Record<string, string>>): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return Object.entries(users)
    .map(([u, p]) => `${q(u)} ${q(p)}`)
    .join("\n")
    .concat("\n");
}
