import { CDC_TABLES } from "../../infra/cdc/flows";

/**
 * Debezium change events (JsonConverter, schemas disabled) turned into ClickHouse rows. Pure: the
 * consumer and the unit tests use it.
 */

export interface DebeziumEnvelope {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { ts_ms: number; lsn?: number | null; db?: string; schema: string; table: string; snapshot?: string | boolean };
  op: "c" | "u" | "d" | "r" | "t";
  ts_ms?: number;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type LandedRows = {
  transactions: Record<string, unknown>[];
  rowChanges: Record<string, unknown>[];
  deliveries: Record<string, unknown>[];
};

/** "2024-05-01T10:00:00.123456Z" → "2024-05-01 10:00:00.123456" (ClickHouse's default input format, UTC column). */
export function toClickHouseTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]00(?::?00)?)$/.exec(iso);
  if (!m) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) throw new Error(`cdc event: not a timestamp: ${JSON.stringify(iso)}`);
    return d.toISOString().replace("T", " ").replace("Z", "");
  }
  return `${m[1]} ${m[2]}`;
}

const msTime = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");

const streamed = new Set<string>(CDC_TABLES.map((t) => t.table));

/**
 * Rows for one delivery. Tombstones (null value) and tables we do not stream give nothing; a
 * malformed event throws, naming topic/partition/offset, so the consumer stops instead of
 * committing past data it could not land.
 */
export function rowsFor(d: Delivery, out: LandedRows, sourceDatabase?: string): void {
  if (!d.value) return;
  const where = `${d.topic}[${d.partition}]@${d.offset}`;
  let ev: DebeziumEnvelope;
  try {
    ev = JSON.parse(d.value.toString("utf8")) as DebeziumEnvelope;
  } catch (e) {
    throw new Error(`cdc event ${where}: not JSON: ${(e as Error).message}`);
  }
  if (!ev || typeof ev !== "object" || !ev.source || !ev.op) throw new Error(`cdc event ${where}: not a Debezium change envelope`);
  if (sourceDatabase !== undefined && ev.source.db !== sourceDatabase) return;
  const table = `${ev.source.schema}.${ev.source.table}`;
  if (!streamed.has(table) || ev.op === "t") return;
  const row = ev.op === "d" ? ev.before : ev.after;
  if (!row) throw new Error(`cdc event ${where}: op ${ev.op} without a row image (is REPLICA IDENTITY set?)`);
  const version = Number(ev.source.lsn ?? 0);
  const deleted = ev.op === "d" ? 1 : 0;
  const sourceTs = msTime(ev.source.ts_ms);
  const pk = d.key ? d.key.toString("utf8") : JSON.stringify(row);
  const meta = { _version: version, _deleted: deleted, _source_ts: sourceTs };
  out.deliveries.push({ topic: d.topic, partition: d.partition, offset: d.offset, table, pk, op: ev.op, version, source_ts: sourceTs });
  if (table === "trading.transaction_history") {
    out.transactions.push({
      id: row.id,
      occurred_at: toClickHouseTime(String(row.occurred_at)),
      account_id: row.account_id,
      kind: row.kind,
      instrument_id: row.instrument_id ?? null,
      amount: String(row.amount),
      currency: row.currency,
      ...meta,
    });
  } else {
    out.rowChanges.push({ table, pk, data: JSON.stringify(row), ...meta });
  }
}

export const emptyRows = (): LandedRows => ({ transactions: [], rowChanges: [], deliveries: [] });
