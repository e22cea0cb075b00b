import Redis, { type RedisOptions } from "ioredis";
import { inject } from "vitest";
import { applyRedisFunctions } from "../../../infra/providers/redis-functions";
import type { RedisEndpoints } from "../../../local/services/redis";
import { connectRedis } from "../../../runtime/redis";
import { loadFunctionLibraries } from "../../../schemas/redis/libraries";

export function redisEndpoints(): RedisEndpoints {
  const e = inject("localTier").redis;
  if (!e) throw new Error("the local tier was started without redis (DATA_PLATFORM_SERVICES)");
  return e;
}

/** The application user through the Sentinels, exactly as a service connects. */
export function appClient(e: RedisEndpoints, extra: RedisOptions = {}): Redis {
  const c = connectRedis({ sentinels: e.sentinels, masterName: e.masterName, ...e.application }, extra);
  // Connection errors during a failover are expected; the client reconnects on its own.
  c.on("error", () => {});
  return c;
}

export function adminConnection(e: RedisEndpoints) {
  return { sentinels: e.sentinels, masterName: e.masterName, ...e.admin };
}

/** Loads the real schemas/redis libraries (idempotent: unchanged libraries are skipped). */
export async function ensureLibraries(e: RedisEndpoints): Promise<void> {
  await applyRedisFunctions({ connection: adminConnection(e), libraries: loadFunctionLibraries(), waitReplicas: e.nodes.length - 1 });
}

/** A direct admin connection to one node (no Sentinel), for ROLE and FUNCTION LIST on replicas. */
export async function direct(port: number, e: RedisEndpoints): Promise<Redis> {
  const c = new Redis({ host: "127.0.0.1", port, ...e.admin, lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  await c.connect();
  return c;
}

export async function primaryPort(e: RedisEndpoints): Promise<number> {
  const s = new Redis({ host: e.sentinels[0].host, port: e.sentinels[0].port, lazyConnect: true });
  try {
    await s.connect();
    const [, port] = (await s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", e.masterName)) as [string, string];
    return Number(port);
  } finally {
    s.disconnect();
  }
}
