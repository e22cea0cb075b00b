import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Client } from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connect } from "../../../infra/postgres/client/connect";
import { ARCHIVER_QUERY } from "../../../infra/postgres/config/monitoring";
import { freePorts } from "../../../local/ports";
import { chownTree, lookupUser, sleep, startProcess, waitUntil, type ManagedProcess } from "../../../local/process";
import { clusterState, isLeader, POSTGRES_BIN, runPgBackRest, waitForHealthyCluster, type PostgresEndpoints, type PostgresMember } from "../../../local/services/postgres";
import { freshDatabase } from "../postgres/fresh-db";

/**
 * The local tier's Patroni cluster archives WAL with the same patroni.yml archive settings and
 * pgbackrest.conf renderer as the pods (there to S3, here to a directory repository). The backup agent
 * the pods run as a sidecar takes the base backup; then rows are committed on both sides of a timestamp,
 * and a restore to that timestamp into a fresh data directory must hold exactly the rows before it.
 */
const ep = inject("localTier").postgres as PostgresEndpoints;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pitr-"));
const procs: ManagedProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop(10_000);
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function leader(): Promise<PostgresMember> {
  const s = await clusterState(ep.members);
  const l = s.members.find((m) => isLeader(m.role) && m.state === "running");
  const m = ep.members.find((x) => x.name === l?.name);
  if (!m) throw new Error(`no running leader: ${JSON.stringify(s.members)}`);
  return m;
}

/** One tick of infra/backups/pgbackrest-agent.py for a member, as the pods' sidecar runs it. */
function agentOnce(m: PostgresMember): { status: number; events: { event: string; result?: string }[]; output: string } {
  const u = lookupUser("postgres");
  const r = spawnSync(
    "/usr/bin/python3",
    [
      ep.backup.agentScript,
      `--config=${m.pgbackrestConfigPath}`,
      `--stanza=${ep.backup.stanza}`,
      `--patroni-url=http://${m.host}:${m.restApiPort}`,
      `--full-every-hours=${ep.backup.fullBackupHours}`,
      "--once",
    ],
    { uid: u.uid, gid: u.gid, cwd: "/tmp", encoding: "utf8", env: { ...process.env, PGPASSWORD: ep.superuser.password } },
  );
  const output = `${r.stdout}${r.stderr}`;
  const events = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { event: string; result?: string });
  return { status: r.status ?? 1, events, output };
}

function backupCount(m: PostgresMember): number {
  const r = runPgBackRest(m, ep.superuser.password, ["--output=json", "info"]);
  if (r.status !== 0) throw new Error(`pgbackrest info: ${r.output}`);
  const info = JSON.parse(r.output) as { backup: unknown[] }[];
  return info[0]?.backup.length ?? 0;
}

async function waitArchived(c: Client, what: string): Promise<void> {
  const segment = (await c.query("select pg_walfile_name(pg_current_wal_lsn()) as w")).rows[0].w as string;
  await c.query("select pg_switch_wal()");
  await waitUntil(
    { service: `wal archive (${what})`, logPath: ep.members[0].logPath },
    async () => ((await c.query("select coalesce(last_archived_wal, '') as w from pg_stat_archiver")).rows[0].w as string) >= segment,
    60_000,
  );
}

describe("WAL archiving and point-in-time restore of the Patroni cluster (pgBackRest, real PostgreSQL 15)", () => {
  it("the backup agent backs up only on the leader and only when the newest backup is older than the interval", async () => {
    const l = await leader();
    const replica = ep.members.find((m) => m.name !== l.name) as PostgresMember;
    const before = backupCount(l);

    const onReplica = agentOnce(replica);
    expect(onReplica.status, onReplica.output).toBe(0);
    expect(onReplica.events.at(-1)?.result).toBe("not-leader");
    expect(backupCount(l)).toBe(before);

    const t0 = Date.now();
    const first = agentOnce(l);
    expect(first.status, first.output).toBe(0);
    // A fresh tier has no backup yet, so the first tick must take one (a re-run of this file may find one).
    expect(first.events.at(-1)?.result).toBe(before === 0 ? "backup" : "fresh");
    console.log(`agent tick on the leader (${first.events.at(-1)?.result}): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(backupCount(l)).toBe(Math.max(before, 1));

    const second = agentOnce(l);
    expect(second.status, second.output).toBe(0);
    expect(second.events.at(-1)?.result).toBe("fresh");
    expect(backupCount(l)).toBe(Math.max(before, 1));
  }, 180_000);

  it("restores exactly the rows committed before the target time", async () => {
    const db = await freshDatabase(ep, "pitr");
    const c = await connect(db.url);
    const late = await connect(db.url);
    try {
      await c.query("create table fills (id int primary key, at timestamptz not null default clock_timestamp())");
      await c.query("insert into fills (id) select generate_series(1, 100)");
      // Open before the target, committed after it: must not be restored.
      await late.query("begin");
      await late.query("insert into fills (id) values (1000)");
      await sleep(1100);
      const target = (await c.query("select clock_timestamp()::text as t")).rows[0].t as string;
      await sleep(1100);
      await late.query("commit");
      await c.query("insert into fills (id) select generate_series(101, 200)");
      await waitArchived(c, "after the target");
      expect((await c.query("select count(*)::int as n from fills")).rows[0].n).toBe(201);

      // Restore the newest backup plus archived WAL up to the target into a fresh directory, as the runbook does.
      const l = await leader();
      const restoredDir = path.join(scratch, "restored");
      const sock = path.join(scratch, "sock");
      fs.mkdirSync(sock, { recursive: true });
      chownTree(scratch, "postgres");
      const t0 = Date.now();
      const r = runPgBackRest(l, ep.superuser.password, [
        `--pg1-path=${restoredDir}`,
        "--type=time",
        `--target=${target}`,
        "--target-action=promote",
        "--archive-mode=off",
        "restore",
      ]);
      expect(r.status, r.output).toBe(0);
      const [port] = await freePorts(1);
      const logPath = path.join(scratch, "restored.log");
      // The restored directory carries the member's Patroni-written postgresql.conf; only what would clash
      // with the running cluster (address, socket, synchronous standbys that do not exist here) is overridden.
      const proc = startProcess({
        name: "pitr-restored",
        command: `${POSTGRES_BIN}/postgres`,
        args: ["-D", restoredDir, "-p", String(port), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "synchronous_standby_names=", "-c", "archive_mode=off"],
        logPath,
        user: "postgres",
      });
      procs.push(proc);
      const restoredUrl = `postgresql://postgres:${encodeURIComponent(ep.superuser.password)}@127.0.0.1:${port}/${db.name}`;
      await waitUntil(
        { service: "restored postgres", logPath, proc },
        async () => {
          const rc = await connect(restoredUrl).catch(() => undefined);
          if (!rc) return false;
          try {
            return (await rc.query("select pg_is_in_recovery() as r")).rows[0].r === false;
          } finally {
            await rc.end();
          }
        },
        120_000,
      );
      console.log(`restore to ${target}: ${((Date.now() - t0) / 1000).toFixed(1)} s (pgbackrest restore + WAL replay + promote)`);
      const rc = await connect(restoredUrl);
      const ids = (await rc.query("select id from fills order by id")).rows.map((x: { id: number }) => x.id);
      await rc.end();
      expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      await proc.stop(10_000);
    } finally {
      await c.end();
      await late.end();
      await db.drop();
    }
  }, 300_000);

  it("keeps archiving after a switchover: the new leader's WAL reaches the repository", async () => {
    const old = await leader();
    const state = await clusterState(ep.members);
    const candidate = state.members.find((m) => m.role === "sync_standby")?.name;
    expect(candidate, JSON.stringify(state.members)).toBeTruthy();
    const res = await fetch(`http://${old.host}:${old.restApiPort}/switchover`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ leader: old.name, candidate }),
    });
    expect(res.status, await res.text()).toBe(200);
    await waitUntil({ service: "switchover", logPath: old.logPath }, async () => (await leader().catch(() => old)).name === candidate, 60_000);
    const now = await leader();
    const c = await connect(ep.connectionString);
    try {
      await c.query("create table if not exists archive_probe (id serial primary key)");
      await c.query("insert into archive_probe default values");
      await waitArchived(c, "new leader");
      // The exporter's archiver query (the PostgresWalArchivingFailing alert's input) sees it healthy.
      const a = (await c.query(ARCHIVER_QUERY)).rows[0] as { failing: number; archived_count: string };
      expect(a.failing).toBe(0);
      expect(Number(a.archived_count)).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
    // pgbackrest check: the new leader's archive_command pushes to the same stanza on the new timeline.
    const check = runPgBackRest(now, ep.superuser.password, ["check"]);
    expect(check.status, check.output).toBe(0);
    // Leave the cluster as the next file expects it: every member back, one leader, a synchronous standby.
    await waitForHealthyCluster(ep);
  }, 240_000);
});
