/** Labels and names shared by the StatefulSet, its Services, the PDB and Patroni's kubernetes DCS. */
export const PG_PORT = 5432;
export const PATRONI_PORT = 8008;
export const PGBOUNCER_PORT = 6432;
export const EXPORTER_PORT = 9187;
export const DATABASE = "trading";

/** Patroni sets this label to master/replica on each pod (config/patroni.ts pins the values); the Services select on it. */
export const ROLE_LABEL = "patroni-role";
export const SCOPE_LABEL = "cluster-name";

/** Verbs Patroni's kubernetes DCS uses with use_endpoints (Patroni's own RBAC example, no configmaps). */
export const PATRONI_RBAC_RULES = [
  { apiGroups: [""], resources: ["endpoints"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "patch", "update", "watch"] },
  // Patroni creates the <scope>-config Service once so its endpoints object is not garbage collected.
  { apiGroups: [""], resources: ["services"], verbs: ["create"] },
] as const;
