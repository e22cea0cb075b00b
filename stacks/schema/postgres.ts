import { z } from "zod";
import { MAX_CONNECTIONS } from "../../infra/postgres/config/parameters";
import { byteQuantity, pinnedImage, positiveInt, resources } from "./common";

export const postgresConfig = z
  .strictObject({
    /** Patroni members (primary + replicas). */
    members: positiveInt,
    /** Image with PostgreSQL 15, Patroni >= 3 and pgBackRest, run as uid 26 (the pod checks the tools at start). */
    image: pinnedImage,
    /** PostgreSQL's bin directory inside the image. Defaults to /usr/pgsql-15/bin (PGDG RPM layout). */
    binDir: z
      .string()
      .regex(/^\/[^\s]*$/, "must be an absolute path without spaces")
      .default("/usr/pgsql-15/bin"),
    resources,
    /** Size of each member's data volume. */
    storage: byteQuantity,
    /** Standbys that must confirm a commit before it is acknowledged (synchronous_mode). */
    synchronousNodeCount: positiveInt,
    /** A replica further behind than this many bytes is never promoted. */
    maximumLagOnFailover: positiveInt,
    /** Leader key TTL in seconds; bounds how long a dead primary keeps the leader lock. */
    ttl: positiveInt,
    loopWait: positiveInt,
    retryTimeout: positiveInt,
    pgbouncer: z.strictObject({
      replicas: positiveInt,
      image: pinnedImage,
      defaultPoolSize: positiveInt,
      maxClientConn: positiveInt,
    }),
    /**
     * Server TLS (always on for Kubernetes stacks; the network gets hostssl only). With `issuer` the
     * certificate comes from cert-manager; without, a private CA and certificate are generated and kept in
     * state. Defaults to generated.
     */
    tls: z
      .strictObject({
        issuer: z.strictObject({ name: z.string().min(1), kind: z.enum(["Issuer", "ClusterIssuer"]) }).optional(),
      })
      .default({}),
    /** Transaction-history partitions: months kept online and months pre-created ahead. */
    retention: z.strictObject({
      transactionMonths: positiveInt,
      partitionsAhead: positiveInt,
    }),
  })
  .superRefine((c, ctx) => {
    if (c.loopWait + 2 * c.retryTimeout > c.ttl) {
      ctx.addIssue({
        code: "custom",
        path: ["ttl"],
        message: `loopWait + 2*retryTimeout must be <= ttl, got ${c.loopWait} + 2*${c.retryTimeout} > ${c.ttl}`,
      });
    }
    // Each PgBouncer replica may open defaultPoolSize server connections per pool; the read-write pool
    // all lands on the primary (the read-only one on replicas), with room left for Patroni, replication, admins.
    const serverConns = c.pgbouncer.defaultPoolSize * c.pgbouncer.replicas;
    if (serverConns > MAX_CONNECTIONS - 20) {
      ctx.addIssue({
        code: "custom",
        path: ["pgbouncer", "defaultPoolSize"],
        message: `defaultPoolSize * replicas must be <= ${MAX_CONNECTIONS - 20} (max_connections ${MAX_CONNECTIONS} minus 20 reserved), got ${c.pgbouncer.defaultPoolSize} * ${c.pgbouncer.replicas} = ${serverConns}`,
      });
    }
    if (c.synchronousNodeCount >= c.members) {
      ctx.addIssue({
        code: "custom",
        path: ["synchronousNodeCount"],
        message: `must be less than members (${c.members}), got ${c.synchronousNodeCount}`,
      });
    }
  });
export type PostgresConfig = z.infer<typeof postgresConfig>;
