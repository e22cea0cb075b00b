import { connect } from "../../../infra/postgres/client/connect";
import { sleep } from "../../process";
import type { PostgresEndpoints } from "../postgres";
import { currentPrimary } from "./primary-proxy";

type Slots = Record<string, { database: string; plugin: string } | null>;

async function patchConfig(ep: PostgresEndpoints, body: unknown): Promise<void> {
  const primary = (await currentPrimary(ep.members)) ?? ep.members[0];
  const r = await fetch(`http://${primary.host}:${primary.restApiPort}/config`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!r.ok) throw new Error(`patroni PATCH /config: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
}

/**
 * Adds permanent logical slots to the running cluster's dynamic config (what `patronictl edit-config`
 * does; patroni.ts renders the same `slots` key at bootstrap) and waits until the primary has them.
 * Patroni then copies them to the replicas and advances them there, so the slot survives a failover.
 */
export async function addPermanentSlots(ep: PostgresEndpoints, slots: Record<string, { database: string; plugin: string }>, timeoutMs = 60_000): Promise<void> {
  await patchConfig(ep, { slots: Object.fromEntries(Object.entries(slots).map(([n, s]) => [n, { type: "logical", database: s.database, plugin: s.plugin }])) });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = await connect(ep.connectionString).catch(() => undefined);
    if (c) {
      try {
        const r = await c.query<{ n: number }>("select count(*)::int as n from pg_replication_slots where slot_name = any($1)", [Object.keys(slots)]);
        if (r.rows[0]?.n === Object.keys(slots).length) return;
      } finally {
        await c.end().catch(() => {});
      }
    }
    await sleep(500);
  }
  throw new Error(`patroni did not create permanent slot(s) ${Object.keys(slots).join(", ")} on the primary within ${timeoutMs / 1000} s`);
}

/** Members (by name) that hold each slot, read from every running member. */
export async function slotHolders(ep: PostgresEndpoints, slot: string): Promise<string[]> {
  const out: string[] = [];
  for (const m of ep.members) {
    const url = `postgresql://${encodeURIComponent(ep.superuser.user)}:${encodeURIComponent(ep.superuser.password)}@${m.host}:${m.port}/postgres?connect_timeout=2`;
    const c = await connect(url).catch(() => undefined);
    if (!c) continue;
    try {
      const r = await c.query("select 1 from pg_replication_slots where slot_name = $1", [slot]);
      if (r.rowCount) out.push(m.name);
    } finally {
      await c.end().catch(() => {});
    }
  }
  return out;
}

/** Removes the slots from Patroni's config and drops them on the primary (the replicas drop their copies). */
export async function removePermanentSlots(ep: PostgresEndpoints, names: readonly string[]): Promise<void> {
  const body: { slots: Slots } = { slots: Object.fromEntries(names.map((n) => [n, null])) };
  await patchConfig(ep, body);
  const c = await connect(ep.connectionString);
  try {
    for (let i = 0; i < 20; i++) {
      const r = await c.query<{ n: number }>(
        "select count(*)::int as n from (select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = any($1) and not active) d",
        [names],
      );
      const left = await c.query<{ n: number }>("select count(*)::int as n from pg_replication_slots where slot_name = any($1)", [names]);
      if (left.rows[0]?.n === 0 || r.rows[0] === undefined) break;
      await sleep(500);
    }
  } finally {
    await c.end();
  }
}
