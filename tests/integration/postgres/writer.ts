import type { Client } from "pg";
import { connect } from "../../../infra/postgres/client/connect";
import { sleep } from "../../../local/process";

/**
 * A client that writes continuously through the multi-host URL and reconnects on any error, like a
 * trading service would. Only inserts whose COMMIT returned are counted as acknowledged.
 */
export class ContinuousWriter {
  readonly acked: number[] = [];
  /** Inserts whose outcome is unknown (the connection broke mid-commit): neither acked nor lost. */
  readonly ambiguous: number[] = [];
  private running = false;
  private loop?: Promise<void>;
  private lastAckAt = 0;
  /** Longest stretch without an acknowledged commit, in ms. */
  maxGapMs = 0;

  constructor(
    private readonly url: string,
    private readonly table: string,
  ) {}

  start(): void {
    this.running = true;
    this.lastAckAt = Date.now();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Resolves once `n` more commits have been acknowledged. */
  async waitForAcks(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.acked.length + n;
    const deadline = Date.now() + timeoutMs;
    while (this.acked.length < target) {
      if (Date.now() > deadline) throw new Error(`writer: only ${this.acked.length}/${target} acks after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  private async run(): Promise<void> {
    let client: Client | undefined;
    let id = 0;
    while (this.running) {
      try {
        client ??= await connect(this.url, { statement_timeout: 10_000 });
      } catch {
        await sleep(200);
        continue;
      }
      id += 1;
      try {
        await client.query(`insert into ${this.table} (id) values ($1)`, [id]);
        const now = Date.now();
        this.maxGapMs = Math.max(this.maxGapMs, now - this.lastAckAt);
        this.lastAckAt = now;
        this.acked.push(id);
      } catch {
        this.ambiguous.push(id);
        await client.end().catch(() => {});
        client = undefined;
      }
    }
    await client?.end().catch(() => {});
  }
}
