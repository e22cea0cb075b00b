import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveCommand, renderPgBackRestConf, restoreCommand } from "../../../infra/backups/pgbackrest";
import { ensureDebPackages } from "../../../local/install";
import { freePorts } from "../../../local/ports";
import { chownTree, startProcess, waitUntil, type ManagedProcess } from "../../../local/process";

/**
 * Real PostgreSQL 15 + pgBackRest 2.45 (Debian) on 127.0.0.1: archive WAL to a directory repository,
 * take a full backup, commit rows on both sides of a timestamp, lose the server, restore to that
 * timestamp in a fresh data directory and find exactly the rows committed before it. The config
 * comes from the same renderer the Patroni pods use (there with an S3 repository).
 */
const BIN = "/usr/lib/postgresql/15/bin";
const STANZA = "trading";
let dir: string;
let conf: string;
let sock: string;
let ports: number[];
const procs: ManagedProcess[] = [];

function asPostgres(cmd: string, args: string[], what: string): string {
  const r = spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", cwd: "/tmp" });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${`${r.stdout}${r.stderr}`.trim().split("\n").slice(-15).join("\n")}`);
  return r.stdout;
}

const pgbackrest = (...args: string[]) => asPostgres("pgbackrest", [`--config=${conf}`, `--stanza=${STANZA}`, ...args], `pgbackrest ${args[args.length - 1]}`);

async function client(port: number): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
  await c.connect();
  return c;
}

async function startPostgres(dataDir: string, port: number, name: string): Promise<ManagedProcess> {
  const logPath = path.join(dir, `${name}.log`);
  const proc = startProcess({ name, command: `${BIN}/postgres`, args: ["-D", dataDir, "-p", String(port), "-k", sock, "-c", "listen_addresses=127.0.0.1"], logPath, user: "postgres" });
  procs.push(proc);
  await waitUntil(
    { service: name, logPath, proc },
    async () => {
      const c = await client(port);
      try {
        return (await c.query("select pg_is_in_recovery() as r")).rows[0].r === false;
      } finally {
        await c.end();
      }
    },
    120_000,
  );
  return proc;
}

beforeAll(() => {
  ensureDebPackages(["postgresql-15", "pgbackrest"], (m) => console.log(m));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pitr-"));
  sock = path.join(dir, "sock");
  fs.mkdirSync(sock);
  fs.mkdirSync(path.join(dir, "repo"));
  fs.mkdirSync(path.join(dir, "work"));
  chownTree(dir, "postgres");
}, 300_000);

afterAll(async () => {
  for (const p of procs) await p.stop(10_000);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("point-in-time restore with pgBackRest (real PostgreSQL 15)", () => {
  it("restores exactly the rows committed before the target time", async () => {
    ports = await freePorts(2);
    const data = path.join(dir, "data");
    conf = path.join(dir, "pgbackrest.conf");
    fs.writeFileSync(
      conf,
      renderPgBackRestConf({ stanza: STANZA, pgDataDir: data, pgPort: ports[0], pgSocketDir: sock, repo: { type: "posix", path: path.join(dir, "repo") }, retentionDays: 2, workDir: path.join(dir, "work") }),
    );
    chownTree(dir, "postgres");
    asPostgres(`${BIN}/initdb`, ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], "initdb");
    fs.appendFileSync(
      path.join(data, "postgresql.conf"),
      `\nwal_level = replica\narchive_mode = on\narchive_command = '${archiveCommand(STANZA, conf)}'\nrestore_command = '${restoreCommand(STANZA, conf)}'\n`,
    );
    await startPostgres(data, ports[0], "pitr-primary");
    pgbackrest("stanza-create");
    let t0 = Date.now();
    pgbackrest("--type=full", "backup");
    console.log(`full backup of a fresh cluster: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const c = await client(ports[0]);
    const late = await client(ports[0]);
    await c.query("create table fills (id int primary key, at timestamptz not null default clock_timestamp())");
    await c.query("insert into fills (id) select generate_series(1, 100)");
    // Open before the target, committed after it: must not be restored.
    await late.query("begin");
    await late.query("insert into fills (id) values (1000)");
    await new Promise((r) => setTimeout(r, 1100));
    const target = (await c.query("select clock_timestamp()::text as t")).rows[0].t as string;
    await new Promise((r) => setTimeout(r, 1100));
    await late.query("commit");
    await c.query("insert into fills (id) select generate_series(101, 200)");
    const segment = (await c.query("select pg_walfile_name(pg_current_wal_lsn()) as w")).rows[0].w as string;
    await c.query("select pg_switch_wal()");
    await waitUntil(
      { service: "wal archive", logPath: path.join(dir, "pitr-primary.log") },
      async () => ((await c.query("select coalesce(last_archived_wal, '') as w from pg_stat_archiver")).rows[0].w as string) >= segment,
      60_000,
    );
    expect((await c.query("select count(*)::int as n from fills")).rows[0].n).toBe(201);
    await c.end();
    await late.end();

    // The server is lost; restore the backup plus WAL up to the target into a fresh directory.
    await procs[0].stop(10_000);
    const restoredDir = path.join(dir, "restored");
    t0 = Date.now();
    pgbackrest(`--pg1-path=${restoredDir}`, "--type=time", `--target=${target}`, "--target-action=promote", "--archive-mode=off", "restore");
    await startPostgres(restoredDir, ports[1], "pitr-restored");
    const restoreSeconds = (Date.now() - t0) / 1000;
    console.log(`restore to ${target}: ${restoreSeconds.toFixed(1)} s (pgbackrest restore + WAL replay + promote)`);

    const r = await client(ports[1]);
    const ids = (await r.query("select id from fills order by id")).rows.map((x: { id: number }) => x.id);
    await r.end();
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
