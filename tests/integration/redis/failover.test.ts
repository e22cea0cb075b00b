import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killNode, nodeRole, restartNode, waitHealthy } from "../../../local/services/redis";
import { appClient, direct, ensureLibraries, primaryPort, redisEndpoints } from "./helpers";

const e = redisEndpoints();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls ROLE on every node; records the most nodes that claimed to be primary at one instant. */
function watchRoles() {
  let maxPrimaries = 0;
  let running = true;
  const seen: string[] = [];
  const loop = (async () => {
    while (running) {
      const roles = await Promise.all(e.nodes.map((n) => nodeRole(n.port, e.admin)));
      const primaries = e.nodes.filter((_, i) => roles[i] === "master").map((n) => n.name);
      if (primaries.length > maxPrimaries) maxPrimaries = primaries.length;
      if (primaries.length > 1) seen.push(primaries.join("+"));
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxPrimaries, seen };
    },
  };
}

/** Writes key after key through one Sentinel-mode client; records which writes were acknowledged. */
function writer(client: Redis, prefix: string, waitReplicas: number) {
  const acked: { i: number; at: number }[] = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await client.set(`${prefix}${i}`, String(i));
        if (waitReplicas > 0 && Number(await client.wait(waitReplicas, 1000)) < waitReplicas) continue;
        acked.push({ i, at: Date.now() });
      } catch {
        errors++;
        await sleep(20);
      }
    }
  })();
  return {
    acked,
    async stop() {
      running = false;
      await loop;
      return { acked, errors };
    },
  };
}

async function countMissing(client: Redis, prefix: string, acked: { i: number }[]): Promise<number> {
  let missing = 0;
  for (let off = 0; off < acked.length; off += 1000) {
    const keys = acked.slice(off, off + 1000).map((a) => `${prefix}${a.i}`);
    const vals = await client.mget(...keys);
    missing += vals.filter((v) => v === null).length;
  }
  return missing;
}

describe("Redis Sentinel failover on the local tier (real redis-server 7 + 3 Sentinels, same rendered configs)", () => {
  beforeAll(async () => {
    await waitHealthy(e);
    await ensureLibraries(e);
  });
  afterAll(async () => {
    // Leave every node running and the cluster whole for the files after this one.
    for (const n of e.nodes) if ((await nodeRole(n.port, e.admin)) === undefined) await restartNode(e, n.name);
    await waitHealthy(e, 90_000);
  });

  it("kill -9 the primary under continuous writes: new primary, acked writes lost (plain vs WAIT 1), clients reconnect, old primary rejoins as a replica, never two primaries", async () => {
    const oldPort = await primaryPort(e);
    const old = e.nodes.find((n) => n.port === oldPort)!;
    const run = `fo:${Date.now()}:`;
    const plainClient = appClient(e);
    const waitClient = appClient(e);
    await Promise.all([plainClient.ping(), waitClient.ping()]);
    const roles = watchRoles();
    const plain = writer(plainClient, `${run}plain:`, 0);
    const waited = writer(waitClient, `${run}wait:`, 1);
    await sleep(1500);

    const killedAt = Date.now();
    await killNode(e, old.name);
    let newPort = oldPort;
    while (newPort === oldPort) {
      await sleep(50);
      newPort = await primaryPort(e);
    }
    const promotedMs = Date.now() - killedAt;
    // Writes resume on the same client objects: no restart, no manual reconnect.
    const firstPlain = await waitUntilAcked(plain.acked, killedAt);
    const firstWait = await waitUntilAcked(waited.acked, killedAt);
    await sleep(1000);

    await restartNode(e, old.name);
    const rejoinStart = Date.now();
    let rejoined = false;
    while (!rejoined && Date.now() - rejoinStart < 60_000) {
      const c = await direct(old.port, e).catch(() => undefined);
      if (c) {
        const info = await c.info("replication").catch(() => "");
        c.disconnect();
        rejoined = /role:slave/.test(info) && info.includes(`master_port:${newPort}`) && /master_link_status:up/.test(info);
      }
      if (!rejoined) await sleep(100);
    }
    const rejoinMs = Date.now() - rejoinStart;
    await sleep(500);
    const p = await plain.stop();
    const w = await waited.stop();
    const { maxPrimaries, seen } = await roles.stop();

    const lostPlain = await countMissing(plainClient, `${run}plain:`, p.acked);
    const lostWait = await countMissing(plainClient, `${run}wait:`, w.acked);
    const ackedAfterPlain = p.acked.filter((a) => a.at > killedAt).length;
    const ackedAfterWait = w.acked.filter((a) => a.at > killedAt).length;
    // Sentinel may still reconfigure the rejoined node (REPLICAOF + CLIENT KILL TYPE normal) a moment after it
    // came back, closing any plain connection: ask again on a fresh one rather than fail on a closed socket.
    let oldSeesFunctions = -1;
    for (let attempt = 0; attempt < 20 && oldSeesFunctions < 0; attempt++) {
      oldSeesFunctions = await direct(old.port, e)
        .then(async (c) => {
          try {
            return ((await c.call("FUNCTION", "LIST")) as unknown[][]).length;
          } finally {
            c.disconnect();
          }
        })
        .catch(async () => {
          await sleep(250);
          return -1;
        });
    }
    const r = (await plainClient.fcall("ratelimit_check", 1, `rl:${run}`, 10, 1000)) as unknown[];
    plainClient.disconnect();
    waitClient.disconnect();

    console.log(
      [
        `failover: ${old.name} (port ${oldPort}) killed with SIGKILL; Sentinels named a new primary (port ${newPort}) after ${promotedMs} ms`,
        `failover: first acknowledged write after the kill: plain ${firstPlain} ms, with WAIT 1 ${firstWait} ms`,
        `failover: acked writes lost, plain: ${lostPlain} of ${p.acked.length} (${p.errors} errors while the primary was gone)`,
        `failover: acked writes lost, SET + WAIT 1: ${lostWait} of ${w.acked.length} (${w.errors} errors)`,
        `failover: old primary back as a replica of the new one ${rejoinMs} ms after restart; most primaries seen at once: ${maxPrimaries}`,
      ].join("\n"),
    );
    expect(seen).toEqual([]);
    expect(maxPrimaries).toBe(1);
    expect(rejoined).toBe(true);
    expect(ackedAfterPlain).toBeGreaterThan(0);
    expect(ackedAfterWait).toBeGreaterThan(0);
    // WAIT 1 means a replica had the write when it was acknowledged, and Sentinel promotes the
    // replica with the highest replication offset.
    expect(lostWait).toBe(0);
    expect(lostPlain).toBeLessThanOrEqual(p.acked.length);
    expect(oldSeesFunctions).toBe(3);
    expect(r[0]).toBe(1);
    await waitHealthy(e, 60_000);
  });

  it("a primary killed and restarted at once keeps its data and ends with one primary (a brief second primary under load is printed as a known gap)", async () => {
    const port = await primaryPort(e);
    const node = e.nodes.find((n) => n.port === port)!;
    const app = appClient(e);
    const key = `quick-restart:${Date.now()}`;
    await app.set(key, "kept");
    await app.wait(1, 1000);
    await sleep(1100); // appendfsync everysec
    const roles = watchRoles();
    await killNode(e, node.name);
    await restartNode(e, node.name);
    await waitHealthy(e, 60_000);
    const { maxPrimaries, seen } = await roles.stop();
    const nowPrimary = await primaryPort(e);
    console.log(`quick restart: ${node.name} restarted at once; primary is now port ${nowPrimary} (was ${port}); most primaries seen at once: ${maxPrimaries}`);
    // Known gap, measured rather than hidden: when the restart is slower than down-after-milliseconds (a loaded
    // machine), the Sentinels fail over while the node, told a moment earlier that it is still the primary,
    // starts as one; two primaries are then seen until Sentinel demotes it. min-replicas-to-write keeps the
    // stale one from acknowledging writes. What must hold either way: the data and one primary at the end.
    if (seen.length) console.log(`quick restart: KNOWN GAP: two primaries seen for a moment (${seen.length} samples)`);
    const finalRoles = await Promise.all(e.nodes.map((n) => nodeRole(n.port, e.admin)));
    expect(finalRoles.filter((r) => r === "master")).toHaveLength(1);
    expect(await app.get(key)).toBe("kept");
    app.disconnect();
  });
});

async function waitUntilAcked(acked: { at: number }[], after: number, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const first = acked.find((a) => a.at > after);
    if (first) return first.at - after;
    await sleep(20);
  }
  throw new Error(`no write was acknowledged within ${timeoutMs} ms after the kill`);
}
