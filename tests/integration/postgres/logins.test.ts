import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { APP_LOGIN_ROLES } from "../../../infra/postgres";
import { applyMigrations, readAppliedMigrations, type MigrationsSpec } from "../../../infra/providers/postgres/apply";
import type { Login } from "../../../infra/providers/postgres/logins";
import { multiHostUrl, type PostgresEndpoints } from "../../../local/services/postgres";
import { freshDatabase, schemaFiles } from "./fresh-db";

// The service logins PostgresMigrations creates after the migrations (on Kubernetes nothing else creates `app`),
// on the real Patroni primary. Roles are cluster-wide: each test uses its own login name and drops it after.
const ep = inject("localTier").postgres as PostgresEndpoints;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function superuser<T>(fn: (c: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const c = await connect(ep.connectionString);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function setup(): Promise<{ url: string; database: string; login: Login }> {
  const d = await freshDatabase(ep, "logins");
  const login: Login = { name: `svc_${randomBytes(4).toString("hex")}`, password: randomBytes(18).toString("base64url"), memberOf: [...APP_LOGIN_ROLES] };
  cleanups.push(d.drop, () => superuser(async (c) => void (await c.query(`drop role if exists "${login.name}"`))));
  return { url: d.url, database: d.name, login };
}

const spec = (url: string, logins: Login[]): MigrationsSpec => ({
  connectionString: url,
  migrations: schemaFiles(),
  partitions: { monthsAhead: 1, retentionMonths: 12 },
  allowDestructiveChanges: false,
  logins,
});

/** Connects as the login itself (SCRAM over TCP to the primary): proves the stored verifier matches the password. */
const asLogin = (l: Pick<Login, "name" | "password">, database: string) =>
  connect(multiHostUrl(ep.members, { user: l.name, password: l.password }, database));

describe("PostgresMigrations logins on the real cluster", () => {
  it("creates the login after the migrations: it authenticates with its password and has exactly its roles' rights", async () => {
    const { url, database, login } = await setup();
    await applyMigrations(spec(url, [login]));
    const c = await asLogin(login, database);
    try {
      const me = (await c.query("select current_user as u, rolsuper from pg_roles where rolname = current_user")).rows[0] as { u: string; rolsuper: boolean };
      expect(me).toEqual({ u: login.name, rolsuper: false });
      // app_rw: write the trading schema; app_ro: read it.
      await c.query("insert into trading.users (email, full_name) values ($1, 'Login Test')", [`${login.name}@example.test`]);
      expect((await c.query("select count(*)::int as n from trading.users")).rows[0].n).toBe(1);
      // Not a schema owner: DDL is refused.
      await expect(c.query("create table trading.not_allowed (id int)")).rejects.toThrow(/permission denied/);
    } finally {
      await c.end();
    }
    // The server stores a SCRAM verifier, never the password, and the statement carried only the verifier.
    const stored = await superuser(async (s) => (await s.query("select rolpassword from pg_authid where rolname = $1", [login.name])).rows[0].rolpassword as string);
    expect(stored).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(stored).not.toContain(login.password);
  });

  it("a changed password is applied: the old one is refused, the new one accepted; a re-run keeps it working", async () => {
    const { url, database, login } = await setup();
    await applyMigrations(spec(url, [login]));
    const rotated = { ...login, password: randomBytes(18).toString("base64url") };
    await applyMigrations(spec(url, [rotated]));
    await expect(asLogin(login, database)).rejects.toThrow(/password authentication failed/);
    const c = await asLogin(rotated, database);
    await c.end();
    await applyMigrations(spec(url, [rotated]));
    await (await asLogin(rotated, database)).end();
  });

  it("a role that no migration created fails the logins, rolls every login of the run back, and never names the password", async () => {
    const { url, login } = await setup();
    const other: Login = { name: `${login.name}_b`, password: randomBytes(18).toString("base64url"), memberOf: ["app_ro"] };
    cleanups.push(() => superuser(async (c) => void (await c.query(`drop role if exists "${other.name}"`))));
    const broken = { ...login, memberOf: ["app_rw", "no_such_role"] };
    const err = await applyMigrations(spec(url, [other, broken])).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/postgres logins failed and were rolled back .*login svc_[0-9a-f]+: role no_such_role does not exist/);
    expect(err?.message).not.toContain(broken.password);
    expect(err?.message).not.toContain(other.password);
    const present = await superuser(async (c) => (await c.query("select rolname from pg_roles where rolname = any($1)", [[other.name, broken.name]])).rows);
    expect(present).toEqual([]);
  });

  it("refresh sees a login dropped by hand (read reports only the logins that exist)", async () => {
    const { url, login } = await setup();
    await applyMigrations(spec(url, [login]));
    expect([...(await readAppliedMigrations({ connectionString: url }, [login.name])).logins]).toEqual([login.name]);
    await superuser(async (c) => void (await c.query(`drop role "${login.name}"`)));
    expect([...(await readAppliedMigrations({ connectionString: url }, [login.name])).logins]).toEqual([]);
  });
});
