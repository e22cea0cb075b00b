/**
 * Kafka client throughput beside Kafka's own perf tools, on the same real local 3-node KRaft cluster.
 *
 *   npx tsx bench/kafka.ts            (BENCH_RECORDS=100000, BENCH_RECORD_SIZE=512 bytes)
 *
 * Starts the local cluster exactly as the tests do (local/services/kafka.ts), creates two topics with the
 * KafkaTopics provider (6 partitions, RF 3, min.insync.replicas 2), then:
 *   1. producer: kafkajs with the project's settings and send path (infra/kafka/client-settings.ts:
 *      acks=all, idempotent, one request in flight; infra/kafka/client/producer.ts AckedProducer:
 *      one request per partition, fresh producer after a failure), 1000-record sends, 4 outstanding, vs
 *      org.apache.kafka.tools.ProducerPerformance from the same jars with the same settings (acks=all,
 *      enable.idempotence=true, max.in.flight=1) and batch.size raised so its requests are as large
 *   2. consumer: a kafkajs consumer group vs org.apache.kafka.tools.ConsumerPerformance, both reading
 *      the same N records from the beginning (join/rebalance time excluded on both sides)
 * and prints records/s for each, and ours/native.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { AckedProducer } from "../infra/kafka/client/producer";
import { consumerSettings } from "../infra/kafka/client-settings";
import { applyTopics } from "../infra/providers/kafka/topics";
import { startKafka, type KafkaEndpoints } from "../local/services/kafka";
import { readStackFile } from "../local/stack-config";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const SIZE = Number(process.env.BENCH_RECORD_SIZE ?? 512);
const BATCH = 1000;
const IN_FLIGHT_BATCHES = 4;
const PARTITIONS = 6;

// The tools print their results on stdout; keep their INFO logging off it.
const QUIET_LOG4J = "rootLogger.level = WARN\nrootLogger.appenderRef.err.ref = STDERR\nappender.err.type = Console\nappender.err.name = STDERR\nappender.err.target = SYSTEM_ERR\nappender.err.layout.type = PatternLayout\nappender.err.layout.pattern = %p %m%n\n";
let quietLog4j = "";

function java(ep: KafkaEndpoints, mainClass: string, args: string[]): string {
  const r = spawnSync("java", ["-Xmx512m", `-Dlog4j2.configurationFile=${quietLog4j}`, "-cp", `${ep.libDir}/*`, mainClass, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${mainClass} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function kafkajsProduce(ep: KafkaEndpoints, topic: string): Promise<number> {
  const producer = new AckedProducer(new Kafka({ clientId: "bench", brokers: ep.brokers, logLevel: logLevel.NOTHING }));
  const value = Buffer.alloc(SIZE, 120);
  const t0 = process.hrtime.bigint();
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (sent < RECORDS) {
    const n = Math.min(BATCH, RECORDS - sent);
    const messages = Array.from({ length: n }, (_, i) => ({ key: String((sent + i) % 1000), value }));
    sent += n;
    const p: Promise<unknown> = producer.send(topic, PARTITIONS, messages).then(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT_BATCHES) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await producer.disconnect();
  return RECORDS / secs;
}

function nativeProduce(ep: KafkaEndpoints, topic: string): number {
  const out = java(ep, "org.apache.kafka.tools.ProducerPerformance", [
    "--topic", topic, "--num-records", String(RECORDS), "--record-size", String(SIZE), "--throughput", "-1",
    "--producer-props", `bootstrap.servers=${ep.bootstrapServers}`, "acks=all", "enable.idempotence=true", "max.in.flight.requests.per.connection=1",
    // kafkajs sends BATCH records per request; give the Java producer batches as large so both send comparable requests.
    `batch.size=${Math.max(16384, Math.ceil((BATCH * SIZE) / 4))}`, "linger.ms=5",
  ]);
  // Last summary line: "100000 records sent, 41000.1 records/sec (20.02 MB/sec), ..."
  const m = [...out.matchAll(/([0-9]+) records sent, ([0-9.]+) records\/sec/g)].pop();
  if (!m) throw new Error(`unexpected ProducerPerformance output:\n${out}`);
  return Number(m[2]);
}

async function kafkajsConsume(ep: KafkaEndpoints, topic: string): Promise<number> {
  const consumer = new Kafka({ clientId: "bench", brokers: ep.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `bench-kafkajs-${Date.now()}`, ...consumerSettings });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let first = 0n;
  let last = 0n;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (!first) first = process.hrtime.bigint();
        seen += batch.messages.length;
        if (seen >= RECORDS) {
          last = process.hrtime.bigint();
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return RECORDS / (Number(last - first) / 1e9);
}

function nativeConsume(ep: KafkaEndpoints, topic: string): number {
  const out = java(ep, "org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server", ep.bootstrapServers, "--topic", topic, "--messages", String(RECORDS), "--group", `bench-native-${Date.now()}`, "--hide-header",
  ]);
  // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = out.split("\n").filter((l) => /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+, /.test(l)).pop() ?? "";
  const cols = line.split(",").map((s) => s.trim());
  const fetchMsgPerSec = Number(cols[9]);
  if (!Number.isFinite(fetchMsgPerSec)) throw new Error(`unexpected ConsumerPerformance output:\n${out}`);
  return fetchMsgPerSec;
}

async function main(): Promise<void> {
  const cfg = readStackFile("local");
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-kafka-"));
  quietLog4j = path.join(baseDir, "tools-log4j2.properties");
  fs.writeFileSync(quietLog4j, QUIET_LOG4J);
  const svc = await startKafka({ baseDir, cacheDir: "", log: (m) => console.log(m), track: () => {} }, cfg).catch((err: unknown) => {
    fs.rmSync(baseDir, { recursive: true, force: true });
    throw err;
  });
  try {
    const ep = svc.endpoints;
    const decl = (name: string) => ({ name, description: "bench", partitions: PARTITIONS, config: { "min.insync.replicas": 2, "retention.ms": 3_600_000 } });
    await applyTopics({ topics: [decl("bench.kafkajs"), decl("bench.native")], source: "bench/kafka.ts", defaultReplicationFactor: 3, allowReplace: false }, { brokers: ep.brokers });
    const fmt = (n: number) => `${Math.round(n).toLocaleString("en-US")} rec/s`;
    const row = (what: string, ours: number, native: number) =>
      console.log(`${what.padEnd(10)} kafkajs ${fmt(ours).padStart(14)}   Kafka tool ${fmt(native).padStart(14)}   ours/native ${(ours / native).toFixed(2)}`);
    console.log(`\nKafka ${cfg.kafka.version}, 3 KRaft nodes on 127.0.0.1, ${RECORDS} records of ${SIZE} bytes, RF 3, acks=all, idempotent\n`);
    const pOurs = await kafkajsProduce(ep, "bench.kafkajs");
    const pNative = nativeProduce(ep, "bench.native");
    row("producer", pOurs, pNative);
    const cOurs = await kafkajsConsume(ep, "bench.kafkajs");
    const cNative = nativeConsume(ep, "bench.kafkajs");
    row("consumer", cOurs, cNative);
  } finally {
    await svc.stop();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
