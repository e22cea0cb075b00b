import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Client } from "pg";
import { connect } from "../../../infra/postgres/client/connect";
import { applyMigrations } from "../../../infra/providers/postgres/apply";
import type { PostgresEndpoints } from "../../../local/services/postgres";
import { freshDatabase, schemaFiles } from "./fresh-db";

// The trading schema's money rules and role privileges, enforced by the real PostgreSQL 15.
const ep = inject("localTier").postgres as PostgresEndpoints;
let d: Awaited<ReturnType<typeof freshDatabase>>;
let c: Client;
let accountId: number;

beforeAll(async () => {
  d = await freshDatabase(ep, "schema");
  await applyMigrations({ connectionString: d.url, migrations: schemaFiles(), partitions: { monthsAhead: 1, retentionMonths: 12 }, allowDestructiveChanges: false });
  c = await connect(d.url);
  const u = await c.query<{ id: string }>("insert into trading.users (email, full_name) values ('t@example.com', 'T') returning id");
  const a = await c.query<{ id: string }>("insert into trading.accounts (user_id, base_currency, cash_balance) values ($1, 'USD', 100) returning id", [u.rows[0].id]);
  accountId = Number(a.rows[0].id);
});
afterAll(async () => {
  await c?.end();
  await d?.drop();
});

describe("trading schema constraints", () => {
  it("refuses negative cash on a cash account, allows it within a margin limit", async () => {
    await expect(c.query("update trading.accounts set cash_balance = -1 where id = $1", [accountId])).rejects.toThrow(/accounts_no_negative_cash/);
    await c.query("update trading.accounts set margin_enabled = true, margin_limit = 500, cash_balance = -400 where id = $1", [accountId]);
    await expect(c.query("update trading.accounts set cash_balance = -501 where id = $1", [accountId])).rejects.toThrow(/accounts_no_negative_cash/);
  });

  it("refuses currencies that are not ISO 4217 codes", async () => {
    await expect(c.query("insert into trading.instruments (symbol, name, asset_class, currency) values ('X', 'x', 'equity', 'usd')")).rejects.toThrow(
      /foreign key|violates/,
    );
  });

  it("refuses negative holdings and orders filled beyond their quantity or with a price that does not fit the type", async () => {
    const i = await c.query<{ id: string }>("insert into trading.instruments (symbol, name, asset_class, currency) values ('ACME', 'Acme', 'equity', 'USD') returning id");
    const p = await c.query<{ id: string }>("insert into trading.portfolios (account_id, name) values ($1, 'main') returning id", [accountId]);
    await expect(
      c.query("insert into trading.holdings (portfolio_id, instrument_id, quantity, average_cost) values ($1, $2, -1, 10)", [p.rows[0].id, i.rows[0].id]),
    ).rejects.toThrow(/holdings_quantity_check/);
    const order = (type: string, limit: number | null, filled: number) =>
      c.query(
        `insert into trading.orders (account_id, portfolio_id, instrument_id, client_order_id, side, order_type, quantity, limit_price, filled_quantity)
         values ($1, $2, $3, gen_random_uuid()::text, 'buy', $4, 10, $5, $6)`,
        [accountId, p.rows[0].id, i.rows[0].id, type, limit, filled],
      );
    await expect(order("limit", 10, 11)).rejects.toThrow(/orders_fill_within_quantity/);
    await expect(order("market", 10, 0)).rejects.toThrow(/orders_limit_price_matches_type/);
    await expect(order("limit", 10, 0)).resolves.toBeTruthy();
  });

  it("app_rw appends to the ledger but cannot rewrite it; app_ro cannot write at all", async () => {
    await c.query("insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency) values ($1, now(), 'deposit', 50, 'USD')", [accountId]);
    await c.query("begin");
    try {
      await c.query("set local role app_rw");
      await c.query("insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency) values ($1, now(), 'fee', -1, 'USD')", [accountId]);
      await expect(c.query("update trading.transaction_history set amount = 1000")).rejects.toThrow(/permission denied/);
    } finally {
      await c.query("rollback");
    }
    await c.query("begin");
    try {
      await c.query("set local role app_ro");
      await c.query("select count(*) from trading.transaction_history");
      await expect(c.query("delete from trading.orders")).rejects.toThrow(/permission denied/);
    } finally {
      await c.query("rollback");
    }
  });

  it("refuses a deposit with a negative amount and a trade without an instrument", async () => {
    await expect(
      c.query("insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency) values ($1, now(), 'deposit', -5, 'USD')", [accountId]),
    ).rejects.toThrow(/transaction_amount_sign/);
    await expect(
      c.query("insert into trading.transaction_history (account_id, occurred_at, kind, amount, currency) values ($1, now(), 'buy', -5, 'USD')", [accountId]),
    ).rejects.toThrow(/transaction_trade_fields/);
  });
});
