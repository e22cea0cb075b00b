import type Redis from "ioredis";
import { channelFor } from "../../schemas/redis/channels";
import { subscribe, type Subscription } from "./pubsub";
import { sleep } from "./sleep";

export interface CacheOptions {
  /** Time to live in ms. */
  ttlMs: number;
  /** Up to this many ms are added at random, so entries written together do not expire together. Defaults to 10% of ttlMs. */
  jitterMs?: number;
  /** Tags this entry is invalidated by (e.g. "instrument:AAPL"). */
  tags?: readonly string[];
}

/** Get-or-set cache with stampede protection and tag invalidation, backed by schemas/redis/cache.lua. */
export class Cache {
  constructor(
    private readonly redis: Redis,
    readonly prefix = "c:",
    /** How long one caller may hold the load lock (ms). */
    readonly lockMs = 5000,
  ) {}

  private tagKey(tag: string): string {
    return `${this.prefix}tag:${tag}`;
  }

  /** The cached value, or `load()`'s result stored with TTL + jitter. Concurrent misses load once. */
  async getOrSet(key: string, opts: CacheOptions, load: () => Promise<string>): Promise<string> {
    const k = this.prefix + key;
    const lock = `${k}:lock`;
    const deadline = Date.now() + this.lockMs;
    for (;;) {
      const [hit, second] = (await this.redis.fcall("cache_get_or_lock", 2, k, lock, this.lockMs)) as [number, string | number];
      if (hit === 1) return String(second);
      // Another caller is loading: wait for its value, but never longer than the lock lives.
      if (second === 1 || Date.now() > deadline) break;
      await sleep(20);
    }
    const value = await load();
    const tags = (opts.tags ?? []).map((t) => this.tagKey(t));
    const jitter = opts.jitterMs ?? Math.floor(opts.ttlMs / 10);
    await this.redis.fcall("cache_set", 2 + tags.length, k, lock, ...tags, value, opts.ttlMs, jitter);
    return value;
  }

  /** Deletes every entry carrying one of the tags and tells subscribers; returns the keys dropped. */
  async invalidateTags(tags: readonly string[]): Promise<number> {
    if (tags.length === 0) return 0;
    const channel = channelFor("cacheInvalidations", {});
    return Number(await this.redis.fcall("cache_invalidate_tags", tags.length, ...tags.map((t) => this.tagKey(t)), channel, ...tags));
  }

  /** Calls onInvalidate with the dropped keys (without prefix) whenever any instance invalidates tags. */
  onInvalidation(sub: Redis, onInvalidate: (keys: string[], tags: string[]) => void): Subscription {
    return subscribe(sub, "cacheInvalidations", (p) =>
      onInvalidate(
        p.keys.filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length)),
        p.tags,
      ),
    );
  }
}
