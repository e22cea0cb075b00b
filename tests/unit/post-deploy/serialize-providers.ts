// Run with ts-node --transpile-only (plain CommonJS, as the engine loads the program): serializes each post-deploy provider
// the way pulumi.dynamic.Resource does and prints, per provider, ok + the modules the code requires,
// or the serializer's error. Under vitest this cannot run in-process (node built-ins are hidden).
import { serializeFunction } from "@pulumi/pulumi/runtime";
import { clickhouseSchemaProvider } from "../../../infra/providers/clickhouse/provider";
import { kafkaTopicsProvider } from "../../../infra/providers/kafka";
import { milvusCollectionsProvider } from "../../../infra/providers/milvus";
import { postgresMigrationsProvider } from "../../../infra/providers/postgres/provider";
import { redisFunctionsProvider } from "../../../infra/providers/redis-functions";

const providers: Record<string, unknown> = {
  "postgres-migrations": postgresMigrationsProvider,
  "redis-functions": redisFunctionsProvider,
  "kafka-topics": kafkaTopicsProvider,
  "clickhouse-schema": clickhouseSchemaProvider,
  "milvus-collections": milvusCollectionsProvider,
};

async function main(): Promise<void> {
  const out: Record<string, { ok: boolean; requires?: string[]; error?: string }> = {};
  for (const [name, p] of Object.entries(providers)) {
    try {
      const sf = await serializeFunction(() => p, { allowSecrets: true });
      out[name] = { ok: true, requires: [...new Set([...sf.text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort() };
    } catch (e) {
      out[name] = { ok: false, error: String(e).slice(0, 500) };
    }
  }
  console.log(JSON.stringify(out));
}
void main();
