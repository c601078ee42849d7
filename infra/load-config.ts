// Reads this stack's configuration from the Pulumi runtime (the stack file as
// `pulumi up` or the test harness provides it) and validates it in one go.
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, type StackConfig } from "./config.js";

export function loadConfig(): StackConfig {
  return parseConfig(pulumi.runtime.allConfig());
}
