import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { connect } from "../../../infra/postgres/client/connect";
import { loadMigrationFiles } from "../../../infra/providers/postgres/migration-files";
import { multiHostUrl, type PostgresEndpoints } from "../../../local/services/postgres";

export const SCHEMA_DIR = path.resolve(__dirname, "../../../schemas/postgres");
export const schemaFiles = () => loadMigrationFiles(SCHEMA_DIR);

/** A new, empty database on the real cluster, so each test starts from nothing. */
export async function freshDatabase(ep: PostgresEndpoints, prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = await connect(ep.connectionString);
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    name,
    url: multiHostUrl(ep.members, ep.superuser, name),
    async drop() {
      const c = await connect(ep.connectionString);
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
