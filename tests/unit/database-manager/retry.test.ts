import { describe, expect, it } from "vitest";
import { AmbiguousOperationError } from "../../../runtime/database-manager";
import { classifyPostgres, classifyRedis, withRetry, type RetryEvent } from "../../../runtime/database-manager/retry";

const pgErr = (code: string, message = "x") => Object.assign(new Error(message), { code });
const fast = { budgetMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 };

describe("failure classification", () => {
  it("postgres: refusals and pooler 'no server' errors did nothing; a broken connection mid-query is ambiguous; SQL errors are fatal", () => {
    expect(classifyPostgres(new Error("connect ECONNREFUSED 127.0.0.1:6432"), "connect")).toBe("not-applied");
    expect(classifyPostgres(pgErr("28P01", 'password authentication failed for user "app"'), "connect")).toBe("fatal");
    expect(classifyPostgres(pgErr("25006", "cannot execute INSERT in a read-only transaction"), "query")).toBe("not-applied");
    expect(classifyPostgres(pgErr("08P01", "server login has been failing, try again later (server_login_retry)"), "query")).toBe("not-applied");
    expect(classifyPostgres(new Error("Connection terminated unexpectedly"), "query")).toBe("ambiguous");
    expect(classifyPostgres(pgErr("57P01", "terminating connection due to administrator command"), "query")).toBe("ambiguous");
    expect(classifyPostgres(pgErr("23505", "duplicate key value violates unique constraint"), "query")).toBe("fatal");
  });

  it("redis: READONLY/LOADING/NOREPLICAS are refusals; a timed-out or dropped command is ambiguous", () => {
    expect(classifyRedis(new Error("READONLY You can't write against a read only replica."))).toBe("not-applied");
    expect(classifyRedis(new Error("NOREPLICAS Not enough good replicas to write."))).toBe("not-applied");
    expect(classifyRedis(Object.assign(new Error("Reached the max retries per request limit"), { name: "MaxRetriesPerRequestError" }))).toBe("not-applied");
    expect(classifyRedis(new Error("Command timed out"))).toBe("ambiguous");
    expect(classifyRedis(new Error("Connection is closed."))).toBe("ambiguous");
    expect(classifyRedis(new Error("WRONGTYPE Operation against a key holding the wrong kind of value"))).toBe("fatal");
  });
});

describe("withRetry", () => {
  const what = (idempotent: boolean) => ({ store: "postgres" as const, operation: "upsert order", idempotent });

  it("retries an idempotent operation through ambiguous failures and reports each retry", async () => {
    const events: RetryEvent[] = [];
    let n = 0;
    const out = await withRetry(what(true), (e) => classifyPostgres(e, "query"), async () => {
      if (++n < 3) throw new Error("Connection terminated unexpectedly");
      return "done";
    }, fast, (e) => events.push(e));
    expect(out).toBe("done");
    expect(events.map((e) => [e.attempt, e.failure])).toEqual([[1, "ambiguous"], [2, "ambiguous"]]);
  });

  it("never retries a non-idempotent operation after an ambiguous failure: it says it may or may not have been applied", async () => {
    let n = 0;
    const run = withRetry(what(false), (e) => classifyPostgres(e, "query"), async () => {
      n++;
      throw new Error("Connection terminated unexpectedly");
    }, fast);
    await expect(run).rejects.toBeInstanceOf(AmbiguousOperationError);
    await expect(run).rejects.toThrow(/postgres: upsert order may or may not have been applied/);
    expect(n).toBe(1);
  });

  it("retries a non-idempotent operation when the failure proves nothing ran (a standby refused the write)", async () => {
    let n = 0;
    const out = await withRetry(what(false), (e) => classifyPostgres(e, "query"), async () => {
      if (++n === 1) throw pgErr("25006", "cannot execute INSERT in a read-only transaction");
      return n;
    }, fast);
    expect(out).toBe(2);
  });

  it("gives up when the budget is spent, naming store, operation and attempts; fatal errors are not retried", async () => {
    await expect(
      withRetry(what(true), () => "not-applied", async () => {
        throw new Error("connect ECONNREFUSED");
      }, { budgetMs: 50, baseDelayMs: 5, maxDelayMs: 10 }),
    ).rejects.toThrow(/postgres: upsert order still failing after \d+ attempts in \d+ ms \(retry budget 50 ms\): connect ECONNREFUSED/);
    let n = 0;
    await expect(withRetry(what(true), (e) => classifyPostgres(e, "query"), async () => {
      n++;
      throw pgErr("23505", "duplicate key");
    }, fast)).rejects.toThrow("duplicate key");
    expect(n).toBe(1);
  });
});
