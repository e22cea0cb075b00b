import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ARCHIVE_TIMEOUT_SECONDS, patroniArchive, renderPgBackRestConf } from "../../infra/backups/pgbackrest";
import { renderPatroniYaml } from "../../infra/postgres/config/patroni";
import { renderPgbouncerIni, renderPgbouncerUserlist } from "../../infra/postgres/config/pgbouncer";
import { connect } from "../../infra/postgres/client/connect";
import type { StackConfig } from "../../stacks/config";
import { ensureDebPackages } from "../install";
import { canConnect, freePorts } from "../ports";
import { chownTree, lookupUser, startProcess, waitUntil, type ManagedProcess } from "../process";
import { ServiceStartError, type StartContext, type StartedService } from "../types";
import { startEtcd } from "./postgres/etcd";
import {
  clusterState,
  isLeader,
  killMember,
  launchPatroni,
  restartMember,
  stopMember,
  waitForHealthy,
  type PostgresMember,
} from "./postgres/members";

export { clusterState, isLeader, type PostgresMember } from "./postgres/members";

export const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";
const DATABASE = "trading";
const SCOPE = "trading-pg";
const HOST = "127.0.0.1";

/** Debian packages the local cluster runs on (installed when missing). */
export const POSTGRES_PACKAGES = ["postgresql-15", "patroni", "etcd-server", "pgbouncer", "python3-psycopg2", "postgresql-client-15", "pgbackrest", "openssl"] as const;

export interface PostgresCredentials {
  readonly user: string;
  readonly password: string;
}

export interface PostgresEndpoints {
  readonly host: string;
  readonly scope: string;
  readonly database: string;
  readonly members: PostgresMember[];
  /** Libpq multi-host URL with target_session_attrs=read-write (superuser; local throwaway password). */
  readonly connectionString: string;
  /** Same hosts, as the application login `app`. */
  readonly appConnectionString: string;
  readonly superuser: PostgresCredentials;
  readonly app: PostgresCredentials;
  readonly pgbouncer: {
    readonly host: string;
    readonly port: number;
    readonly pid: number;
    /** Database name of the read-write pool (follows the primary) and of the read-only pool. */
    readonly readWriteDatabase: string;
    readonly readOnlyDatabase: string;
    readonly admin: PostgresCredentials;
  };
  readonly etcd: { readonly host: string; readonly port: number; readonly pid: number };
  readonly synchronousNodeCount: number;
  readonly binDir: string;
  /**
   * WAL archive and base backups: every member archives to one pgBackRest directory repository through
   * its own pgbackrest.conf (member.pgbackrestConfigPath), exactly as the pods do to S3.
   */
  /** Server TLS with a CA made for this run: `ca` is its PEM, for verify-full clients. */
  readonly tls: { readonly caFile: string; readonly ca: string };
  readonly backup: {
    readonly stanza: string;
    readonly repoPath: string;
    /** The scheduled-backup agent the pods run as a sidecar (infra/backups/pgbackrest-agent.py). */
    readonly agentScript: string;
    readonly fullBackupHours: number;
  };
}

const secret = () => randomBytes(18).toString("base64url");

export function multiHostUrl(members: readonly { host: string; port: number }[], cred: PostgresCredentials, database: string): string {
  const hosts = members.map((m) => `${m.host}:${m.port}`).join(",");
  return `postgresql://${encodeURIComponent(cred.user)}:${encodeURIComponent(cred.password)}@${hosts}/${database}?target_session_attrs=read-write&connect_timeout=3`;
}

/**
 * A 3-member (cfg.postgres.members) Patroni cluster on 127.0.0.1 with etcd3 as DCS, plus PgBouncer in
 * transaction mode whose read-write pool follows the primary through a Patroni callback.
 */
export async function startPostgres(ctx: StartContext, cfg: StackConfig): Promise<StartedService<PostgresEndpoints>> {
  ensureDebPackages(POSTGRES_PACKAGES, ctx.log);
  const c = cfg.postgres;
  const dir = path.join(ctx.baseDir, "postgres");
  fs.mkdirSync(dir, { recursive: true });
  const procs: ManagedProcess[] = [];
  const members: PostgresMember[] = [];
  const track = (p: ManagedProcess) => {
    procs.push(p);
    ctx.track(p.pid, "postgres");
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const pgb = procs.find((p) => p.name === "pgbouncer");
    await pgb?.stop(5000);
    await Promise.all(members.map((m) => stopMember(m)));
    await Promise.all(procs.map((p) => p.stop(5000)));
  };

  try {
    const etcd = await startEtcd(path.join(dir, "etcd"), ctx.log);
    track(etcd.proc);
    const superuser = { user: "postgres", password: secret() };
    const replicationPassword = secret();
    const app = { user: "app", password: secret() };
    const admin = { user: "pgbouncer_admin", password: secret() };
    const [pgbPort, ...ports] = await freePorts(1 + 2 * c.members);
    const followCfg = path.join(dir, "pgbouncer-follow.json");
    const includeFile = path.join(dir, "pgbouncer-databases.ini");
    const followScript = path.join(dir, "pgbouncer-follow.py");
    fs.copyFileSync(path.join(__dirname, "postgres", "pgbouncer-follow.py"), followScript);
    fs.chmodSync(followScript, 0o755);

    const tls = makeLocalCertificates(path.join(dir, "tls"));
    const repoPath = path.join(dir, "pgbackrest-repo");
    fs.mkdirSync(repoPath, { recursive: true });
    const specs = Array.from({ length: c.members }, (_, i) => {
      const name = `pg-${i + 1}`;
      const mdir = path.join(dir, name);
      return { name, mdir, port: ports[2 * i], restApiPort: ports[2 * i + 1] };
    });
    fs.writeFileSync(
      followCfg,
      JSON.stringify({
        database: DATABASE,
        includeFile,
        pgbouncerPort: pgbPort,
        adminUser: admin.user,
        adminPassword: admin.password,
        restApiPorts: specs.map((s) => s.restApiPort),
      }),
    );
    for (const s of specs) {
      fs.mkdirSync(path.join(s.mdir, "socket"), { recursive: true });
      const configPath = path.join(s.mdir, "patroni.yml");
      const dataDir = path.join(s.mdir, "data");
      const socketDir = path.join(s.mdir, "socket");
      const pgbackrestConfigPath = path.join(s.mdir, "pgbackrest.conf");
      fs.mkdirSync(path.join(s.mdir, "pgbackrest"), { recursive: true });
      fs.writeFileSync(
        pgbackrestConfigPath,
        renderPgBackRestConf({
          stanza: SCOPE,
          pgDataDir: dataDir,
          pgPort: s.port,
          pgSocketDir: socketDir,
          repo: { type: "posix", path: repoPath },
          retentionDays: cfg.backups.postgresRetentionDays,
          workDir: path.join(s.mdir, "pgbackrest"),
        }),
      );
      fs.writeFileSync(
        configPath,
        renderPatroniYaml({
          scope: SCOPE,
          config: c,
          dcs: { kind: "etcd3", hosts: [`${HOST}:${etcd.port}`] },
          member: {
            name: s.name,
            host: HOST,
            listenHost: HOST,
            port: s.port,
            restApiPort: s.restApiPort,
            dataDir,
            binDir: POSTGRES_BIN,
            socketDir,
            pgpassPath: path.join(s.mdir, "pgpass"),
          },
          archive: patroniArchive(SCOPE, pgbackrestConfigPath, ARCHIVE_TIMEOUT_SECONDS),
          // Every local client is on loopback, which stays plain for the pods' sidecars too; so TLS is on
          // and used by clients that ask for it (replicas do, by Patroni's default sslmode=prefer), not enforced.
          tls: { certFile: tls.certFile, keyFile: tls.keyFile, requireForRemote: false },
          credentials: { superuserPassword: superuser.password, replicationPassword },
          clientCidr: "127.0.0.1/32",
          callbacks: Object.fromEntries(
            ["on_start", "on_role_change"].map((cb) => [cb, `/usr/bin/python3 ${followScript} ${followCfg} ${s.port}`]),
          ),
        }),
        { mode: 0o600 },
      );
      members.push({
        name: s.name,
        host: HOST,
        port: s.port,
        restApiPort: s.restApiPort,
        pid: 0,
        pgid: 0,
        pidFile: path.join(s.mdir, "patroni.pid"),
        configPath,
        dataDir,
        logPath: path.join(s.mdir, "patroni.log"),
        pgbackrestConfigPath,
      });
    }
    chownTree(dir, "postgres");

    // The first member bootstraps alone so the others clone it instead of racing to initdb.
    const launch = (m: PostgresMember, i: number) => {
      const p = launchPatroni(m);
      track(p);
      members[i] = { ...m, pid: p.pid, pgid: p.pgid };
      return p;
    };
    const first = launch(members[0], 0);
    await waitUntil(
      { service: "postgres (pg-1 bootstrap)", logPath: members[0].logPath, proc: first },
      async () => (await clusterState([members[0]])).members.some((x) => isLeader(x.role) && x.state === "running"),
      120_000,
      500,
    );
    for (let i = 1; i < members.length; i++) launch(members[i], i);
    await waitForHealthy(members, c.synchronousNodeCount, 180_000).catch((e: Error) => {
      throw new Error(`${e.message} (logs: ${members.map((m) => m.logPath).join(", ")})`);
    });
    ctx.log(`postgres: ${members.length} Patroni members up (${members.map((m) => m.port).join(", ")})`);

    const superUrl = multiHostUrl(members, superuser, "postgres");
    const client = await connect(superUrl);
    try {
      await client.query(`create role ${app.user} login password '${app.password}'`);
      await client.query(`create database ${DATABASE}`);
    } finally {
      await client.end();
    }
    // The stanza first, or every archive_command fails until someone creates it; the leader (pg-1 at
    // bootstrap) is the member pgBackRest must reach.
    // `check` then switches WAL and waits for it in the repository: proves archiving and wakes the archiver,
    // which otherwise sleeps a minute after the pushes that failed before the stanza existed.
    for (const step of ["stanza-create", "check"]) {
      const r = runPgBackRest(members[0], superuser.password, [step]);
      if (r.status !== 0) throw new ServiceStartError("postgres", path.join(dir, "pg-1", "pgbackrest", "log"), `pgbackrest ${step} failed: ${r.output}`);
    }

    // PgBouncer, with the databases file written once by the same script Patroni calls later.
    const authFile = path.join(dir, "pgbouncer-userlist.txt");
    fs.writeFileSync(authFile, renderPgbouncerUserlist({ [superuser.user]: superuser.password, [app.user]: app.password, [admin.user]: admin.password }), { mode: 0o600 });
    const iniPath = path.join(dir, "pgbouncer.ini");
    const pgbLog = path.join(dir, "pgbouncer.log");
    const pgUser = lookupUser("postgres");
    fs.writeFileSync(
      iniPath,
      renderPgbouncerIni({
        config: c,
        listenHost: HOST,
        listenPort: pgbPort,
        database: DATABASE,
        authFile,
        adminUser: admin.user,
        databases: { includeFile },
        pidFile: path.join(dir, "pgbouncer.pid"),
      }),
    );
    // Synchronous on purpose: a one-shot child the event loop does not wait for would let node exit.
    const follow = spawnSync("/usr/bin/python3", [followScript, followCfg, "0"], { uid: pgUser.uid, gid: pgUser.gid, encoding: "utf8" });
    fs.writeFileSync(path.join(dir, "pgbouncer-follow.log"), `${follow.stdout}${follow.stderr}`);
    if (follow.status !== 0) throw new ServiceStartError("postgres", path.join(dir, "pgbouncer-follow.log"), "pgbouncer-follow.py failed");
    chownTree(dir, "postgres");
    const pgb = startProcess({ name: "pgbouncer", command: "pgbouncer", args: [iniPath], logPath: pgbLog, user: "postgres" });
    track(pgb);
    await waitUntil({ service: "postgres (pgbouncer)", logPath: pgbLog, proc: pgb }, () => canConnect(pgbPort), 30_000);

    const endpoints: PostgresEndpoints = {
      host: HOST,
      scope: SCOPE,
      database: DATABASE,
      members,
      connectionString: multiHostUrl(members, superuser, DATABASE),
      appConnectionString: multiHostUrl(members, app, DATABASE),
      superuser,
      app,
      pgbouncer: { host: HOST, port: pgbPort, pid: pgb.pid, readWriteDatabase: DATABASE, readOnlyDatabase: `${DATABASE}_ro`, admin },
      etcd: { host: HOST, port: etcd.port, pid: etcd.proc.pid },
      synchronousNodeCount: c.synchronousNodeCount,
      binDir: POSTGRES_BIN,
      tls: { caFile: tls.caFile, ca: fs.readFileSync(tls.caFile, "utf8") },
      backup: {
        stanza: SCOPE,
        repoPath,
        agentScript: path.resolve(__dirname, "../../infra/backups/pgbackrest-agent.py"),
        fullBackupHours: cfg.backups.postgresFullBackupHours,
      },
    };
    return { name: "postgres", endpoints, logDir: dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl for this run (the
 * pods get theirs from cert-manager or @pulumi/tls). The key is the postgres user's, mode 0600, as
 * PostgreSQL demands.
 */
function makeLocalCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  fs.writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  const steps = [
    ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "7", "-subj", "/CN=data-platform local CA"],
    ["req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"],
    ["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.crt"), "-days", "7", "-extfile", f("server.ext")],
  ];
  for (const args of steps) {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new ServiceStartError("postgres", dir, `openssl ${args[0]} failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
  }
  fs.chmodSync(f("server.key"), 0o600);
  return { caFile: f("ca.crt"), certFile: f("server.crt"), keyFile: f("server.key") };
}

/**
 * pgbackrest with a member's config as the postgres user; the superuser password goes in PGPASSWORD
 * (pgBackRest uses libpq), never on the command line.
 */
export function runPgBackRest(m: PostgresMember, superuserPassword: string, args: string[]): { status: number; output: string } {
  const u = lookupUser("postgres");
  const r = spawnSync("pgbackrest", [`--config=${m.pgbackrestConfigPath}`, `--stanza=${SCOPE}`, ...args], {
    uid: u.uid,
    gid: u.gid,
    cwd: "/tmp",
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: superuserPassword, HOME: u.home },
  });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}`.trim() };
}

function member(ep: PostgresEndpoints, name: string): PostgresMember {
  const m = ep.members.find((x) => x.name === name);
  if (!m) throw new Error(`postgres member "${name}" not found; members are ${ep.members.map((x) => x.name).join(", ")}`);
  return m;
}

/** kill -9 of a whole member (Patroni and PostgreSQL), from any process (tests run in workers). */
export function killNode(ep: PostgresEndpoints, name: string): Promise<void> {
  return killMember(member(ep, name));
}

/** Starts a killed member again with its original patroni.yml; returns the new Patroni pid. */
export function restartNode(ep: PostgresEndpoints, name: string): number {
  return restartMember(member(ep, name));
}

/** Waits until every member runs again with one leader and a synchronous standby. */
export function waitForHealthyCluster(ep: PostgresEndpoints, timeoutMs = 120_000) {
  return waitForHealthy(ep.members, ep.synchronousNodeCount, timeoutMs);
}
