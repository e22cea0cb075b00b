import type Redis from "ioredis";

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** When denied: milliseconds until a slot frees up; 0 when allowed. */
  retryAfterMs: number;
  /** Server time of the decision (ms, µs precision). */
  serverTimeMs: number;
}

/** Sliding-window limiter backed by the `ratelimit` library (schemas/redis/ratelimit.lua). */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    /** Requests admitted per window. */
    readonly limit: number,
    /** Window length in milliseconds. */
    readonly windowMs: number,
    readonly prefix = "rl:",
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`RateLimiter: limit must be a positive integer, got ${limit}`);
    if (!Number.isInteger(windowMs) || windowMs < 1) throw new Error(`RateLimiter: windowMs must be a positive integer, got ${windowMs}`);
  }

  async check(key: string): Promise<RateLimitDecision> {
    const r = (await this.redis.fcall("ratelimit_check", 1, this.prefix + key, this.limit, this.windowMs)) as [number, number, number, string];
    return { allowed: r[0] === 1, remaining: r[1], retryAfterMs: r[2], serverTimeMs: Number(r[3]) };
  }
}
