import { describe, expect, it } from "vitest";
import { aclUsers, renderRedisConf, renderSentinelConf, type AclPasswords } from "../../../infra/redis/render";
import { readStackFile } from "../../../local/stack-config";

const pw = Object.fromEntries(aclUsers.map((u) => [u, `${u}-0123456789abcdef`])) as AclPasswords;
const local = readStackFile("local").redis;
const prod = readStackFile("prod").redis;

const directive = (conf: string, key: string) => conf.split("\n").filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1));

describe("redis.conf renderer", () => {
  it("durability, memory and write safety come from the stack config", () => {
    const conf = renderRedisConf(prod, pw);
    expect(directive(conf, "appendonly")).toEqual(["yes"]);
    expect(directive(conf, "appendfsync")).toEqual(["everysec"]);
    expect(directive(conf, "maxmemory")).toEqual([String(6 * 1024 ** 3)]);
    expect(directive(conf, "maxmemory-policy")).toEqual(["volatile-lru"]);
    expect(directive(conf, "min-replicas-to-write")).toEqual(["1"]);
    expect(directive(conf, "min-replicas-max-lag")).toEqual(["10"]);
    expect(directive(renderRedisConf(local, pw), "maxmemory")).toEqual([String(128 * 1024 ** 2)]);
  });

  it("node identity is left to the entrypoint, so one file serves every node", () => {
    const conf = renderRedisConf(prod, pw);
    for (const k of ["port", "dir", "replicaof", "replica-announce-ip"]) expect(directive(conf, k), k).toEqual([]);
  });

  it("default user off; one ACL user per role; replicas authenticate as the replication user", () => {
    const conf = renderRedisConf(prod, pw);
    expect(directive(conf, "user")[0]).toBe("default off");
    expect(directive(conf, "user").map((u) => u.split(" ")[0])).toEqual(["default", "admin", "application", "replication", "sentinel", "exporter"]);
    expect(directive(conf, "masteruser")).toEqual(["replication"]);
    expect(directive(conf, "masterauth")).toEqual([pw.replication]);
    const app = directive(conf, "user").find((u) => u.startsWith("application "))!;
    expect(app).toContain(`>${pw.application}`);
    expect(app).toMatch(/-function\|load .*-function\|delete/);
    expect(directive(conf, "user").find((u) => u.startsWith("replication "))).toMatch(/-@all \+psync \+replconf \+ping$/);
  });

  it("refuses passwords that would break the file, naming the user", () => {
    expect(() => renderRedisConf(prod, { ...pw, exporter: "short" })).toThrow(/ACL user exporter: password must be at least 16 characters/);
    expect(() => renderRedisConf(prod, { ...pw, admin: "has a space in it!!!!" })).toThrow(/ACL user admin/);
  });
});

describe("sentinel.conf renderer", () => {
  it("timing from config, parallel-syncs 1, Sentinel's own ACL user", () => {
    const conf = renderSentinelConf(local, pw);
    expect(conf).toContain("sentinel down-after-milliseconds trading 2000\n");
    expect(conf).toContain("sentinel failover-timeout trading 10000\n");
    expect(conf).toContain("sentinel parallel-syncs trading 1\n");
    expect(conf).toContain("sentinel auth-user trading sentinel\n");
    expect(conf).toContain(`sentinel auth-pass trading ${pw.sentinel}\n`);
    // The monitor line must precede per-master directives, so the entrypoint writes it.
    expect(conf).not.toMatch(/sentinel monitor/);
  });
});
