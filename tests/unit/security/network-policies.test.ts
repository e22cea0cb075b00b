import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/mocks";
import { renderNetworkPolicies, systemNetworks, type NetworkPolicyDoc } from "../../../infra/security/network-policies";
import { mayConnect, type Endpoint } from "./netpol-eval";

const NS = "data-prod";
const policies = renderNetworkPolicies();
const can = (from: Endpoint, to: Endpoint, port: number, protocol = "TCP") => mayConnect(policies, NS, from, to, port, protocol);

const pod = (labels: Record<string, string>): Endpoint => ({ namespace: NS, labels });
const postgres = pod({ "app.kubernetes.io/name": "postgres", "app.kubernetes.io/component": "patroni" });
const pgbouncer = pod({ "app.kubernetes.io/name": "postgres", "app.kubernetes.io/component": "pgbouncer" });
const redis = pod({ "app.kubernetes.io/name": "redis" });
const kafka = pod({ "strimzi.io/kind": "Kafka", "app.kubernetes.io/name": "kafka" });
const clickhouse = pod({ "app.kubernetes.io/name": "clickhouse" });
const milvus = pod({ "app.kubernetes.io/name": "milvus" });
const stranger = pod({ app: "debug-shell" });
const localClient = pod({ "data-platform/client": "true" });
const app = (systems: string[]): Endpoint => ({
  namespace: "trading",
  nsLabels: Object.fromEntries(systems.map((s) => [`data-platform/access-${s}`, "true"])),
  labels: { app: "order-service" },
});
const prometheus: Endpoint = { namespace: "monitoring", nsLabels: { "data-platform/access-monitoring": "true" }, labels: { app: "prometheus" } };
const kubeDns: Endpoint = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const internet: Endpoint = {};

describe("NetworkPolicies (evaluated, not compared as YAML)", () => {
  it("default deny: an unlabelled pod in the namespace reaches nothing", () => {
    for (const [target, port] of [[postgres, 5432], [redis, 6379], [kafka, 9092], [clickhouse, 8123], [milvus, 19530]] as const) {
      expect(can(stranger, target, port)).toBe(false);
    }
  });

  it("a pod labelled data-platform/client reaches client ports, not replication or admin ports", () => {
    expect(can(localClient, pgbouncer, 6432)).toBe(true);
    expect(can(localClient, postgres, 5432)).toBe(true);
    expect(can(localClient, postgres, 8008)).toBe(false);
    expect(can(localClient, kafka, 9093)).toBe(true);
    expect(can(localClient, kafka, 9091)).toBe(false);
    expect(can(localClient, clickhouse, 9009)).toBe(false);
    // A client pod is isolated like any other for everything else.
    expect(can(localClient, internet, 443)).toBe(false);
  });

  it("a namespace labelled for one system reaches that system only", () => {
    expect(can(app(["postgres"]), pgbouncer, 6432)).toBe(true);
    expect(can(app(["postgres"]), redis, 6379)).toBe(false);
    expect(can(app(["redis", "kafka"]), redis, 26379)).toBe(true);
    expect(can(app(["redis", "kafka"]), kafka, 9092)).toBe(true);
    expect(can(app([]), postgres, 5432)).toBe(false);
  });

  it("replication peers reach each other on peer ports, and not other systems", () => {
    expect(can(postgres, postgres, 5432)).toBe(true);
    expect(can(postgres, postgres, 8008)).toBe(true);
    expect(can(pgbouncer, postgres, 5432)).toBe(true);
    expect(can(redis, redis, 26379)).toBe(true);
    expect(can(kafka, kafka, 9091)).toBe(true);
    expect(can(clickhouse, clickhouse, 9444)).toBe(true);
    expect(can(postgres, redis, 6379)).toBe(false);
    expect(can(redis, postgres, 5432)).toBe(false);
  });

  it("Milvus' components talk on any port among themselves, and Milvus reaches Kafka's client ports only", () => {
    expect(can(milvus, milvus, 21123)).toBe(true);
    expect(can(milvus, kafka, 9092)).toBe(true);
    expect(can(milvus, kafka, 9090)).toBe(false);
    expect(can(kafka, milvus, 19530)).toBe(false);
  });

  it("Prometheus reaches metrics ports only", () => {
    expect(can(prometheus, redis, 9121)).toBe(true);
    expect(can(prometheus, postgres, 9187)).toBe(true);
    expect(can(prometheus, kafka, 9404)).toBe(true);
    expect(can(prometheus, redis, 6379)).toBe(false);
    expect(can({ ...prometheus, nsLabels: {} }, redis, 9121)).toBe(false);
  });

  it("egress: DNS for everyone, HTTPS (S3, Kubernetes API) only for systems that need it", () => {
    for (const p of [postgres, redis, kafka, clickhouse, milvus, stranger]) expect(can(p, kubeDns, 53, "UDP")).toBe(true);
    expect(can(stranger, internet, 53, "UDP")).toBe(false);
    expect(can(postgres, internet, 443)).toBe(true);
    expect(can(clickhouse, internet, 443)).toBe(true);
    expect(can(milvus, internet, 443)).toBe(true);
    expect(can(redis, internet, 443)).toBe(false);
    expect(can(kafka, internet, 443)).toBe(false);
    expect(can(postgres, internet, 80)).toBe(false);
  });

  it("the evaluator itself: with no policies everything is open", () => {
    expect(mayConnect([], NS, stranger, postgres, 5432)).toBe(true);
  });

  it("a system that uses an unknown one is refused, naming both", () => {
    expect(() => renderNetworkPolicies([{ ...systemNetworks[4], uses: ["pulsar"] }])).toThrow(/milvus uses unknown system "pulsar" \(known: milvus\)/);
  });
});

describe.each(["dev", "prod"])("%s: NetworkPolicy objects", (stack) => {
  it("default-deny, allow-dns and one policy per system, in the data namespace, as rendered", async () => {
    const run = await runProgram(stack);
    const objs = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const byName = new Map(objs.map((o) => [(o.inputs.metadata as { name: string }).name, o.inputs]));
    expect([...byName.keys()].sort()).toEqual(["allow-dns", "clickhouse", "clients", "default-deny", "kafka", "milvus", "postgres", "redis"]);
    for (const p of renderNetworkPolicies() as NetworkPolicyDoc[]) {
      expect(byName.get(p.name)).toMatchObject({ metadata: { namespace: `data-${stack}` }, spec: p.spec });
    }
    const component = run.one("data-platform:security:NetworkPolicies", "network-policies");
    for (const o of objs) expect(o.parent).toBe(component.urn);
  });
});

it("local: no NetworkPolicies", async () => {
  const run = await runProgram("local");
  expect(run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toEqual([]);
});
