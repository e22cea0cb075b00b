import * as pulumi from "@pulumi/pulumi";
import { configFromPulumiMap, parseStackConfig, type StackConfig } from "./config";

/** The only place that reads Pulumi config: validate everything, then hand plain values down. */
export function loadStackConfig(): StackConfig {
  return parseStackConfig(configFromPulumiMap(pulumi.runtime.allConfig()), pulumi.getStack());
}
