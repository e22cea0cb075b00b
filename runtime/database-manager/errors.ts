import { redact } from "../../infra/providers/common";
import type { StoreName } from "./config";

/** A store could not be reached or refused us; names the store, never a password. */
export class StoreError extends Error {
  constructor(
    readonly store: StoreName,
    message: string,
    secrets: readonly string[] = [],
  ) {
    super(redact(`${store}: ${message}`, secrets));
    this.name = "StoreError";
  }
}

/**
 * A non-idempotent operation lost its connection after it was sent: the server may or may not have
 * applied it. The manager never retries these; the caller must find out (e.g. by a client-chosen key).
 */
export class AmbiguousOperationError extends Error {
  constructor(
    readonly store: StoreName,
    readonly operation: string,
    readonly cause: string,
  ) {
    super(
      `${store}: ${operation} may or may not have been applied: the connection failed after the request was sent (${cause}); ` +
        "it was not retried because it is not idempotent. Check the outcome (e.g. by its idempotency key) before trying again.",
    );
    this.name = "AmbiguousOperationError";
  }
}

/** The schema a store has applied is not the one this code was built for. */
export class SchemaVersionError extends Error {
  constructor(readonly mismatches: readonly { store: StoreName; expected: string; actual: string; detail?: string }[]) {
    super(
      `DatabaseManager: schema version mismatch:\n${mismatches
        .map((m) => `  - ${m.store}: expected ${m.expected}, found ${m.actual}${m.detail ? ` (${m.detail})` : ""}`)
        .join("\n")}`,
    );
    this.name = "SchemaVersionError";
  }
}

/** initialize() failed for one or more stores; each line names its store. Nothing stays open. */
export class InitializeError extends Error {
  constructor(readonly failures: readonly { store: StoreName; message: string }[]) {
    super(`DatabaseManager.initialize failed:\n${failures.map((f) => `  - ${f.message}`).join("\n")}`);
    this.name = "InitializeError";
  }
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) {
    // AggregateError (e.g. every address of a host refused) carries the useful text in its parts.
    const parts = (e as Error & { errors?: unknown[] }).errors;
    if (!e.message && Array.isArray(parts)) return parts.map(messageOf).join("; ");
    return e.message;
  }
  return String(e);
}
