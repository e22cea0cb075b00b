import * as fs from "node:fs";
import * as path from "node:path";
import { sha256 } from "../common";

/** One versioned migration as the provider sees it (plain, serializable). */
export interface MigrationFile {
  /** File name, e.g. 0003_transaction_history.sql; names the item in previews and errors. */
  readonly file: string;
  readonly version: number;
  readonly checksum: string;
  readonly sql: string;
}

export const MIGRATION_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Line endings normalised so a checkout on another OS does not look like drift. */
export function migrationChecksum(sql: string): string {
  return sha256(sql.replace(/\r\n/g, "\n"));
}

export function migrationFromText(file: string, sql: string): MigrationFile {
  const m = MIGRATION_NAME.exec(file);
  return { file, version: m ? Number(m[1]) : NaN, checksum: migrationChecksum(sql), sql: sql.replace(/\r\n/g, "\n") };
}

/** Reads every *.sql in a directory in version order. Names are validated by validateMigrations. */
export function loadMigrationFiles(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => migrationFromText(f, fs.readFileSync(path.join(dir, f), "utf8")));
}

export interface Failure {
  readonly property: string;
  readonly reason: string;
}

/** Every problem with a set of migration files, each naming the file. */
export function validateMigrations(files: readonly MigrationFile[]): Failure[] {
  const failures: Failure[] = [];
  const seen = new Map<number, string>();
  for (const f of files) {
    if (!MIGRATION_NAME.test(f.file)) {
      failures.push({ property: "migrations", reason: `${f.file}: name must look like NNNN_lower_case_name.sql` });
      continue;
    }
    const other = seen.get(f.version);
    if (other) failures.push({ property: "migrations", reason: `${f.file}: version ${f.version} is also used by ${other}` });
    seen.set(f.version, f.file);
    if (f.sql.trim() === "") failures.push({ property: "migrations", reason: `${f.file}: file is empty` });
    if (/^\s*(begin|commit|rollback)\s*;/im.test(f.sql)) {
      failures.push({ property: "migrations", reason: `${f.file}: must not contain BEGIN/COMMIT/ROLLBACK; each migration already runs in its own transaction` });
    }
  }
  return failures;
}

/** Applied migrations whose file changed or disappeared: migrations are immutable once applied. */
export function checksumDrift(applied: Readonly<Record<string, string>>, files: readonly MigrationFile[], allowRemoved: boolean): Failure[] {
  const byFile = new Map(files.map((f) => [f.file, f]));
  const out: Failure[] = [];
  for (const [file, sum] of Object.entries(applied)) {
    const f = byFile.get(file);
    if (!f) {
      if (!allowRemoved) out.push({ property: "migrations", reason: `${file}: was applied but the file is gone (set allowDestructiveChanges to forget it)` });
    } else if (f.checksum !== sum) {
      out.push({
        property: "migrations",
        reason: `${file}: checksum drift: applied as ${sum.slice(0, 12)}, file is now ${f.checksum.slice(0, 12)}; applied migrations are immutable, add a new one instead`,
      });
    }
  }
  return out;
}

/** Files not applied yet, in version order. */
export function pendingMigrations(applied: Readonly<Record<string, string>>, files: readonly MigrationFile[]): MigrationFile[] {
  return [...files].filter((f) => !(f.file in applied)).sort((a, b) => a.version - b.version);
}
