import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isAllowed } from "./allowlist";
import type { PolicyInput } from "./resources";
import { resourceRules, stackRules } from "./rules";

/** The engine's view of a resource, reduced to what the rules read. */
function fromPolicyResource(r: PolicyResource): PolicyInput {
  return { type: r.type, name: r.name, urn: r.urn, props: r.props, parent: r.parent?.urn };
}

/** The plain rules of rules.ts as @pulumi/policy policies: the same functions the unit tests run. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ...resourceRules.map(
    (rule): ResourceValidationPolicy => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: "mandatory",
      validateResource: (args, report) => {
        if (isAllowed(rule.name, args.type, args.name)) return;
        for (const m of rule.check({ type: args.type, name: args.name, urn: args.urn, props: args.props })) report(m);
      },
    }),
  ),
  ...stackRules.map(
    (rule): StackValidationPolicy => ({
      name: rule.name,
      description: rule.description,
      enforcementLevel: "mandatory",
      validateStack: (args, report) => {
        const resources = args.resources.map(fromPolicyResource);
        for (const v of rule.check(resources)) {
          const r = args.resources.find((x) => x.name === v.name);
          if (r && isAllowed(rule.name, r.type, r.name)) continue;
          report(`${v.name} ${v.message}`, r?.urn);
        }
      },
    }),
  ),
];
