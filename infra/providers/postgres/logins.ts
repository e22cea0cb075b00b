import type * as Crypto from "node:crypto";
import type { Client } from "pg";
import type { Failure } from "./migration-files";

/**
 * A login the services use (the `app` user behind PgBouncer, for one). Its password comes from the stack (a
 * RandomPassword kept in a Secret) and its privileges from roles the migrations create (app_rw, app_ro), so it is
 * applied after them. Patroni owns only the superuser and replication users; nothing else creates these on
 * Kubernetes.
 */
export interface Login {
  readonly name: string;
  readonly password: string;
  /** Roles granted to the login; each must exist once the migrations ran. */
  readonly memberOf: readonly string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/**
 * Patroni's own users: their passwords live in Patroni's config, and a second owner would fight it. An array, not a
 * Set: Pulumi serializes this module with the provider, and a captured Set comes back as a plain object.
 */
const RESERVED: readonly string[] = ["postgres", "replicator"];

/**
 * node:crypto, required where it is used: inside a vitest worker vite's transform hands Pulumi's closure serializer
 * a wrapper of a module-level built-in import that it cannot serialize (the component tests register this provider).
 */
function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:crypto") as typeof Crypto;
}

export function checkLogins(logins: readonly Login[] | undefined): Failure[] {
  const failures: Failure[] = [];
  const seen: string[] = [];
  (logins ?? []).forEach((l, i) => {
    const at = `logins[${i}]`;
    if (!IDENTIFIER.test(l?.name ?? "")) failures.push({ property: `${at}.name`, reason: `must be a lower-case identifier (a-z, 0-9, _; at most 63), got ${JSON.stringify(l?.name)}` });
    else if (RESERVED.includes(l.name) || l.name.startsWith("pg_")) failures.push({ property: `${at}.name`, reason: `${l.name} is managed by Patroni or PostgreSQL, not by this provider` });
    else if (seen.includes(l.name)) failures.push({ property: `${at}.name`, reason: `${l.name} is listed twice` });
    seen.push(l?.name);
    // The reason never echoes the password.
    if (typeof l?.password !== "string" || l.password.length < 16) failures.push({ property: `${at}.password`, reason: "must be a string of at least 16 characters" });
    for (const r of l?.memberOf ?? []) {
      if (!IDENTIFIER.test(r)) failures.push({ property: `${at}.memberOf`, reason: `must list role identifiers, got ${JSON.stringify(r)}` });
    }
  });
  return failures;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as libpq's PQencryptPasswordConn
 * makes it). Sending the verifier instead of the password keeps the password out of the server's statement log and
 * pg_stat_statements. Passwords here are ASCII, for which SASLprep is the identity.
 */
export function scramVerifier(password: string, salt?: Buffer, iterations = 4096): string {
  const { createHash, createHmac, pbkdf2Sync, randomBytes } = nodeCrypto();
  salt ??= randomBytes(16);
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Creates each login or resets its password, and grants its roles, in one transaction: a missing role rolls back
 * every login of the run. Identifiers are checked by checkLogins before they are quoted into the statements
 * (CREATE/ALTER ROLE take no bind parameters); the verifier is base64 and `$:` only.
 */
export async function ensureLogins(c: Client, logins: readonly Login[]): Promise<void> {
  if (logins.length === 0) return;
  await c.query("begin");
  try {
    for (const l of logins) {
      const exists = (await c.query("select 1 from pg_roles where rolname = $1", [l.name])).rowCount === 1;
      await c.query(`${exists ? "alter" : "create"} role "${l.name}" login password '${scramVerifier(l.password)}'`);
      for (const role of l.memberOf) {
        const found = (await c.query("select 1 from pg_roles where rolname = $1", [role])).rowCount === 1;
        if (!found) throw new Error(`login ${l.name}: role ${role} does not exist (it should come from a migration)`);
        await c.query(`grant "${role}" to "${l.name}"`);
      }
    }
    await c.query("commit");
  } catch (e) {
    await c.query("rollback").catch(() => {});
    throw e;
  }
}

/** Logins of the list that exist and may log in, for read()/refresh: a login dropped by hand shows as drift. */
export async function presentLogins(c: Client, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const r = await c.query<{ rolname: string }>("select rolname from pg_roles where rolcanlogin and rolname = any($1)", [names]);
  return new Set(r.rows.map((x) => x.rolname));
}
