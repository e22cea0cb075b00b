import { z } from "zod";
import { positiveInt } from "./common";

const cronFields = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;
const cronMacros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** Why a Kubernetes CronJob schedule is invalid, or undefined when it is valid (numbers only; no names like MON). */
export function cronProblem(expr: string): string | undefined {
  if (cronMacros.includes(expr)) return undefined;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `a 5-field cron expression (minute hour day-of-month month day-of-week) or one of ${cronMacros.join(", ")}, got ${JSON.stringify(expr)}`;
  for (const [i, f] of fields.entries()) {
    const { name, min, max } = cronFields[i];
    for (const part of f.split(",")) {
      const bad = `${name} field ${JSON.stringify(part)}: use *, n, n-m or a comma list of them, each with an optional /step, within ${min}..${max} (got ${JSON.stringify(expr)})`;
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return bad;
      const [lo, hi, step] = [m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
      if (step !== undefined && step < 1) return bad;
      if ([lo, hi].some((n) => n !== undefined && (n < min || n > max))) return bad;
      if (lo !== undefined && hi !== undefined && lo > hi) return bad;
    }
  }
  return undefined;
}

const cronSchedule = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * Backup retention per environment. The same numbers drive pgBackRest's expiry (Postgres) and the
 * S3 lifecycle rules (prod), so what the runbook promises is what the buckets keep.
 */
export const backupsConfig = z
  .strictObject({
    /** Point-in-time-recovery window for Postgres in days: base backups and WAL older than this are expired. */
    postgresRetentionDays: positiveInt,
    /** Hours between full pgBackRest base backups (taken by the leader's backup agent); WAL fills the gaps. */
    postgresFullBackupHours: positiveInt,
    /** Days a ClickHouse backup is kept before the S3 lifecycle expires it. */
    clickhouseRetentionDays: positiveInt,
    /** When the ClickHouse backup CronJob runs (UTC, Kubernetes cron syntax); only where the stack has a backup bucket. */
    clickhouseSchedule: cronSchedule,
    /** Days an overwritten or deleted object version survives: the undo window after a bad expiry or a rogue writer. */
    noncurrentVersionDays: positiveInt,
  })
  .superRefine((c, ctx) => {
    // A full backup must fall inside the window, or expiry could leave nothing to restore from.
    if (c.postgresFullBackupHours > c.postgresRetentionDays * 24) {
      ctx.addIssue({
        code: "custom",
        path: ["postgresFullBackupHours"],
        message: `must be <= postgresRetentionDays * 24 (${c.postgresRetentionDays * 24}), got ${c.postgresFullBackupHours}`,
      });
    }
    if (c.noncurrentVersionDays > 365) {
      ctx.addIssue({ code: "custom", path: ["noncurrentVersionDays"], message: `must be 1..365, got ${c.noncurrentVersionDays}` });
    }
  });
export type BackupsConfig = z.infer<typeof backupsConfig>;

/** Retention floor for prod: a restore must still be possible after a long weekend plus a week. */
export const PROD_MIN_RETENTION_DAYS = 7;
