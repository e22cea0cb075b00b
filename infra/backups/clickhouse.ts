/**
 * ClickHouse's native BACKUP / RESTORE statements and the server settings they need, rendered by
 * pure functions (no @pulumi imports) for the Kubernetes CronJob (S3 through IRSA) and for the
 * restore test on the in-process engine (an S3-compatible server or a directory).
 */
import { quoteIdent, quoteString } from "../../schemas/clickhouse/render";
import type { SchemaMode, SchemaObject } from "../../schemas/clickhouse/types";

export type ClickHouseBackupDestination =
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly region: string;
      /** The workload's key prefix (ends in "/"): the IRSA role and the lifecycle rule cover exactly it. */
      readonly prefix: string;
      /**
       * Path-style endpoint of an S3-compatible server, e.g. http://127.0.0.1:9000 (tests). Defaults
       * to AWS's virtual-hosted endpoint for bucket and region.
       */
      readonly endpoint?: string;
    }
  | {
      readonly kind: "file";
      /** Absolute directory the server allows for backups (backups.allowed_path); backups go below it. */
      readonly directory: string;
    };

export interface ClickHouseBackupSpec {
  /** Database backed up or restored, e.g. "market". */
  readonly database: string;
  /** Only these tables of the database. Defaults to the whole database. */
  readonly tables?: readonly string[];
  /** Tables left out of a whole-database backup (streaming consumers: see backupExclusions). Defaults to none. */
  readonly exclude?: readonly string[];
  /** clustered: ON CLUSTER, so every shard writes its own part of the backup. */
  readonly mode: SchemaMode;
  /** remote_servers cluster name (clustered mode). */
  readonly cluster: string;
  readonly destination: ClickHouseBackupDestination;
}

/**
 * Stands for the backup name in a statement rendered ahead of time: the CronJob replaces it with the
 * UTC time at which the job runs (clickhouseBackupJobScript).
 */
export const BACKUP_NAME_PLACEHOLDER = "@BACKUP_NAME@";

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const backupName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const region = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;
const prefix = /^([A-Za-z0-9._-]+\/)+$/;

/** Problems with a spec, each naming the field and what is allowed; empty when valid. */
export function checkClickHouseBackupSpec(s: ClickHouseBackupSpec): string[] {
  const out: string[] = [];
  const ident = (field: string, v: string) => {
    if (!identifier.test(v)) out.push(`${field}: letters, digits and _ (not starting with a digit), got ${JSON.stringify(v)}`);
  };
  ident("database", s.database);
  (s.tables ?? []).forEach((t, i) => ident(`tables[${i}]`, t));
  (s.exclude ?? []).forEach((t, i) => ident(`exclude[${i}]`, t));
  if (s.tables && s.tables.length === 0) out.push("tables: leave it out for the whole database, or name at least one table");
  if (s.tables && s.exclude?.length) out.push("exclude: only for a whole-database backup (tables is set)");
  if (s.mode !== "clustered" && s.mode !== "single-node") out.push(`mode: "clustered" or "single-node", got ${JSON.stringify(s.mode)}`);
  if (s.mode === "clustered") ident("cluster", s.cluster);
  const d = s.destination;
  if (d.kind === "s3") {
    if (!bucketName.test(d.bucket)) out.push(`destination.bucket: 3..63 lower-case letters, digits, . or -, got ${JSON.stringify(d.bucket)}`);
    if (!region.test(d.region)) out.push(`destination.region: an AWS region such as eu-west-1, got ${JSON.stringify(d.region)}`);
    if (!prefix.test(d.prefix)) out.push(`destination.prefix: relative key prefix ending in "/" (e.g. "backups/"), got ${JSON.stringify(d.prefix)}`);
    if (d.endpoint !== undefined && !/^https?:\/\/[^/\s]+$/.test(d.endpoint)) out.push(`destination.endpoint: http(s)://host[:port] without a path, got ${JSON.stringify(d.endpoint)}`);
  } else if (d.kind === "file") {
    if (!d.directory.startsWith("/") || /['\\]/.test(d.directory)) out.push(`destination.directory: an absolute path without quotes or backslashes, got ${JSON.stringify(d.directory)}`);
  } else {
    out.push(`destination.kind: "s3" or "file", got ${JSON.stringify((d as { kind?: unknown }).kind)}`);
  }
  return out;
}

function assertValid(s: ClickHouseBackupSpec, name: string): void {
  const problems = checkClickHouseBackupSpec(s);
  if (name !== BACKUP_NAME_PLACEHOLDER && !backupName.test(name)) {
    problems.push(`name: 1..128 letters, digits, ., _ or - (starting with a letter or digit), got ${JSON.stringify(name)}`);
  }
  if (problems.length) throw new Error(`ClickHouse backup: ${problems.join("; ")}`);
}

/** The backup's name as the CronJob makes it: UTC time to the second, sortable, no colons. */
export function timestampedBackupName(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-");
}

/** Base URL of the bucket: AWS virtual-hosted style, or path style on a given endpoint. */
function bucketUrl(d: Extract<ClickHouseBackupDestination, { kind: "s3" }>): string {
  return d.endpoint ? `${d.endpoint}/${d.bucket}/` : `https://${d.bucket}.s3.${d.region}.amazonaws.com/`;
}

/**
 * Key (S3) or path (file) of one backup: `<prefix><database>/<name>/`. The trailing slash makes
 * ClickHouse write a directory of files, not one archive, so a restore of a single table reads
 * only that table's files.
 */
export function backupLocation(s: ClickHouseBackupSpec, name: string): string {
  assertValid(s, name);
  const d = s.destination;
  if (d.kind === "s3") return `${d.prefix}${s.database}/${name}/`;
  return `${d.directory.replace(/\/+$/, "")}/${s.database}/${name}/`;
}

/** The destination clause: S3 without keys (the server's environment credentials) or File. */
export function backupDestination(s: ClickHouseBackupSpec, name: string): string {
  const where = backupLocation(s, name);
  const d = s.destination;
  return d.kind === "s3" ? `S3(${quoteString(`${bucketUrl(d)}${where}`)})` : `File(${quoteString(where)})`;
}

const onCluster = (s: ClickHouseBackupSpec) => (s.mode === "clustered" ? ` ON CLUSTER ${quoteIdent(s.cluster)}` : "");
const qualified = (db: string, t: string) => `${quoteIdent(db)}.${quoteIdent(t)}`;

/** What a statement covers: `TABLE a, TABLE b` or `DATABASE db [EXCEPT TABLES …]`, renamed on restore when asked. */
function targets(s: ClickHouseBackupSpec, into?: string): string {
  const as = (t?: string) => (into ? ` AS ${t ? qualified(into, t) : quoteIdent(into)}` : "");
  if (s.tables) return s.tables.map((t) => `TABLE ${qualified(s.database, t)}${as(t)}`).join(", ");
  const except = s.exclude?.length ? ` EXCEPT TABLES ${s.exclude.map((t) => qualified(s.database, t)).join(", ")}` : "";
  return `DATABASE ${quoteIdent(s.database)}${as()}${except}`;
}

/** `BACKUP … [ON CLUSTER …] TO S3('…')`: a full backup, self-contained, so the lifecycle rule may expire any one of them. */
export function backupStatement(s: ClickHouseBackupSpec, name: string): string {
  return `BACKUP ${targets(s)}${onCluster(s)} TO ${backupDestination(s, name)}`;
}

export interface RestoreOptions {
  /**
   * Restore into this database instead of the original (same table names), e.g. to compare before
   * swapping. Defaults to the original database, whose tables must then be absent or empty.
   */
  readonly into?: string;
}

/** `RESTORE … [AS …] [ON CLUSTER …] FROM S3('…')` for the same spec and backup name. */
export function restoreStatement(s: ClickHouseBackupSpec, name: string, o: RestoreOptions = {}): string {
  if (o.into !== undefined && !identifier.test(o.into)) throw new Error(`ClickHouse restore: into: letters, digits and _, got ${JSON.stringify(o.into)}`);
  return `RESTORE ${targets(s, o.into)}${onCluster(s)} FROM ${backupDestination(s, name)}`;
}

/**
 * Objects a backup must leave out: Kafka engine tables and the views reading them. Restored, they
 * would start consuming with the production consumer group (a restore beside production would steal
 * its messages); the schema provider recreates them after a restore in place.
 */
export function backupExclusions(objects: readonly SchemaObject[]): string[] {
  const kafka = new Set(objects.filter((o) => o.kind === "kafka").map((o) => o.name));
  return objects.filter((o) => kafka.has(o.name) || (o.kind === "materialized-view" && o.dependsOn.some((d) => kafka.has(d)))).map((o) => o.name);
}

/**
 * Server settings the backups need, as flat slash-separated keys (the ClickHouseInstallation's
 * `configuration.settings` form). S3: an endpoint entry for the backup prefix that takes credentials
 * from the environment (IRSA's web identity on EKS), so no key is ever written anywhere. File: the
 * directory the server may write backups to.
 */
export function backupServerSettings(d: ClickHouseBackupDestination): Record<string, string> {
  if (d.kind === "s3") {
    return { "s3/backups/endpoint": `${bucketUrl(d)}${d.prefix}`, "s3/backups/use_environment_credentials": "true" };
  }
  return { "backups/allowed_path": `${d.directory.replace(/\/+$/, "")}/` };
}

const xmlEscape = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The same settings as a config file (config.d/*.xml, or chdb's --config-file): nested elements per key segment. */
export function renderServerSettingsXml(settings: Readonly<Record<string, string>>): string {
  type Tree = { [k: string]: Tree | string };
  const tree: Tree = {};
  for (const [key, value] of Object.entries(settings)) {
    const parts = key.split("/");
    if (parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(p))) throw new Error(`server settings: key ${JSON.stringify(key)}: each segment must be an XML element name`);
    let node = tree;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (typeof next === "string") throw new Error(`server settings: key ${JSON.stringify(key)} nests under a value`);
      node = (node[p] = next ?? {}) as Tree;
    }
    node[parts[parts.length - 1]] = value;
  }
  const render = (t: Tree, indent: string): string =>
    Object.entries(t)
      .map(([k, v]) => (typeof v === "string" ? `${indent}<${k}>${xmlEscape(v)}</${k}>` : `${indent}<${k}>\n${render(v, `${indent}  `)}\n${indent}</${k}>`))
      .join("\n");
  return `<clickhouse>\n${render(tree, "  ")}\n</clickhouse>\n`;
}

/**
 * The CronJob's shell script. The statement comes from the environment with the name placeholder;
 * the password from the Secret goes into a client config file (mode 600, in the emptyDir), never
 * onto the command line. The client waits as long as the backup runs: the server answers a
 * synchronous BACKUP only when it is done.
 */
export function clickhouseBackupJobScript(o: { readonly timeoutSeconds: number }): string {
  return [
    "set -eu",
    'name="$(date -u +%Y-%m-%dT%H-%M-%SZ)"',
    `query="$(printf '%s' "$BACKUP_QUERY" | sed "s/${BACKUP_NAME_PLACEHOLDER}/$name/g")"`,
    "umask 077",
    'conf="${TMPDIR:-/tmp}/client.xml"',
    "printf '<config><user>%s</user><password>%s</password></config>\\n' \"$CLICKHOUSE_USER\" \"$CLICKHOUSE_PASSWORD\" > \"$conf\"",
    'echo "backup $name starting"',
    `clickhouse-client --config-file "$conf" --host "$CLICKHOUSE_HOST" --port 9000 --receive_timeout ${o.timeoutSeconds} --send_timeout ${o.timeoutSeconds} --query "$query"`,
    'echo "backup $name done"',
  ].join("\n");
}

/**
 * A query listing the backups of a database in the bucket (one row per backup name, newest first),
 * read by the server with the same environment credentials as the backups themselves.
 */
export function listBackupsQuery(d: ClickHouseBackupDestination, database: string): string {
  if (d.kind !== "s3") throw new Error(`ClickHouse backups: listing reads S3 only, got destination.kind ${JSON.stringify(d.kind)} (list the directory instead)`);
  const spec: ClickHouseBackupSpec = { database, mode: "single-node", cluster: "", destination: d };
  const problems = checkClickHouseBackupSpec(spec);
  if (problems.length) throw new Error(`ClickHouse backups: ${problems.join("; ")}`);
  const glob = `${bucketUrl(d)}${d.prefix}${database}/*/.backup`;
  return `SELECT splitByChar('/', _path)[-2] AS name, _time AS written FROM s3(${quoteString(glob)}, 'RawBLOB') ORDER BY name DESC`;
}
