import { cpuToCores, quantityToBytes, type Resources } from "../../../stacks/schema/common";

const MiB = 1024 * 1024;

/** Connections the server accepts; PgBouncer multiplexes clients onto far fewer. */
export const MAX_CONNECTIONS = 200;

/**
 * PostgreSQL parameters sized from the container's memory and CPU (the same numbers for the
 * StatefulSet and the local members). Rules of thumb from the PostgreSQL docs and pgtune:
 * shared_buffers a quarter of memory, effective_cache_size three quarters, work_mem what is left
 * for sorts spread over the connections, parallelism bounded by the cores.
 */
export function postgresParameters(res: Resources): Record<string, string | number> {
  const mem = quantityToBytes(res.memory);
  const cores = Math.max(1, Math.ceil(cpuToCores(res.cpu)));
  const mb = (bytes: number) => `${Math.max(1, Math.floor(bytes / MiB))}MB`;
  return {
    max_connections: MAX_CONNECTIONS,
    shared_buffers: mb(mem / 4),
    effective_cache_size: mb((mem * 3) / 4),
    maintenance_work_mem: mb(Math.min(mem / 16, 2048 * MiB)),
    work_mem: mb(Math.max(4 * MiB, mem / 4 / MAX_CONNECTIONS)),
    wal_buffers: mb(Math.min(Math.max(mem / 128, MiB), 16 * MiB)),
    max_worker_processes: Math.max(8, cores),
    max_parallel_workers: cores,
    max_parallel_workers_per_gather: Math.max(1, Math.floor(cores / 2)),
    // Replication and rewind need these regardless of size; "logical" also lets Debezium decode
    // the WAL (CDC, infra/cdc) and costs little more WAL than "replica".
    wal_level: "logical",
    hot_standby: "on",
    wal_log_hints: "on",
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_keep_size: "128MB",
    password_encryption: "scram-sha-256",
    // A failover must not silently lose the commit a client saw: sync commit is what synchronous_mode relies on.
    synchronous_commit: "on",
    track_io_timing: "on",
  };
}
