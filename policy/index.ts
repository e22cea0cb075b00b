import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// `pulumi preview --policy-pack policy` (run from the repository root) enforces every rule.
new PolicyPack("data-platform", { policies, description: "Security rules of the data platform: pod hardening, secrets, S3 and IAM." });
