import { setTimeout as delay } from "node:timers/promises";
import type { StoreName } from "./config";
import { AmbiguousOperationError, messageOf } from "./errors";

/**
 * How a failed attempt is classified:
 * - "not-applied": the request never reached a server that could apply it (connect refused, a standby
 *   refused a write, the pooler had no server). Always safe to retry.
 * - "ambiguous": the connection broke after the request was sent. Retried only when idempotent.
 * - "fatal": the server answered with an error (constraint, syntax, auth): retrying cannot help.
 */
export type Failure = "not-applied" | "ambiguous" | "fatal";

export interface RetryPolicy {
  /** Total time an operation may spend retrying, in ms. Defaults to 60000 (a Patroni failover here takes ~25 s). */
  readonly budgetMs: number;
  /** First back-off in ms, doubled per attempt with full jitter. Defaults to 100. */
  readonly baseDelayMs: number;
  /** Longest single back-off in ms. Defaults to 2000. */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { budgetMs: 60_000, baseDelayMs: 100, maxDelayMs: 2_000 };

/** One retry, reported to RetryListener so services (and tests) can see what failover looked like. */
export interface RetryEvent {
  readonly store: StoreName;
  readonly operation: string;
  readonly attempt: number;
  readonly failure: Failure;
  readonly error: string;
  readonly delayMs: number;
  readonly elapsedMs: number;
}

export type RetryListener = (e: RetryEvent) => void;

const code = (e: unknown): string => String((e as { code?: unknown }).code ?? "");

// Socket-level errors: the request may have been on the wire when they happened.
const SOCKET = /ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|connection terminated|Client has encountered a connection error|server closed the connection|Connection is closed|Command timed out|socket hang up|Query read timeout|read ECONNRESET|This socket has been ended/;

/**
 * Postgres (and PgBouncer) errors. SQLSTATE 25006 means a standby refused a write (the pool still
 * pointed at the old primary); 57P03 and PgBouncer's "no server" messages mean nothing ran.
 */
export function classifyPostgres(e: unknown, phase: "connect" | "query"): Failure {
  const c = code(e);
  const msg = messageOf(e);
  if (phase === "connect") return /password authentication failed|28P01|28000|does not exist|no such user|3D000/.test(`${c} ${msg}`) ? "fatal" : "not-applied";
  if (c === "25006" || c === "57P03" || c === "40001" || c === "40P01") return "not-applied";
  if (/server login has been failing|no more connections allowed|query_wait_timeout|pgbouncer cannot connect to server|database .* is not available|ECONNREFUSED/.test(msg)) return "not-applied";
  if (c.startsWith("08") || c === "57P01" || c === "57P02" || SOCKET.test(msg) || /server conn crashed/.test(msg)) return "ambiguous";
  return "fatal";
}

/** ioredis errors. READONLY/LOADING/MASTERDOWN/NOREPLICAS are refusals: the command did nothing. */
export function classifyRedis(e: unknown): Failure {
  const msg = messageOf(e);
  const name = (e as Error)?.name ?? "";
  if (/^(READONLY|LOADING|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN)/.test(msg)) return "not-applied";
  if (name === "MaxRetriesPerRequestError" || /ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/.test(msg)) return "not-applied";
  if (SOCKET.test(msg)) return "ambiguous";
  return "fatal";
}

/** Runs one attempt (1-based). */
export type Attempt<T> = (attempt: number) => Promise<T>;

/**
 * Runs `fn` until it succeeds, the failure is fatal, or the budget is spent. Ambiguous failures of a
 * non-idempotent operation become AmbiguousOperationError at once (never retried).
 */
export async function withRetry<T>(
  what: { store: StoreName; operation: string; idempotent: boolean },
  classify: (e: unknown) => Failure,
  fn: Attempt<T>,
  policy: RetryPolicy = defaultRetryPolicy,
  onRetry?: RetryListener,
): Promise<T> {
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const failure = classify(e);
      if (failure === "fatal") throw e;
      if (failure === "ambiguous" && !what.idempotent) throw new AmbiguousOperationError(what.store, what.operation, messageOf(e));
      const elapsed = Date.now() - t0;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(Math.random() * backoff);
      if (elapsed + delayMs > policy.budgetMs) {
        const err = e instanceof Error ? e : new Error(String(e));
        err.message = `${what.store}: ${what.operation} still failing after ${attempt} attempts in ${elapsed} ms (retry budget ${policy.budgetMs} ms): ${messageOf(e)}`;
        throw err;
      }
      onRetry?.({ ...what, attempt, failure, error: messageOf(e), delayMs, elapsedMs: elapsed });
      await delay(delayMs);
    }
  }
}
