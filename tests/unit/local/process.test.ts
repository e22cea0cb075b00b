import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts, canConnect } from "../../../local/ports";
import { startProcess, waitUntil } from "../../../local/process";
import { ServiceStartError } from "../../../local/types";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-process-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("local process management (real processes)", () => {
  it("a process that dies during start-up fails at once, naming the service, its log and its last lines", async () => {
    const logPath = path.join(dir, "boom.log");
    const proc = startProcess({ name: "boom", command: "sh", args: ["-c", "echo cannot bind port 1234; exit 3"], logPath });
    const err = await waitUntil({ service: "boom", logPath, proc }, async () => false, 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as Error).message).toMatch(/^boom did not start: process exited early/);
    expect((err as Error).message).toContain("cannot bind port 1234");
    expect((err as Error).message).toContain(logPath);
  });

  it("a readiness check that never passes times out with the log path", async () => {
    const logPath = path.join(dir, "slow.log");
    const proc = startProcess({ name: "slow", command: "sleep", args: ["30"], logPath });
    try {
      await expect(waitUntil({ service: "slow", logPath, proc }, async () => false, 600)).rejects.toThrow(/slow did not start: not ready after 1 s.*slow\.log/s);
    } finally {
      await proc.stop(1000);
    }
    expect(proc.isRunning()).toBe(false);
  });

  it("stop() ends the whole process group, children included", async () => {
    const logPath = path.join(dir, "tree.log");
    const pidFile = path.join(dir, "child.pid");
    const proc = startProcess({ name: "tree", command: "sh", args: ["-c", `sleep 60 & echo $! > ${pidFile}; wait`], logPath });
    await waitUntil({ service: "tree", logPath, proc }, async () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "", 5000, 50);
    const child = Number(fs.readFileSync(pidFile, "utf8"));
    await proc.stop(2000);
    expect(() => process.kill(child, 0)).toThrow();
  });

  it("free ports are distinct and unbound", async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(await canConnect(p)).toBe(false);
  });
});
