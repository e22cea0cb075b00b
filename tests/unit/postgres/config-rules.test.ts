import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStackConfig, configFromPulumiMap } from "../../../stacks/config";

function rawConfig(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.resolve(__dirname, `../../../Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  const flat = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return configFromPulumiMap(flat);
}

const withPostgres = (stack: string, patch: Record<string, unknown>) => {
  const raw = rawConfig(stack);
  return { ...raw, postgres: { ...(raw.postgres as object), ...patch } };
};

describe("postgres config rules", () => {
  it.each(["local", "dev", "prod"])("%s stack config is valid", (stack) => {
    expect(() => parseStackConfig(rawConfig(stack), stack)).not.toThrow();
  });

  it("rejects PgBouncer pools that cannot fit in max_connections, naming the key and the numbers", () => {
    const raw = withPostgres("prod", { pgbouncer: { replicas: 2, image: "bitnami/pgbouncer:1.23.1", defaultPoolSize: 100, maxClientConn: 2000 } });
    expect(() => parseStackConfig(raw, "prod")).toThrow(/postgres\.pgbouncer\.defaultPoolSize: defaultPoolSize \* replicas must be <= 180 .* got 100 \* 2 = 200/);
  });

  it("rejects a Patroni timing that violates loop_wait + 2*retry_timeout <= ttl", () => {
    expect(() => parseStackConfig(withPostgres("dev", { ttl: 10, loopWait: 5, retryTimeout: 5 }), "dev")).toThrow(/postgres\.ttl: loopWait \+ 2\*retryTimeout must be <= ttl, got 5 \+ 2\*5 > 10/);
  });

  it("rejects synchronousNodeCount that leaves no member to fail over to", () => {
    expect(() => parseStackConfig(withPostgres("dev", { synchronousNodeCount: 3 }), "dev")).toThrow(/postgres\.synchronousNodeCount: must be less than members \(3\), got 3/);
  });
});
