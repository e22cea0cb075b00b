/** What every local service module returns once it is ready. */
export interface StartedService<E extends object = Record<string, unknown>> {
  /** Short name used in logs and errors: "postgres", "redis", "kafka", "milvus", "clickhouse". */
  readonly name: string;
  /** Addresses and credentials clients need (local only: passwords here are throwaway). */
  readonly endpoints: E;
  /** Where this service writes its logs, for error messages. */
  readonly logDir: string;
  /** Stops every process this service started (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Handed to every service starter by the tier orchestrator. */
export interface StartContext {
  /** A directory owned by this run; the service creates its own sub-directory. */
  readonly baseDir: string;
  /** Tool cache (~/.cache/data-platform unless DATA_PLATFORM_CACHE is set). */
  readonly cacheDir: string;
  /** Progress line for humans (npm start prints it; tests may silence it). */
  log(message: string): void;
  /** Records a started process so `npm run local:down` can stop it even if this process dies. */
  track(pid: number, service: string): void;
}

export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    readonly logPath: string,
    reason: string,
  ) {
    super(`${service} did not start: ${reason} (log: ${logPath})`);
    this.name = "ServiceStartError";
  }
}
