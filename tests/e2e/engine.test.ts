import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, findEngine, plaintextCredentialPaths, PulumiWorkspace, REPO_ROOT } from "./helpers/pulumi";

// The real Pulumi CLI (built by scripts/ensure-pulumi.sh), a file backend in a temp dir and passphrase secrets.
const engine = findEngine();
const reason = "missing" in engine ? engine.missing : "";
if (reason) console.warn(`[e2e] skipped: the Pulumi engine is not available (${reason})`);
const binDir = "binDir" in engine ? engine.binDir : "";

describe("state export scan (no engine needed)", () => {
  it("flags a plain password and a password inside a URL, passes the engine's secret envelope", () => {
    const state = JSON.stringify({
      deployment: {
        resources: [
          { outputs: { password: "hunter22", caSecret: "kafka-cluster-ca-cert", url: "postgres://app:pw1234@127.0.0.1/db" } },
          { outputs: { password: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } } },
        ],
      },
    });
    expect(plaintextCredentialPaths(state)).toEqual(["$.deployment.resources[0].outputs.password", "$.deployment.resources[0].outputs.url"]);
  });
});

describe.skipIf(!!reason)("real engine: a dynamic provider with a secret (tests/e2e/fixtures/dynamic-secret)", () => {
  let ws: PulumiWorkspace;
  let dir: string;
  const token = `tok-${randomBytes(12).toString("hex")}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-e2e-marker-"));
    ws = await PulumiWorkspace.create(binDir, { programDir: path.join(__dirname, "fixtures/dynamic-secret"), stack: "e2e" });
    await ws.setConfig("dir", dir);
    await ws.setConfig("content", "v1");
    await ws.setConfig("token", token, { secret: true });
  });

  afterAll(async () => {
    await ws?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("preview plans the stack and the resource; up from empty creates the file", async () => {
    const preview = await ws.preview();
    expect(changed(preview.changes)).toEqual({ create: 2 });
    const up = await ws.up();
    console.log(`[e2e] dynamic fixture: up from empty ${up.result.seconds.toFixed(1)} s`);
    expect(changed(up.changes)).toEqual({ create: 2 });
    expect(fs.readFileSync(path.join(dir, "marker.txt"), "utf8")).toBe("v1");
  });

  it("a second up changes nothing", async () => {
    const preview = await ws.preview();
    expect(changed(preview.changes)).toEqual({});
    const up = await ws.up();
    console.log(`[e2e] dynamic fixture: no-op up ${up.result.seconds.toFixed(1)} s`);
    expect(changed(up.changes)).toEqual({});
    expect(up.changes.same).toBe(2);
  });

  it("the secret stays secret: encrypted in the state, masked in outputs, readable only on request", async () => {
    const state = await ws.exportState();
    expect(state).not.toContain(token);
    expect(plaintextCredentialPaths(state)).toEqual([]);
    expect((await ws.outputs()).token).toBe("[secret]");
    expect((await ws.outputs(true)).token).toBe(token);
  });

  it("a changed input updates the resource in place", async () => {
    await ws.setConfig("content", "v2");
    const preview = await ws.preview();
    expect(changed(preview.changes)).toEqual({ update: 1 });
    const up = await ws.up();
    expect(changed(up.changes)).toEqual({ update: 1 });
    expect(fs.readFileSync(path.join(dir, "marker.txt"), "utf8")).toBe("v2");
  });

  it("drift made by hand is reported by refresh", async () => {
    fs.writeFileSync(path.join(dir, "marker.txt"), "edited by hand");
    const refresh = await ws.refresh();
    expect(changed(refresh.changes)).toEqual({ update: 1 });
    // Refresh rewrites the resource's state (stack outputs change only on the next up).
    const marker = stateResource(await ws.exportState(), "marker");
    expect(marker.outputs.content).toBe("edited by hand");
    // The program still says v2, so the next preview plans to put it back.
    expect(changed((await ws.preview()).changes)).toEqual({ update: 1 });
  });

  it("destroy runs the provider code stored in the state and removes the file", async () => {
    const destroy = await ws.destroy();
    expect(changed(destroy.changes)).toEqual({ delete: 2 });
    expect(fs.existsSync(path.join(dir, "marker.txt"))).toBe(false);
  });
});

describe.skipIf(!!reason)("real engine: the data-platform program on the local stack", () => {
  let ws: PulumiWorkspace;

  beforeAll(async () => {
    ws = await PulumiWorkspace.create(binDir, { programDir: REPO_ROOT, stack: "local" });
    // This suite proves the program and the engine; the providers are proved by post-deploy.test.ts against a
    // tier it starts itself. Never point them at whatever tier happens to run here (the integration tier, or
    // a developer's npm start): they would write into servers other tests are using.
    await ws.mustRun(["config", "set", "--path", "data-platform:postDeploy.enabled", "false"]);
  });

  afterAll(async () => {
    await ws?.dispose();
  });

  it("preview and up from empty register the stack's resources", async () => {
    const preview = await ws.preview();
    const planned = changed(preview.changes);
    expect(Object.keys(planned)).toEqual(["create"]);
    const up = await ws.up();
    console.log(`[e2e] local stack: up from empty ${up.result.seconds.toFixed(1)} s, ${up.changes.create} resources created`);
    expect(changed(up.changes)).toEqual(planned);
    const outputs = await ws.outputs();
    expect(outputs.environment).toBe("local");
  });

  it("a second up has 0 changes", async () => {
    const up = await ws.up();
    console.log(`[e2e] local stack: no-op up ${up.result.seconds.toFixed(1)} s`);
    expect(changed(up.changes)).toEqual({});
    expect(changed((await ws.preview()).changes)).toEqual({});
  });

  it("the repository's policy pack passes the stack's preview, as the pull-request workflow runs it", async () => {
    const r = await ws.mustRun(["preview", "--policy-pack", path.join(REPO_ROOT, "policy")]);
    expect(r.stdout).toMatch(/data-platform@v0\.1\.0/);
    expect(r.stdout).not.toMatch(/\[mandatory\]/);
  });

  it("the state export holds no plaintext credential", async () => {
    expect(plaintextCredentialPaths(await ws.exportState())).toEqual([]);
  });

  it("destroy removes what up created", async () => {
    const before = stateResources(await ws.exportState());
    expect(before).toBeGreaterThan(0);
    const destroy = await ws.destroy();
    expect(changed(destroy.changes)).toEqual({ delete: before });
    expect(stateResources(await ws.exportState())).toBe(0);
  });

  it("an invalid stack config fails preview with the key named, through the language host", async () => {
    await ws.setConfig("data-platform:namespace", "Not_A_Label");
    const r = await ws.run(["preview"]);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/namespace: a DNS-1123 label/);
  });
});

function stateResources(stateJson: string): number {
  return ((JSON.parse(stateJson) as { deployment?: { resources?: unknown[] } }).deployment?.resources ?? []).length;
}

function stateResource(stateJson: string, name: string): { urn: string; outputs: Record<string, unknown> } {
  const resources = (JSON.parse(stateJson) as { deployment: { resources: { urn: string; outputs: Record<string, unknown> }[] } }).deployment.resources;
  const found = resources.filter((r) => r.urn.endsWith(`::${name}`));
  if (found.length !== 1) throw new Error(`expected one resource named ${name} in the state, found ${found.length}`);
  return found[0];
}
