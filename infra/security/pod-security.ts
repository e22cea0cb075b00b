/**
 * The restricted Pod Security Standard as plain objects, for every system component to spread into
 * its pod and container specs (no @pulumi import: usable by renderers and tests alike).
 */

export interface SeccompProfile {
  type: "RuntimeDefault";
}

export interface RestrictedPodSecurityContext {
  runAsNonRoot: true;
  runAsUser: number;
  runAsGroup: number;
  fsGroup: number;
  /** Skips the recursive chown of large data volumes when ownership is already right. */
  fsGroupChangePolicy: "OnRootMismatch";
  seccompProfile: SeccompProfile;
}

export interface RestrictedContainerSecurityContext {
  allowPrivilegeEscalation: false;
  privileged: false;
  runAsNonRoot: true;
  readOnlyRootFilesystem: boolean;
  capabilities: { drop: ["ALL"] };
  seccompProfile: SeccompProfile;
}

/** The uid/gid an image's process expects (its data directories are owned by them). */
export interface ImageUser {
  readonly uid: number;
  readonly gid: number;
}

/** Users baked into the images the components run; a non-root uid the image does not know breaks it. */
export const imageUsers = {
  /** Patroni + pgBackRest images of the Crunchy/Percona lineage (postgres.image): postgres is 26. */
  patroni: { uid: 26, gid: 26 },
  /** Official redis image (redis:7.x). */
  redis: { uid: 999, gid: 999 },
  /** clickhouse/clickhouse-server and clickhouse-keeper. */
  clickhouse: { uid: 101, gid: 101 },
  /** bitnami/* images (pgbouncer). */
  bitnami: { uid: 1001, gid: 1001 },
  /** Exporters built FROM scratch/busybox that run as nobody (postgres_exporter). */
  nobody: { uid: 65534, gid: 65534 },
} as const satisfies Record<string, ImageUser>;

export function restrictedPodSecurityContext(user: ImageUser): RestrictedPodSecurityContext {
  if (user.uid === 0) throw new Error("restrictedPodSecurityContext: uid 0 is root; pick the image's non-root user (see imageUsers)");
  return {
    runAsNonRoot: true,
    runAsUser: user.uid,
    runAsGroup: user.gid,
    fsGroup: user.gid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Per container. `readOnlyRootFilesystem` defaults to true; pass false only for an image that
 * writes outside its volumes (say why at the call site), and mount writableScratch() for /tmp.
 */
export function restrictedContainerSecurityContext(opts: { readOnlyRootFilesystem?: boolean } = {}): RestrictedContainerSecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** An emptyDir and its mount, for the scratch paths (/tmp, /run) a read-only root still needs. */
export function writableScratch(name: string, mountPath: string, sizeLimit = "256Mi") {
  return {
    volume: { name, emptyDir: { sizeLimit } },
    mount: { name, mountPath },
  };
}
