/**
 * pgbackrest.conf and the archive/restore commands, rendered by one pure function for both the
 * Patroni pods (S3 repository through IRSA) and the local restore test (a directory repository).
 */

import type { PatroniArchive } from "../postgres/config/patroni";

export type PgBackRestRepo =
  | { readonly type: "posix"; /** Absolute directory of the repository. */ readonly path: string }
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly region: string;
      /** Repository path inside the bucket: "/" + the workload's prefix without its slash ("/pgbackrest"). */
      readonly path: string;
    };

export interface PgBackRestSpec {
  /** Stanza name: one per Postgres cluster (Patroni scope). */
  readonly stanza: string;
  /** PGDATA of the local member. */
  readonly pgDataDir: string;
  readonly pgPort: number;
  /** Directory of the server's Unix socket (pgBackRest connects through it). */
  readonly pgSocketDir: string;
  readonly repo: PgBackRestRepo;
  /** Point-in-time-recovery window in days (backups.postgresRetentionDays); older full backups and their WAL are expired. */
  readonly retentionDays: number;
  /** Directory for pgBackRest's own logs, locks and async spool. */
  readonly workDir: string;
  /** Parallel processes for backup/restore. Defaults to 2. */
  readonly processMax?: number;
}

const name = /^[A-Za-z0-9_-]+$/;

/** Problems with a spec, each naming the field; empty when valid. */
export function checkPgBackRestSpec(s: PgBackRestSpec): string[] {
  const out: string[] = [];
  if (!name.test(s.stanza)) out.push(`stanza: letters, digits, _ and - only, got ${JSON.stringify(s.stanza)}`);
  for (const k of ["pgDataDir", "pgSocketDir", "workDir"] as const) if (!s[k].startsWith("/")) out.push(`${k}: must be an absolute path, got ${JSON.stringify(s[k])}`);
  if (!Number.isInteger(s.pgPort) || s.pgPort < 1 || s.pgPort > 65535) out.push(`pgPort: 1..65535, got ${s.pgPort}`);
  if (!Number.isInteger(s.retentionDays) || s.retentionDays < 1) out.push(`retentionDays: a positive whole number of days, got ${s.retentionDays}`);
  if (!s.repo.path.startsWith("/")) out.push(`repo.path: must start with /, got ${JSON.stringify(s.repo.path)}`);
  return out;
}

export function renderPgBackRestConf(s: PgBackRestSpec): string {
  const problems = checkPgBackRestSpec(s);
  if (problems.length) throw new Error(`pgbackrest.conf: ${problems.join("; ")}`);
  const repo =
    s.repo.type === "posix"
      ? [`repo1-type=posix`, `repo1-path=${s.repo.path}`]
      : [
          `repo1-type=s3`,
          `repo1-path=${s.repo.path}`,
          `repo1-s3-bucket=${s.repo.bucket}`,
          `repo1-s3-region=${s.repo.region}`,
          `repo1-s3-endpoint=s3.${s.repo.region}.amazonaws.com`,
          // IRSA: short-lived credentials from the pod's projected ServiceAccount token, no keys.
          `repo1-s3-key-type=web-id`,
        ];
  return [
    "[global]",
    ...repo,
    // Time-based retention keeps every full backup (and its WAL) needed to restore to any point in the window.
    "repo1-retention-full-type=time",
    `repo1-retention-full=${s.retentionDays}`,
    "compress-type=zst",
    `process-max=${s.processMax ?? 2}`,
    // Async archiving: archive-push returns once WAL is queued, so a slow S3 PUT never stalls commits.
    "archive-async=y",
    `spool-path=${s.workDir}/spool`,
    `lock-path=${s.workDir}/lock`,
    `log-path=${s.workDir}/log`,
    "log-level-console=warn",
    "log-level-file=info",
    "start-fast=y",
    "",
    `[${s.stanza}]`,
    `pg1-path=${s.pgDataDir}`,
    `pg1-port=${s.pgPort}`,
    `pg1-socket-path=${s.pgSocketDir}`,
    "",
  ].join("\n");
}

/** archive_timeout for every environment: at most this many seconds of committed WAL sit outside the repository. */
export const ARCHIVE_TIMEOUT_SECONDS = 60;

/** Archive settings for patroniConfig(): every completed segment pushed, a partial one at least every `timeoutSeconds`. */
export function patroniArchive(stanza: string, configPath: string, timeoutSeconds: number): PatroniArchive {
  return { archiveCommand: archiveCommand(stanza, configPath), archiveTimeoutSeconds: timeoutSeconds };
}

/** postgresql.conf archive_command: pushes each completed WAL segment to the repository. */
export function archiveCommand(stanza: string, configPath: string): string {
  return `pgbackrest --config=${configPath} --stanza=${stanza} archive-push %p`;
}

/** restore_command for a point-in-time recovery (`pgbackrest restore` writes it itself; the members never get one). */
export function restoreCommand(stanza: string, configPath: string): string {
  return `pgbackrest --config=${configPath} --stanza=${stanza} archive-get %f "%p"`;
}
