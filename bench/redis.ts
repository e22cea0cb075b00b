/**
 * Rate-limit function calls per second beside `redis-benchmark` INCR on the same server.
 *
 *   npx tsx bench/redis.ts            (N=200000 requests per run; BENCH_N overrides)
 *
 * One redis-server from the same rendered redis.conf (min-replicas-to-write 0: it is alone), the
 * real schemas/redis libraries loaded by the RedisFunctions provider code. Runs, same 50 clients,
 * no pipelining (redis-benchmark's defaults), random keys over 100k:
 *   1. redis-benchmark INCR                           (native baseline)
 *   2. redis-benchmark FCALL ratelimit_check          (our function, same load generator)
 *   3. our typed client (ioredis RateLimiter), 50 connections with one call in flight each
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { applyRedisFunctions } from "../infra/providers/redis-functions";
import { aclUsers, renderRedisConf, type AclPasswords } from "../infra/redis/render";
import { freePort } from "../local/ports";
import { sleep, startProcess, waitUntil } from "../local/process";
import { readStackFile } from "../local/stack-config";
import { RateLimiter } from "../runtime/redis";
import { loadFunctionLibraries } from "../schemas/redis/libraries";

const N = Number(process.env.BENCH_N ?? 200_000);
const CLIENTS = 50;

function benchmark(port: number, pw: string, args: string[]): number {
  const r = spawnSync("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "--user", "application", "-a", pw, "-c", String(CLIENTS), "-n", String(N), "-r", "100000", "-q", ...args], {
    encoding: "utf8",
  });
  const m = /([0-9.]+) requests per second/.exec(r.stdout);
  if (!m) throw new Error(`redis-benchmark ${args.join(" ")} printed no result:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-redis-"));
  const pw = Object.fromEntries(aclUsers.map((u) => [u, randomBytes(18).toString("hex")])) as AclPasswords;
  const cfg = { ...readStackFile("local").redis, minReplicasToWrite: 0, maxmemory: "1Gi" as const };
  const port = await freePort();
  fs.writeFileSync(path.join(dir, "redis.conf"), `${renderRedisConf(cfg, pw)}port ${port}\ndir ${dir}\n`);
  const server = startProcess({ name: "bench-redis", command: "redis-server", args: [path.join(dir, "redis.conf")], logPath: path.join(dir, "redis.log") });
  try {
    const admin = { host: "127.0.0.1", port, username: "admin", password: pw.admin };
    await waitUntil({ service: "bench redis", logPath: server.logPath, proc: server }, async () => {
      const c = new Redis({ ...admin, lazyConnect: true, retryStrategy: () => null });
      c.on("error", () => {});
      try {
        await c.connect();
        return (await c.ping()) === "PONG";
      } finally {
        c.disconnect();
      }
    }, 10_000);
    await applyRedisFunctions({ connection: admin, libraries: loadFunctionLibraries() });

    const incr = benchmark(port, pw.application, ["-t", "incr"]);
    // limit 1000 per 1 s per key: with 100k random keys nearly every call is admitted (the write path).
    const fcall = benchmark(port, pw.application, ["FCALL", "ratelimit_check", "1", "rl:__rand_int__", "1000", "1000"]);

    const clients = Array.from({ length: CLIENTS }, () => new Redis({ host: "127.0.0.1", port, username: "application", password: pw.application }));
    await Promise.all(clients.map((c) => c.ping()));
    let done = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      clients.map(async (c) => {
        const limiter = new RateLimiter(c, 1000, 1000);
        while (done < N) {
          done++;
          await limiter.check(`node:${Math.floor(Math.random() * 100_000)}`);
        }
      }),
    );
    const client = N / (Number(process.hrtime.bigint() - t0) / 1e9);
    clients.forEach((c) => c.disconnect());

    const f = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);
    console.log(`redis ${spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.split(" ")[2]} on 127.0.0.1, ${CLIENTS} clients, no pipelining, ${N} requests each run, ${os.cpus().length} cores`);
    console.log(`  redis-benchmark INCR (baseline)        ${f(incr)} ops/s`);
    console.log(`  redis-benchmark FCALL ratelimit_check  ${f(fcall)} ops/s   ratio ${(fcall / incr).toFixed(2)}`);
    console.log(`  RateLimiter (ioredis, node)            ${f(client)} ops/s   ratio ${(client / incr).toFixed(2)}`);
  } finally {
    await server.stop();
    await sleep(50);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
