/**
 * Reconciliation: Postgres transaction totals per UTC day and account against the ClickHouse CDC
 * landing table. Prints every mismatch (with the transaction ids behind it) and exits 1 if any.
 *
 *   tsx scripts/reconcile.ts --from 2026-01-01 --to 2026-01-08 [--clickhouse-url http://host:8123 | --chdb DIR] [--database cdc]
 *
 * Credentials come from the environment, never the command line (it shows in `ps`):
 *   RECONCILE_POSTGRES_URL   libpq URL (multi-host allowed) of the trading database
 *   RECONCILE_CLICKHOUSE_USER / RECONCILE_CLICKHOUSE_PASSWORD   for --clickhouse-url
 * --to defaults to now minus 5 minutes, so rows still in flight through CDC are not reported as lost.
 */
import { connect } from "../infra/postgres/client/connect";
import { redact } from "../infra/providers/common";
import { withExecutor, type ClickHouseConnection } from "../infra/providers/clickhouse/executor";
import { CDC_DATABASE } from "../runtime/cdc/clickhouse-schema";
import { formatReport, reconcile } from "../runtime/cdc/reconcile";

export interface ReconcileArgs {
  from: string;
  to: string;
  database: string;
  postgresUrl: string;
  clickhouse: ClickHouseConnection;
}

const USAGE = "usage: reconcile --from DATE [--to DATE] (--clickhouse-url URL | --chdb DIR) [--database NAME]; RECONCILE_POSTGRES_URL must be set";

/** Parses argv and env; every problem is named with the flag and what is allowed. */
export function parseReconcileArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, now = new Date()): ReconcileArgs {
  const flags = new Map<string, string>();
  const allowed = new Set(["--from", "--to", "--clickhouse-url", "--chdb", "--database"]);
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (!allowed.has(k)) throw new Error(`reconcile: unknown argument ${JSON.stringify(k)}; allowed: ${[...allowed].join(", ")}\n${USAGE}`);
    if (v === undefined || v.startsWith("--")) throw new Error(`reconcile: ${k} needs a value\n${USAGE}`);
    flags.set(k, v);
  }
  const problems: string[] = [];
  const from = flags.get("--from");
  if (!from) problems.push("--from is required (ISO date or timestamp, UTC)");
  const to = flags.get("--to") ?? new Date(now.getTime() - 5 * 60_000).toISOString();
  for (const [k, v] of [["--from", from], ["--to", to]] as const) if (v && Number.isNaN(new Date(v).getTime())) problems.push(`${k} must be an ISO date or timestamp, got ${JSON.stringify(v)}`);
  const url = flags.get("--clickhouse-url");
  const dir = flags.get("--chdb");
  if (!url === !dir) problems.push("exactly one of --clickhouse-url or --chdb is required");
  const postgresUrl = env.RECONCILE_POSTGRES_URL ?? "";
  if (!postgresUrl) problems.push("RECONCILE_POSTGRES_URL must be set to the trading database's URL");
  const database = flags.get("--database") ?? CDC_DATABASE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) problems.push(`--database must be an identifier, got ${JSON.stringify(database)}`);
  if (problems.length) throw new Error(`reconcile: ${problems.join("; ")}\n${USAGE}`);
  const clickhouse: ClickHouseConnection = url
    ? { kind: "http", url, username: env.RECONCILE_CLICKHOUSE_USER ?? "default", password: env.RECONCILE_CLICKHOUSE_PASSWORD ?? "" }
    : { kind: "chdb", dataDir: dir as string };
  return { from: from as string, to, database, postgresUrl, clickhouse };
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const args = parseReconcileArgs(argv, env);
  const pg = await connect(args.postgresUrl);
  try {
    const report = await withExecutor(args.clickhouse, (ch) => reconcile(pg, ch, { from: args.from, to: args.to }, args.database));
    for (const line of formatReport(report)) console.log(line);
    return report.mismatches.length ? 1 : 0;
  } finally {
    await pg.end();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (e: Error) => {
      const secrets = [process.env.RECONCILE_POSTGRES_URL, process.env.RECONCILE_CLICKHOUSE_PASSWORD];
      console.error(redact(e.message, secrets));
      process.exit(2);
    },
  );
}
