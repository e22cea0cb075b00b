import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { buildDataTier, type DataTierOutputs } from "../../../stacks/data-tier";
import { parseStackConfig, type StackConfig } from "../../../stacks/config";
import { readStackFile } from "../../../local/stack-config";

/** One resource as the engine would have registered it. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** URN of the parent (undefined for the stack's direct children). */
  parent?: string;
  urn: string;
  custom: boolean;
  /** Input paths (e.g. `stringData.password`) whose values were Pulumi secrets. */
  secretPaths: string[];
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: DataTierOutputs;
  byType(type: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
}

const recorded: RecordedResource[] = [];

const pem = (label: string, name: string) => `-----BEGIN ${label}-----\nmock-${name}\n-----END ${label}-----\n`;
/** @pulumi/tls outputs the components put into Secrets (a kubernetes.io/tls Secret must carry tls.crt and tls.key). */
const TLS_OUTPUTS: Record<string, (name: string) => Record<string, unknown>> = {
  "tls:index/privateKey:PrivateKey": (n) => ({ privateKeyPem: pem("PRIVATE KEY", n), publicKeyPem: pem("PUBLIC KEY", n) }),
  "tls:index/selfSignedCert:SelfSignedCert": (n) => ({ certPem: pem("CERTIFICATE", n) }),
  "tls:index/certRequest:CertRequest": (n) => ({ certRequestPem: pem("CERTIFICATE REQUEST", n) }),
  "tls:index/locallySignedCert:LocallySignedCert": (n) => ({ certPem: pem("CERTIFICATE", n) }),
};

void pulumi.runtime.setMocks(
  {
    newResource(args) {
      // Computed outputs that components read back: a generated password must exist to render configs.
      const computed: Record<string, unknown> =
        args.type === "random:index/randomPassword:RandomPassword" || args.type === "random:index/randomString:RandomString"
          ? { result: `mock${args.name.replace(/[^A-Za-z0-9]/g, "")}`.padEnd(Number(args.inputs.length ?? 32), "x").slice(0, Number(args.inputs.length ?? 32)) }
          : (TLS_OUTPUTS[args.type]?.(args.name) ?? {});
      return { id: args.custom ? `${args.name}-id` : undefined, state: { ...args.inputs, ...computed } };
    },
    call(args) {
      return args.inputs;
    },
  },
  "data-platform",
  "test",
  false,
);

const secretSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi's secret envelopes with their values and remembers where they were. */
function unwrapSecrets(raw: Record<string, unknown>): { inputs: Record<string, unknown>; secretPaths: string[] } {
  const secretPaths: string[] = [];
  const walk = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`));
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if (o[secretSigKey] === secretSig) {
      secretPaths.push(at);
      return walk(o.value, at);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, at ? `${at}.${k}` : k)]));
  };
  return { inputs: walk(raw, "") as Record<string, unknown>, secretPaths };
}

// The mock monitor sees every registration (components too) but does not pass the parent to the
// mocks, so wrap it once to record the parent URN from the request itself.
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): unknown;
}
type Callback = (err: unknown, res: { getUrn(): string } | undefined) => void;
const monitor = settings.getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: Callback): unknown };
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, cb) =>
  register(req, (err, res) => {
    if (!err && res) {
      recorded.push({
        type: req.getType(),
        name: req.getName(),
        ...unwrapSecrets(deserializeProperties(req.getObject() as Parameters<typeof deserializeProperties>[0]) as Record<string, unknown>),
        parent: req.getParent() || undefined,
        urn: res.getUrn(),
        custom: req.getCustom(),
      });
    }
    cb(err, res);
  });

async function settle(): Promise<void> {
  // Registration and input resolution are asynchronous: wait until the count stops changing.
  let last = -1;
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 5));
    if (recorded.length === last && i > 5) return;
    last = recorded.length;
  }
}

/**
 * Runs the program for a stack config under Pulumi mocks and returns every registered resource
 * (components and custom resources) with its type, name, resolved inputs and parent.
 * `config` is either a stack name (reads Pulumi.<stack>.yaml) or a raw config object, which is
 * validated exactly as the real program does, so invalid config throws before anything registers.
 */
export async function runProgram(config: string | Record<string, unknown>): Promise<ProgramRun> {
  recorded.length = 0;
  const cfg: StackConfig = typeof config === "string" ? readStackFile(config) : parseStackConfig(config, "test");
  const outputs = buildDataTier(cfg);
  await settle();
  const resources = [...recorded];
  return {
    resources,
    outputs,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0];
    },
  };
}

/** Resolves an Output for assertions (mocks resolve immediately). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
  return (o as unknown as { isSecret: Promise<boolean> }).isSecret;
}
