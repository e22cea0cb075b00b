#!/usr/bin/env node
// pulumi-language-nodejs: the Node.js language runtime plugin the Pulumi CLI starts for `runtime: nodejs`.
//
// Why this file exists: the upstream Go host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// has no release tags, so it is only reachable through a pseudo-version, and the Go module proxy this project can
// reach refuses every query that would reveal one (version list, @latest, commit hashes). Everything the Go host does
// for `pulumi preview/up/refresh/destroy` is a thin launcher around @pulumi/pulumi's own `cmd/run`: it answers the
// engine over gRPC and runs `node <@pulumi/pulumi/cmd/run> --monitor … <program>` with the stack config in the
// environment. This does the same, with the gRPC stubs and grpc-js that ship with the program's @pulumi/pulumi.
// scripts/ensure-pulumi.sh installs it; with a Go-built host on PATH this file is not used.
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");

const HOST_VERSION = "1.0.0-data-platform";
// cmd/run exits with this code when it has already reported the error to the engine.
const BAIL_EXIT_CODE = 32;

/** Parses `-flag=value` / `-flag value` / `--flag value` arguments as the Go `flag` package does, plus positionals. */
function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-" || a === "--") {
      positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    if (eq >= 0) flags[body.slice(0, eq)] = body.slice(eq + 1);
    else if (["root", "tracing", "tsconfig", "nodeargs", "packagemanager"].includes(body) && i + 1 < argv.length) flags[body] = argv[++i];
    else flags[body] = "true";
  }
  return { flags, positional };
}

/** Resolves a module the way the program itself would: from its directory first, then from the working directory. */
function resolveFrom(request, dirs) {
  for (const dir of dirs.filter(Boolean)) {
    try {
      return require.resolve(request, { paths: [dir] });
    } catch {
      // try the next directory
    }
  }
  throw new Error(`pulumi-language-nodejs: cannot find ${request} from ${dirs.filter(Boolean).join(", ")}; run npm install in the project`);
}

function runtimeOptions(info, flags) {
  const raw = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
  const typescript = raw.typescript === undefined ? flags.typescript !== "false" : raw.typescript !== false && raw.typescript !== "false";
  const nodeargs = String(raw.nodeargs ?? flags.nodeargs ?? "").split(/\s+/).filter(Boolean);
  const tsconfig = raw.tsconfig ?? flags.tsconfig ?? "";
  return { typescript, nodeargs, tsconfig };
}

function main() {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const state = { engineAddress: positional[positional.length - 1] || "", root: flags.root || process.cwd(), programDirectory: "" };
  const searchDirs = () => [state.programDirectory, state.root, process.cwd()];

  const pulumiDir = path.dirname(resolveFrom("@pulumi/pulumi/package.json", searchDirs()));
  const grpc = require(resolveFrom("@grpc/grpc-js", [pulumiDir]));
  const langpb = require(path.join(pulumiDir, "proto", "language_pb.js"));
  const langrpc = require(path.join(pulumiDir, "proto", "language_grpc_pb.js"));
  const pluginpb = require(path.join(pulumiDir, "proto", "plugin_pb.js"));

  const children = new Set();

  const service = {
    handshake(call, callback) {
      const req = call.request;
      state.engineAddress = req.getEngineAddress() || state.engineAddress;
      if (req.hasRootDirectory && req.hasRootDirectory()) state.root = req.getRootDirectory();
      if (req.hasProgramDirectory && req.hasProgramDirectory()) state.programDirectory = req.getProgramDirectory();
      callback(null, new langpb.LanguageHandshakeResponse());
    },
    // Providers are loaded on demand when the program registers a resource; listing node_modules here would make
    // the engine demand every plugin a dependency mentions even if this stack never uses it.
    getRequiredPlugins(_call, callback) {
      const resp = new langpb.GetRequiredPluginsResponse();
      resp.setPluginsList([]);
      callback(null, resp);
    },
    getPluginInfo(_call, callback) {
      const resp = new pluginpb.PluginInfo();
      resp.setVersion(HOST_VERSION);
      callback(null, resp);
    },
    run(call, callback) {
      const req = call.request;
      const info = req.getInfo();
      const programDirectory = (info && info.getProgramDirectory()) || req.getPwd() || state.root;
      const entryPoint = (info && info.getEntryPoint()) || req.getProgram() || ".";
      const opts = runtimeOptions(info, flags);
      let runPath;
      try {
        runPath = resolveFrom("@pulumi/pulumi/cmd/run", [programDirectory, state.root, process.cwd()]);
      } catch (e) {
        callback(null, errorResponse(langpb, e.message));
        return;
      }
      const args = [...opts.nodeargs, runPath];
      const add = (k, v) => {
        if (v !== undefined && v !== null && v !== "") args.push(`--${k}`, String(v));
      };
      add("monitor", req.getMonitorAddress());
      add("engine", state.engineAddress);
      add("organization", req.getOrganization());
      add("root-directory", info && info.getRootDirectory());
      add("project", req.getProject());
      add("stack", req.getStack());
      add("pwd", req.getPwd());
      if (req.getDryrun()) args.push("--dry-run");
      if (req.getParallel() > 1) add("parallel", req.getParallel());
      if (flags.tracing) add("tracing", flags.tracing);
      args.push(entryPoint, ...req.getArgsList());

      const config = {};
      for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
      const env = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
        PULUMI_NODEJS_TYPESCRIPT: String(opts.typescript),
      };
      if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;

      const child = spawn(process.execPath, args, { cwd: req.getPwd() || programDirectory, env, stdio: ["ignore", "inherit", "inherit"] });
      children.add(child);
      // A failed spawn can emit both "error" and "exit": answer the engine once.
      let answered = false;
      const answer = (resp) => {
        children.delete(child);
        if (!answered) callback(null, resp);
        answered = true;
      };
      child.on("error", (e) => answer(errorResponse(langpb, `could not start node: ${e.message}`)));
      child.on("exit", (code, signal) => {
        const resp = new langpb.RunResponse();
        if (code === BAIL_EXIT_CODE) resp.setBail(true);
        else if (code !== 0) resp.setError(`Program exited with ${signal ? `signal ${signal}` : `non-zero exit code: ${code}`}`);
        answer(resp);
      });
    },
    // The engine runs a policy pack (`--policy-pack DIR`, kind "analyzer") through the language host of the pack's
    // runtime: node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <pack dir>, resolved from the pack's
    // directory (a pack inside this repository finds the repository's node_modules). The pack prints its gRPC port
    // on stdout; its output is streamed back, and cancelling the call (the engine is done with the analyzer)
    // stops it. Other plugin kinds go through @pulumi/pulumi's cmd/run-plugin the same way.
    runPlugin(call) {
      const req = call.request;
      const info = req.getInfo();
      const pluginDir = (info && info.getProgramDirectory()) || req.getPwd() || state.root;
      const analyzer = req.getKind() === "analyzer";
      const send = (set, value) => {
        const resp = new langpb.RunPluginResponse();
        resp[set](value);
        call.write(resp);
      };
      const request = `@pulumi/pulumi/cmd/${analyzer ? "run-policy-pack" : "run-plugin"}`;
      let runPath;
      try {
        runPath = require.resolve(request, { paths: [pluginDir] });
      } catch {
        // The engine recognizes this message and tells the user to install the pack's dependencies.
        send("setStderr", Buffer.from(`Error: Cannot find module '${request}' from ${pluginDir}\n`));
        send("setExitcode", 1);
        call.end();
        return;
      }
      const opts = runtimeOptions(info, flags);
      const args = [...opts.nodeargs, runPath, ...req.getArgsList(), ...(analyzer ? [pluginDir] : [])];
      const env = {};
      for (const kv of req.getEnvList()) {
        const eq = kv.indexOf("=");
        if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      if (!req.getEnvList().length) Object.assign(env, process.env);
      env.PULUMI_NODEJS_TYPESCRIPT = String(opts.typescript);
      if (opts.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
      // A policy pack runs in its own directory: @pulumi/policy reads the pack's version from ./package.json.
      const cwd = analyzer ? pluginDir : req.getPwd() || pluginDir;
      const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      children.add(child);
      let open = true;
      child.stdout.on("data", (b) => open && send("setStdout", b));
      child.stderr.on("data", (b) => open && send("setStderr", b));
      const finish = (code) => {
        children.delete(child);
        if (!open) return;
        open = false;
        send("setExitcode", code);
        call.end();
      };
      child.on("error", (e) => {
        if (open) send("setStderr", Buffer.from(`could not start node: ${e.message}\n`));
        finish(1);
      });
      // Wait for the pipes to drain so the last lines reach the engine before the exit code.
      child.on("close", (code, signal) => finish(code ?? (signal ? 128 : 1)));
      call.on("cancelled", () => {
        open = false;
        child.kill("SIGTERM");
      });
    },
    cancel(_call, callback) {
      for (const child of children) child.kill("SIGTERM");
      callback(null, new (require(resolveFrom("google-protobuf/google/protobuf/empty_pb.js", [pulumiDir])).Empty)());
    },
  };

  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(langrpc.LanguageRuntimeService, service);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`pulumi-language-nodejs: cannot listen: ${err.message}`);
      process.exit(1);
    }
    // The engine reads the port from the first line of stdout.
    process.stdout.write(`${port}\n`);
  });
  const stop = () => {
    for (const child of children) child.kill("SIGTERM");
    server.forceShutdown();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

function errorResponse(langpb, message) {
  const resp = new langpb.RunResponse();
  resp.setError(message);
  return resp;
}

main();
