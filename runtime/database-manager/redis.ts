import type Redis from "ioredis";
import { connectRedis } from "../redis";
import type { RedisConnection } from "./config";
import { classifyRedis, withRetry, type RetryListener, type RetryPolicy } from "./retry";

export interface RedisOpOptions {
  /** See PostgresStore's WriteOptions: only idempotent commands are retried after a mid-request failure. */
  readonly idempotent: boolean;
  readonly operation: string;
}

/**
 * The command connection (follows the primary through Sentinel) and a dedicated subscriber
 * connection (a subscribed connection cannot run other commands). Unanswered commands are never
 * re-sent by ioredis itself (autoResendUnfulfilledCommands off): the manager decides, by idempotency.
 */
export class RedisStore {
  readonly client: Redis;
  readonly subscriber: Redis;
  /** Last connection error seen, for initialize()'s message when the store never becomes ready. */
  lastError?: string;

  constructor(
    readonly conn: RedisConnection,
    private readonly policy: RetryPolicy,
    private readonly onRetry?: RetryListener,
  ) {
    const options = {
      lazyConnect: true,
      connectTimeout: 2000,
      commandTimeout: conn.commandTimeoutMs ?? 3000,
      autoResendUnfulfilledCommands: false,
      // Commands queued while reconnecting were never sent; fail them after a few reconnects so the
      // manager's bounded retry (not an unbounded queue) decides.
      maxRetriesPerRequest: 3,
    };
    this.client = connectRedis(conn, options);
    this.subscriber = connectRedis(conn, { ...options, commandTimeout: undefined });
    for (const c of [this.client, this.subscriber]) c.on("error", (e: Error) => (this.lastError = e.message));
  }

  async connect(): Promise<void> {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
  }

  /** Runs `fn` against the primary with the manager's retry rules. */
  run<T>(fn: (r: Redis) => Promise<T>, opts: RedisOpOptions): Promise<T> {
    return withRetry({ store: "redis", operation: opts.operation, idempotent: opts.idempotent }, classifyRedis, () => fn(this.client), this.policy, this.onRetry);
  }

  /** PING on the command connection; a connection that is not ready is down at once, with its last error. */
  async ping(): Promise<number> {
    const t0 = performance.now();
    if (this.client.status !== "ready") throw new Error(`connection is ${this.client.status}${this.lastError ? ` (last error: ${this.lastError})` : ""}`);
    await this.client.ping();
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.client, this.subscriber].map(async (c) => {
        if (c.status === "end") return;
        // QUIT waits for replies already due; a connection that is down just disconnects.
        if (c.status === "ready") await c.quit().catch(() => c.disconnect());
        else c.disconnect();
      }),
    );
  }
}
