import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PATRONI_RBAC_RULES } from "./names";

/** ServiceAccount + Role + RoleBinding with exactly the verbs Patroni's kubernetes DCS needs. */
export function patroniRbac(
  name: string,
  namespace: pulumi.Input<string>,
  labels: Record<string, string>,
  parent: pulumi.Resource,
  /** E.g. the IRSA role annotation that gives pgBackRest its S3 credentials. */
  annotations: Record<string, string> = {},
): k8s.core.v1.ServiceAccount {
  const opts = { parent };
  const sa = new k8s.core.v1.ServiceAccount(`${name}-serviceaccount`, { metadata: { name, namespace, labels, annotations } }, opts);
  const role = new k8s.rbac.v1.Role(
    `${name}-role`,
    { metadata: { name, namespace, labels }, rules: PATRONI_RBAC_RULES.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })) },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    `${name}-rolebinding`,
    {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
    },
    opts,
  );
  return sa;
}
