#!/usr/bin/env node
// pulumi-resource-pulumi-nodejs: the plugin the engine starts for every pulumi.dynamic.Resource.
//
// It must be the @pulumi/pulumi of the program being deployed: the serialized provider code in the state calls
// require() for the modules it captured, and those resolve next to the dynamic-provider entry point. The engine
// starts plugins in the program's directory, so resolve from there; DATA_PLATFORM_REPO is a fallback for a
// program elsewhere that has no node_modules of its own.
"use strict";

const request = "@pulumi/pulumi/cmd/dynamic-provider";
const dirs = [process.cwd(), process.env.DATA_PLATFORM_REPO].filter(Boolean);
let entry;
for (const dir of dirs) {
  try {
    entry = require.resolve(request, { paths: [dir] });
    break;
  } catch {
    // try the next directory
  }
}
if (!entry) {
  console.error(`pulumi-resource-pulumi-nodejs: cannot find ${request} from ${dirs.join(", ")}; run npm install in the project or set DATA_PLATFORM_REPO`);
  process.exit(1);
}
// The entry point reads its arguments from process.argv.slice(2), which are this launcher's own.
require(entry);
