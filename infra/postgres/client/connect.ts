import { Client, type ClientConfig } from "pg";

/**
 * node-postgres has no libpq multi-host URLs or target_session_attrs, so this does the libpq part we
 * rely on: parse `postgresql://user:pw@h1:p1,h2:p2/db?target_session_attrs=read-write` and connect to
 * the first host that accepts writes (or any host for `any`). No @pulumi imports: the provider, the
 * local tier and the tests all use it.
 */
export interface ParsedConnectionString {
  readonly hosts: readonly { host: string; port: number }[];
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly targetSessionAttrs: "read-write" | "any";
  readonly connectTimeoutSeconds: number;
  /**
   * libpq's sslmode, the values that mean something without a local file: disable (default here) and
   * prefer connect in clear; require encrypts without checking the certificate; verify-full also checks
   * it against the CA passed to connect() (`extra.ssl.ca`) or the system's.
   */
  readonly sslmode: "disable" | "prefer" | "require" | "verify-full";
}

const SSLMODES = ["disable", "prefer", "require", "verify-full"] as const;

/** node-postgres ssl option for a parsed sslmode (undefined = plain TCP). */
export function sslOption(mode: ParsedConnectionString["sslmode"], ca?: string): { rejectUnauthorized: boolean; ca?: string } | undefined {
  if (mode === "require") return { rejectUnauthorized: false };
  if (mode === "verify-full") return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  return undefined;
}

export function parseConnectionString(url: string): ParsedConnectionString {
  const m = /^postgres(?:ql)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!m) throw new Error("connection string: expected postgresql://user:password@host:port[,host:port...]/database");
  const hosts = m[3].split(",").map((hp) => {
    const [host, port] = hp.split(":");
    return { host: decodeURIComponent(host), port: port ? Number(port) : 5432 };
  });
  const params = new URLSearchParams(m[5] ?? "");
  const tsa = params.get("target_session_attrs") ?? "any";
  if (tsa !== "read-write" && tsa !== "any") throw new Error(`connection string: target_session_attrs must be read-write or any, got ${tsa}`);
  const sslmode = params.get("sslmode") ?? "disable";
  if (!(SSLMODES as readonly string[]).includes(sslmode)) throw new Error(`connection string: sslmode must be one of ${SSLMODES.join(", ")}, got ${sslmode}`);
  return {
    hosts,
    user: decodeURIComponent(m[1] ?? "postgres"),
    password: decodeURIComponent(m[2] ?? ""),
    database: decodeURIComponent(m[4] || "postgres"),
    targetSessionAttrs: tsa,
    connectTimeoutSeconds: Number(params.get("connect_timeout") ?? 5),
    sslmode: sslmode as ParsedConnectionString["sslmode"],
  };
}

/** Connects like libpq: hosts in order, skipping unreachable ones and (for read-write) standbys. */
export async function connect(url: string, extra: Partial<ClientConfig> = {}): Promise<Client> {
  const p = parseConnectionString(url);
  const errors: string[] = [];
  for (const h of p.hosts) {
    const client = new Client({
      host: h.host,
      port: h.port,
      user: p.user,
      password: p.password,
      database: p.database,
      connectionTimeoutMillis: p.connectTimeoutSeconds * 1000,
      ssl: sslOption(p.sslmode),
      ...extra,
    });
    client.on("error", () => {
      /* a dropped connection surfaces on the next query; don't crash the process */
    });
    try {
      await client.connect();
      if (p.targetSessionAttrs === "read-write") {
        const r = await client.query<{ ro: string }>("select current_setting('transaction_read_only') as ro");
        if (r.rows[0]?.ro !== "off") {
          errors.push(`${h.host}:${h.port}: read-only`);
          await client.end().catch(() => {});
          continue;
        }
      }
      return client;
    } catch (e) {
      errors.push(`${h.host}:${h.port}: ${(e as Error).message}`);
      await client.end().catch(() => {});
    }
  }
  throw new Error(`no ${p.targetSessionAttrs} server among ${p.hosts.length} host(s): ${errors.join("; ")}`);
}
