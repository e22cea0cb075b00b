import * as net from "node:net";

/** A Patroni member's REST address (PostgresMember has these fields). */
export interface PatroniRest {
  readonly host: string;
  readonly port: number;
  readonly restApiPort: number;
}

/** The member whose Patroni REST API answers 200 on /primary, or undefined while there is none. */
export async function currentPrimary(members: readonly PatroniRest[]): Promise<PatroniRest | undefined> {
  const answers = await Promise.all(
    members.map(async (m) => {
      try {
        const r = await fetch(`http://${m.host}:${m.restApiPort}/primary`, { signal: AbortSignal.timeout(1500) });
        return r.status === 200 ? m : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return answers.find((m) => m !== undefined);
}

export interface PrimaryProxy {
  readonly host: string;
  readonly port: number;
  /** Connections forwarded so far and the member each went to, for test output. */
  readonly routed: { at: number; member: string }[];
  close(): Promise<void>;
}

/**
 * The local stand-in for the Patroni primary Service on Kubernetes: a TCP proxy that sends every new
 * connection to the member Patroni reports as primary. Debezium takes one host, PgBouncer 1.18 cannot
 * carry replication connections, and this is exactly what the Service's endpoints do after a failover.
 * Existing connections are not moved; they die with the old primary and the client reconnects.
 */
export async function startPrimaryProxy(members: readonly PatroniRest[], host = "127.0.0.1"): Promise<PrimaryProxy> {
  const routed: PrimaryProxy["routed"] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.pause();
    void currentPrimary(members).then((primary) => {
      if (!primary) {
        client.destroy();
        return;
      }
      routed.push({ at: Date.now(), member: `${primary.host}:${primary.port}` });
      const upstream = net.connect({ host: primary.host, port: primary.port });
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    host,
    port: addr.port,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
