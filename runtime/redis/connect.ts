import Redis, { type RedisOptions } from "ioredis";

/** Where a service finds Redis: Sentinels (the normal case) or one address (tests, tools). */
export interface RedisTarget {
  readonly sentinels?: readonly { host: string; port: number }[];
  readonly masterName?: string;
  readonly host?: string;
  readonly port?: number;
  readonly username: string;
  readonly password: string;
}

/**
 * An ioredis client that follows the primary through failovers: it asks the Sentinels for the
 * primary, reconnects on its own when the primary dies, and switches at once on Sentinel's
 * +switch-master (failoverDetector) rather than waiting for the old socket to time out.
 */
export function connectRedis(t: RedisTarget, extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    username: t.username,
    password: t.password,
    // Retry forever with a short back-off: a failover takes a few seconds and callers should not see it.
    retryStrategy: (times) => Math.min(50 * times, 500),
    sentinelRetryStrategy: (times) => Math.min(50 * times, 500),
    reconnectOnError: (err) => /READONLY|LOADING|MASTERDOWN/.test(err.message),
    ...extra,
  };
  if (t.sentinels && t.sentinels.length > 0) {
    if (!t.masterName) throw new Error("connectRedis: masterName is required with sentinels");
    return new Redis({ ...base, sentinels: t.sentinels.map((s) => ({ host: s.host, port: s.port })), name: t.masterName, failoverDetector: true });
  }
  if (!t.host || !t.port) throw new Error("connectRedis: give sentinels + masterName, or host + port");
  return new Redis({ ...base, host: t.host, port: t.port });
}
