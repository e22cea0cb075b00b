import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkMigrations, diffMigrations, type MigrationsInputs, type MigrationsOutputs } from "../../../infra/providers/postgres/diff";
import { checkLogins, scramVerifier, type Login } from "../../../infra/providers/postgres/logins";

const login = (over: Partial<Login> = {}): Login => ({ name: "app", password: "p".repeat(24), memberOf: ["app_rw", "app_ro"], ...over });
const inputs = (logins: Login[] | string | undefined): MigrationsInputs =>
  ({ connectionString: "postgresql://u:pw@h:5432/db", migrations: [], partitions: { monthsAhead: 1, retentionMonths: 12 }, allowDestructiveChanges: false, logins }) as MigrationsInputs;

describe("PostgresMigrations logins: check", () => {
  it("accepts well-formed logins and refuses each bad field by its path, never echoing a password", () => {
    expect(checkLogins([login(), login({ name: "debezium", memberOf: [] })])).toEqual([]);
    const secret = "short-secret";
    const f = checkLogins([login({ name: "App-User" }), login({ name: "postgres" }), login({ name: "pg_monitor" }), login(), login(), login({ name: "x", password: secret, memberOf: ['app"; drop'] })]);
    expect(f.map((x) => x.property)).toEqual(["logins[0].name", "logins[1].name", "logins[2].name", "logins[4].name", "logins[5].password", "logins[5].memberOf"]);
    expect(f[1].reason).toMatch(/managed by Patroni or PostgreSQL/);
    expect(f[3].reason).toMatch(/listed twice/);
    for (const x of f) expect(x.reason).not.toContain(secret);
  });

  it("an unknown list (a preview before the passwords exist) is not judged; a wrong shape is", () => {
    expect(checkMigrations(undefined, inputs("04da6b54-80e4-46f7-96ec-b56ff0331ba9")).filter((x) => x.property.startsWith("logins"))).toEqual([]);
    expect(checkMigrations(undefined, inputs({ name: "app" } as unknown as Login[])).map((x) => x.property)).toContain("logins");
  });
});

describe("PostgresMigrations logins: diff", () => {
  const olds = (logins: Login[] | undefined) => ({ ...inputs(logins), applied: {}, activePartitions: [] }) as MigrationsOutputs;
  it("one entry per login: a new login is an add, a new password or role list an update, the same list no change", () => {
    expect(diffMigrations(olds([login()]), inputs([login()])).changes).toBe(false);
    expect(diffMigrations(olds(undefined), inputs([login()])).detailedDiff).toEqual({ "logins.app": { kind: "add", inputDiff: true } });
    expect(diffMigrations(olds([login()]), inputs([login({ password: "q".repeat(24) })])).detailedDiff).toEqual({ "logins.app": { kind: "update", inputDiff: true } });
    expect(diffMigrations(olds([login()]), inputs([login({ memberOf: ["app_ro"] })])).detailedDiff).toEqual({ "logins.app": { kind: "update", inputDiff: true } });
    // Role order is not a change.
    expect(diffMigrations(olds([login()]), inputs([login({ memberOf: ["app_ro", "app_rw"] })])).changes).toBe(false);
    // A login dropped by hand left the state on refresh: planned again.
    expect(diffMigrations(olds([]), inputs([login()])).detailedDiff).toEqual({ "logins.app": { kind: "add", inputDiff: true } });
  });
});

describe("scramVerifier", () => {
  it("has PostgreSQL's stored format, is salted per call and never contains the password", () => {
    const v = scramVerifier("correct horse battery staple");
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(scramVerifier("correct horse battery staple")).not.toBe(v);
    expect(v).not.toContain("horse");
  });

  it("verifies RFC 7677's SCRAM-SHA-256 exchange for user/pencil as a server holding it would", () => {
    // The RFC's example: the server checks ClientProof with StoredKey and signs with ServerKey, which is all it keeps.
    const [, rest] = scramVerifier("pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")).split("$4096:");
    const [, keys] = rest.split("$");
    const [storedKey, serverKey] = keys.split(":").map((k) => Buffer.from(k, "base64"));
    const authMessage = [
      "n=user,r=rOprNGfwEbeRWgbNEkqO",
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    ].join(",");
    const hmac = (key: Buffer) => createHmac("sha256", key).update(authMessage).digest();
    const clientProof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const clientSignature = hmac(storedKey);
    const clientKey = Buffer.from(clientProof.map((b, i) => b ^ clientSignature[i]));
    expect(createHash("sha256").update(clientKey).digest().equals(storedKey)).toBe(true);
    expect(hmac(serverKey).toString("base64")).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  });
});
