import type Redis from "ioredis";

export interface ClaimedItem {
  id: string;
  payload: string;
  /** Proves this claim is still current when acking. */
  token: string;
  /** 1 on first delivery, more after visibility timeouts. */
  deliveries: number;
}

/** A reliable queue backed by the `queue` library (schemas/redis/queue.lua). */
export class ReliableQueue {
  private readonly keys: [string, string, string, string];

  constructor(
    private readonly redis: Redis,
    readonly name: string,
  ) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`ReliableQueue: name must be letters, digits, _ . -, got ${JSON.stringify(name)}`);
    // One hash tag so the four keys stay in one slot if this ever moves to Redis Cluster.
    const k = (s: string) => `q:{${name}}:${s}`;
    this.keys = [k("ready"), k("claimed"), k("items"), k("seq")];
  }

  async enqueue(payload: string): Promise<string> {
    return String(await this.redis.fcall("queue_enqueue", 4, ...this.keys, payload));
  }

  /** The next item, invisible to other consumers for visibilityMs; undefined when the queue is empty. */
  async claim(visibilityMs: number): Promise<ClaimedItem | undefined> {
    const r = (await this.redis.fcall("queue_claim", 4, ...this.keys, visibilityMs)) as [string, string, string, number] | null;
    return r ? { id: r[0], payload: r[1], token: r[2], deliveries: r[3] } : undefined;
  }

  /** True when the claim was still current; false when it had expired (the item may be redelivered). */
  async ack(item: Pick<ClaimedItem, "id" | "token">): Promise<boolean> {
    return (await this.redis.fcall("queue_ack", 4, ...this.keys, item.id, item.token)) === 1;
  }

  async requeueExpired(): Promise<number> {
    return Number(await this.redis.fcall("queue_requeue_expired", 4, ...this.keys));
  }

  async depth(): Promise<{ ready: number; claimed: number }> {
    const [ready, claimed] = (await this.redis.fcall_ro("queue_depth", 4, ...this.keys)) as [number, number];
    return { ready, claimed };
  }
}
