import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redisEntrypoint } from "../../../infra/redis/render";

// The real entrypoint against a stub redis-cli whose Sentinel answers we script, and a stub server
// that prints the config it was given. The integration failover tests run it against real Sentinels.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-entrypoint-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(answers: Record<string, { addr: string; flags?: string }>, timeoutMs = 4000) {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const cases = Object.entries(answers)
    .map(([port, a]) => `  ${port}) if [ "$7" = get-master-addr-by-name ]; then printf '%s\\n' ${a.addr.split(" ").join(" ")}; else printf 'name\\ntrading\\nflags\\n%s\\n' '${a.flags ?? "master"}'; fi ;;`)
    .join("\n");
  fs.writeFileSync(path.join(bin, "redis-cli"), `#!/bin/sh\ncase "$4" in\n${cases}\n  *) exit 1 ;;\nesac\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "fake-server"), `#!/bin/sh\ncat "$1"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "base.conf"), "appendonly yes\n");
  fs.writeFileSync(path.join(dir, "entrypoint.sh"), redisEntrypoint);
  const r = spawnSync("sh", [path.join(dir, "entrypoint.sh")], {
    encoding: "utf8",
    timeout: timeoutMs,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      REDIS_BASE_CONF: path.join(dir, "base.conf"),
      REDIS_CONF: path.join(dir, "node.conf"),
      DATA_DIR: path.join(dir, "data"),
      SELF_HOST: "10.0.0.1",
      SELF_PORT: "6379",
      SENTINELS: "s:1 s:2 s:3",
      MASTER_NAME: "trading",
      QUORUM: "2",
      REDIS_SERVER: path.join(bin, "fake-server"),
    },
  });
  return { config: r.stdout, log: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
}

describe("redis entrypoint asks the Sentinels before starting", () => {
  it("a restarted old primary starts as a replica of the primary the Sentinel quorum names", () => {
    const r = run({ "1": { addr: "10.0.0.2 6379" }, "2": { addr: "10.0.0.2 6379" }, "3": { addr: "10.0.0.1 6379" } });
    expect(r.config).toContain("replicaof 10.0.0.2 6379\n");
    expect(r.config).toContain(`port 6379\ndir ${path.join(dir, "data")}\nreplica-announce-ip 10.0.0.1\n`);
    expect(r.log).toMatch(/starting as replica/);
  });

  it("starts as primary only when a quorum names this node and no failover of it is under way", () => {
    const r = run({ "1": { addr: "10.0.0.1 6379" }, "2": { addr: "10.0.0.1 6379" }, "3": { addr: "10.0.0.1 6379", flags: "master,s_down" } });
    expect(r.config).not.toMatch(/replicaof/);
    expect(r.log).toMatch(/starting as master/);
  });

  it("waits (does not start) while the Sentinels fail this node over", () => {
    const r = run({ "1": { addr: "10.0.0.1 6379", flags: "master,s_down,o_down,failover_in_progress" }, "2": { addr: "10.0.0.1 6379" } }, 2500);
    expect(r.timedOut).toBe(true);
    expect(r.config).toBe("");
    expect(r.log).toMatch(/report 'master,s_down,o_down,failover_in_progress'; waiting/);
  });

  it("waits while no quorum agrees (one answer, or a split)", () => {
    const r = run({ "1": { addr: "10.0.0.2 6379" }, "2": { addr: "10.0.0.3 6379" } }, 2500);
    expect(r.timedOut).toBe(true);
    expect(r.config).toBe("");
    expect(r.log).toMatch(/no quorum of sentinels agrees/);
  });
});
