import { z } from "zod";
import { positiveInt } from "./common";

/**
 * Backup retention per environment. The same numbers drive pgBackRest's expiry (Postgres) and the
 * S3 lifecycle rules (prod), so what the runbook promises is what the buckets keep.
 */
export const backupsConfig = z
  .strictObject({
    /** Point-in-time-recovery window for Postgres in days: base backups and WAL older than this are expired. */
    postgresRetentionDays: positiveInt,
    /** Days a ClickHouse backup is kept before the S3 lifecycle expires it. */
    clickhouseRetentionDays: positiveInt,
    /** Days an overwritten or deleted object version survives: the undo window after a bad expiry or a rogue writer. */
    noncurrentVersionDays: positiveInt,
  })
  .superRefine((c, ctx) => {
    if (c.noncurrentVersionDays > 365) {
      ctx.addIssue({ code: "custom", path: ["noncurrentVersionDays"], message: `must be 1..365, got ${c.noncurrentVersionDays}` });
    }
  });
export type BackupsConfig = z.infer<typeof backupsConfig>;

/** Retention floor for prod: a restore must still be possible after a long weekend plus a week. */
export const PROD_MIN_RETENTION_DAYS = 7;
