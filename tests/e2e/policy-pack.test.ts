import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findEngine, PulumiWorkspace, REPO_ROOT } from "./helpers/pulumi";

// `pulumi preview --policy-pack policy` as the pull-request workflow runs it: the engine starts the pack through the
// language host's RunPlugin (scripts/pulumi/language-host.js) and every mandatory violation fails the preview.
const engine = findEngine();
const reason = "missing" in engine ? engine.missing : "";
if (reason) console.warn(`[e2e] skipped: the Pulumi engine is not available (${reason})`);
const binDir = "binDir" in engine ? engine.binDir : "";
const PACK = path.join(REPO_ROOT, "policy");

/** The pod rules the violating fixture breaks (root user, privileged, escalation, no drop ALL, no seccomp). */
const POD_RULES = ["pod-non-root", "no-privilege-escalation", "drop-all-capabilities", "seccomp-runtime-default"];

describe.skipIf(!!reason)("real engine: preview under the policy pack (tests/e2e/fixtures/policy-violation)", () => {
  let ws: PulumiWorkspace;

  beforeAll(async () => {
    ws = await PulumiWorkspace.create(binDir, { programDir: path.join(__dirname, "fixtures/policy-violation"), stack: "e2e" });
  });

  afterAll(async () => {
    await ws?.dispose();
  });

  it("a violating Pod fails the preview, naming each broken rule and the resource", async () => {
    await ws.setConfig("compliant", "false");
    const r = await ws.run(["preview", "--policy-pack", PACK]);
    const out = `${r.stdout}\n${r.stderr}`;
    console.log(`[e2e] policy pack on a violating Pod: exit ${r.code} in ${r.seconds.toFixed(1)} s`);
    expect(r.code, out).not.toBe(0);
    expect(out).toMatch(/data-platform@v0\.1\.0/);
    for (const rule of POD_RULES) expect(out, rule).toMatch(new RegExp(`\\[mandatory\\]\\s+${rule}`));
    expect(out).toMatch(/probe/);
  });

  it("the compliant Pod passes the same pack", async () => {
    await ws.setConfig("compliant", "true");
    const r = await ws.run(["preview", "--policy-pack", PACK]);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/data-platform@v0\.1\.0/);
    for (const rule of POD_RULES) expect(out).not.toMatch(new RegExp(`\\[mandatory\\]\\s+${rule}`));
  });

  it("a pack whose dependencies cannot be found fails with the engine's install hint instead of hanging", async () => {
    // A copy of the pack outside the repository has no node_modules to resolve the policy runner from.
    const copy = path.join(ws.root, "pack-copy");
    fs.cpSync(PACK, copy, { recursive: true });
    const r = await ws.run(["preview", "--policy-pack", copy], 180_000);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).not.toBe(0);
    expect(out).toMatch(/run-policy-pack|npm install|dependencies/i);
  });
});
