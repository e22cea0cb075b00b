import { diffItems, type ItemDiff } from "../common";
import { checksumDrift, validateMigrations, type Failure, type MigrationFile } from "./migration-files";

/** Inputs as the provider receives them, and the outputs it keeps (diff compares with old outputs). */
export interface MigrationsInputs {
  connectionString: string;
  migrations: MigrationFile[];
  partitions: { monthsAhead: number; retentionMonths: number };
  allowDestructiveChanges: boolean;
}

export interface MigrationsOutputs extends MigrationsInputs {
  applied: Record<string, string>;
  activePartitions: string[];
}

export function checkMigrations(olds: Partial<MigrationsOutputs> | undefined, news: MigrationsInputs): Failure[] {
  const failures = validateMigrations(news.migrations ?? []);
  if (!news.connectionString) failures.push({ property: "connectionString", reason: "is required" });
  const p = news.partitions;
  if (!p || !Number.isInteger(p.monthsAhead) || p.monthsAhead < 0) {
    failures.push({ property: "partitions.monthsAhead", reason: `must be an integer >= 0, got ${JSON.stringify(p?.monthsAhead)}` });
  }
  if (!p || !Number.isInteger(p.retentionMonths) || p.retentionMonths < 1) {
    failures.push({ property: "partitions.retentionMonths", reason: `must be an integer >= 1, got ${JSON.stringify(p?.retentionMonths)}` });
  }
  // What state says was applied must not change under our feet: caught at preview, before any SQL runs.
  if (olds?.applied) failures.push(...checksumDrift(olds.applied, news.migrations ?? [], news.allowDestructiveChanges));
  return failures;
}

/** Per-file diff against what was applied, so a preview lists pending migrations by name. */
export function diffMigrations(olds: Partial<MigrationsOutputs>, news: MigrationsInputs): ItemDiff {
  const after = Object.fromEntries(news.migrations.map((m) => [m.file, m.checksum]));
  const d = diffItems("migrations", olds.applied ?? {}, after);
  const partitionsChanged =
    olds.partitions?.monthsAhead !== news.partitions.monthsAhead || olds.partitions?.retentionMonths !== news.partitions.retentionMonths;
  if (partitionsChanged) d.detailedDiff.partitions = { kind: "update", inputDiff: true };
  if (olds.connectionString !== news.connectionString) d.detailedDiff.connectionString = { kind: "update", inputDiff: true };
  if (olds.allowDestructiveChanges !== news.allowDestructiveChanges) d.detailedDiff.allowDestructiveChanges = { kind: "update", inputDiff: true };
  return { ...d, changes: Object.keys(d.detailedDiff).length > 0 };
}
