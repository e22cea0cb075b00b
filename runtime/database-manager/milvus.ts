import { MilvusClient } from "@zilliz/milvus2-sdk-node";
import type { MilvusConnection } from "./config";

/** One Milvus client; the SDK's eager connect is made harmless and awaited through ping(). */
export class MilvusStore {
  readonly client: MilvusClient;
  // The SDK throws from a gRPC callback (uncaught, fatal) when a call still retrying meets a closed
  // channel, so close() waits for calls it knows about.
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(readonly conn: MilvusConnection) {
    const [username, ...rest] = conn.token?.split(":") ?? [];
    // The SDK logs request bodies (and credentials) below "warn".
    this.client = new MilvusClient({
      address: conn.address,
      timeout: conn.timeoutMs ?? 10_000,
      logLevel: "warn",
      ...(conn.token ? { username, password: rest.join(":") } : {}),
    });
    this.client.connectPromise = this.client.connectPromise.catch(() => undefined);
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    const call = this.client.checkHealth();
    this.inFlight.add(call);
    void call.catch(() => undefined).finally(() => this.inFlight.delete(call));
    const h = await call;
    if (!h.isHealthy) throw new Error(`not healthy: ${(h.reasons ?? []).join("; ") || "no reason given"}`);
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, this.conn.timeoutMs ?? 10_000))]);
    this.client.closeConnection();
  }
}
