import type { Client } from "pg";
import type { ClickHouseExecutor } from "../../infra/providers/clickhouse/executor";
import { CDC_DATABASE } from "./clickhouse-schema";

/** One (day, account) cell: how many transactions and their total, on each side. */
export interface CellTotals {
  count: number;
  /** Exact decimal string with 4 places, e.g. "-12.5000". */
  total: string;
}

export interface Mismatch {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  accountId: string;
  postgres: CellTotals;
  clickhouse: CellTotals;
  /** Transaction ids committed in Postgres that ClickHouse does not have (lost events). */
  missingInClickHouse: string[];
  /** Ids ClickHouse has that Postgres does not (duplicated or phantom events). */
  unexpectedInClickHouse: string[];
  /** Ids on both sides whose amount differs. */
  amountDiffers: string[];
}

export interface ReconcileReport {
  /** Half-open UTC range compared, [from, to). */
  from: string;
  to: string;
  cellsCompared: number;
  mismatches: Mismatch[];
}

export interface ReconcileRange {
  /** Inclusive start, ISO timestamp or date (UTC). */
  from: string;
  /**
   * Exclusive end. Use a bound a little in the past (now minus the expected CDC lag) so rows still
   * in flight are not reported as lost.
   */
  to: string;
}

/** Decimal string → integer of 1/10000 units, so totals compare exactly (no floating point). */
export function toScaled(decimal: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!m) throw new Error(`reconcile: not a decimal: ${JSON.stringify(decimal)}`);
  const frac = (m[3] ?? "").padEnd(4, "0");
  if (frac.length > 4 && /[1-9]/.test(frac.slice(4))) throw new Error(`reconcile: more than 4 decimal places: ${decimal}`);
  const v = BigInt(m[2]) * 10000n + BigInt(frac.slice(0, 4));
  return m[1] ? -v : v;
}

export function fromScaled(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? "-" : ""}${a / 10000n}.${(a % 10000n).toString().padStart(4, "0")}`;
}

const key = (day: string, account: string) => `${day}|${account}`;

/** Compares two sets of cells; pure, so the unit tests cover every case without servers. */
export function compareCells(pg: Map<string, CellTotals>, ch: Map<string, CellTotals>): { key: string; postgres: CellTotals; clickhouse: CellTotals }[] {
  const zero: CellTotals = { count: 0, total: "0.0000" };
  const out: { key: string; postgres: CellTotals; clickhouse: CellTotals }[] = [];
  for (const k of [...new Set([...pg.keys(), ...ch.keys()])].sort()) {
    const a = pg.get(k) ?? zero;
    const b = ch.get(k) ?? zero;
    if (a.count !== b.count || toScaled(a.total) !== toScaled(b.total)) out.push({ key: k, postgres: a, clickhouse: b });
  }
  return out;
}

function assertRange(r: ReconcileRange): void {
  for (const [name, v] of Object.entries(r)) {
    if (Number.isNaN(new Date(v).getTime())) throw new Error(`reconcile: --${name} must be an ISO date or timestamp, got ${JSON.stringify(v)}`);
  }
  if (new Date(r.from) >= new Date(r.to)) throw new Error(`reconcile: --from (${r.from}) must be before --to (${r.to})`);
}

const chTime = (iso: string) => new Date(iso).toISOString().replace("T", " ").replace("Z", "");

/**
 * Compares Postgres transaction_history totals per UTC day and account with the CDC landing table in
 * ClickHouse (read FINAL, deletes excluded), then drills into every mismatching cell to name the
 * transaction ids that are missing, unexpected or different. Reports every mismatch; changes nothing.
 */
export async function reconcile(pg: Client, ch: ClickHouseExecutor, range: ReconcileRange, database = CDC_DATABASE): Promise<ReconcileReport> {
  assertRange(range);
  const pgCells = await pg.query<{ day: string; account_id: string; n: string; total: string }>(
    `select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, account_id::text, count(*)::text as n, sum(amount)::numeric(38,4)::text as total
       from trading.transaction_history where occurred_at >= $1 and occurred_at < $2 group by 1, 2`,
    [range.from, range.to],
  );
  const chCells = await ch.query<{ day: string; account_id: string; n: string; total: string }>(
    `SELECT toString(toDate(occurred_at, 'UTC')) AS day, toString(account_id) AS account_id, toString(count()) AS n, toString(sum(amount)) AS total
       FROM ${database}.transactions FINAL
      WHERE _deleted = 0 AND occurred_at >= toDateTime64('${chTime(range.from)}', 6, 'UTC') AND occurred_at < toDateTime64('${chTime(range.to)}', 6, 'UTC')
      GROUP BY day, account_id`,
  );
  const toMap = (rows: { day: string; account_id: string; n: string; total: string }[]) =>
    new Map(rows.map((r) => [key(r.day, r.account_id), { count: Number(r.n), total: fromScaled(toScaled(r.total)) }]));
  const differing = compareCells(toMap(pgCells.rows), toMap(chCells));
  const mismatches: Mismatch[] = [];
  for (const d of differing) {
    const [day, accountId] = d.key.split("|");
    const pgRows = await pg.query<{ id: string; amount: string }>(
      `select id::text, amount::text from trading.transaction_history
        where account_id = $1 and occurred_at >= $2 and occurred_at < $4
          and to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') = $3`,
      [accountId, range.from, day, range.to],
    );
    const chRows = await ch.query<{ id: string; amount: string }>(
      `SELECT toString(id) AS id, toString(amount) AS amount FROM ${database}.transactions FINAL
        WHERE _deleted = 0 AND account_id = ${BigInt(accountId)} AND toDate(occurred_at, 'UTC') = toDate('${day}')
          AND occurred_at >= toDateTime64('${chTime(range.from)}', 6, 'UTC') AND occurred_at < toDateTime64('${chTime(range.to)}', 6, 'UTC')`,
    );
    const pgById = new Map(pgRows.rows.map((r) => [r.id, toScaled(r.amount)]));
    const chById = new Map<string, bigint[]>();
    for (const r of chRows) chById.set(r.id, [...(chById.get(r.id) ?? []), toScaled(r.amount)]);
    const byNumber = (a: string, b: string) => Number(a) - Number(b);
    mismatches.push({
      day,
      accountId,
      postgres: d.postgres,
      clickhouse: d.clickhouse,
      missingInClickHouse: [...pgById.keys()].filter((id) => !chById.has(id)).sort(byNumber),
      unexpectedInClickHouse: [...chById.entries()].flatMap(([id, v]) => (pgById.has(id) ? Array(v.length - 1).fill(id) : v.map(() => id))).sort(byNumber),
      amountDiffers: [...pgById.entries()].filter(([id, v]) => chById.has(id) && !(chById.get(id) ?? []).includes(v)).map(([id]) => id).sort(byNumber),
    });
  }
  return { from: range.from, to: range.to, cellsCompared: new Set([...pgCells.rows.map((r) => key(r.day, r.account_id)), ...chCells.map((r) => key(r.day, r.account_id))]).size, mismatches };
}

/** Human-readable lines, one per mismatch (the command prints these). */
export function formatReport(r: ReconcileReport): string[] {
  const head = `reconcile ${r.from} .. ${r.to}: ${r.cellsCompared} (day, account) cells compared, ${r.mismatches.length} mismatch(es)`;
  return [
    head,
    ...r.mismatches.map(
      (m) =>
        `MISMATCH day=${m.day} account=${m.accountId}: postgres ${m.postgres.count} txns / ${m.postgres.total}, clickhouse ${m.clickhouse.count} txns / ${m.clickhouse.total}` +
        (m.missingInClickHouse.length ? `; missing in clickhouse: ${m.missingInClickHouse.join(", ")}` : "") +
        (m.unexpectedInClickHouse.length ? `; unexpected in clickhouse: ${m.unexpectedInClickHouse.join(", ")}` : "") +
        (m.amountDiffers.length ? `; amount differs: ${m.amountDiffers.join(", ")}` : ""),
    ),
  ];
}
