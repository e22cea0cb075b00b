import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PostgresConfig } from "../../stacks/schema/postgres";

/** Key names in the TLS Secret: cert-manager's layout, which the generated Secret copies. */
export const TLS_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

export interface PostgresTlsInput {
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly labels: Record<string, string>;
  /** Every name clients and peers use: the Services, short and fully qualified, and the members' headless names. */
  readonly dnsNames: pulumi.Input<string[]>;
  readonly config: PostgresConfig["tls"];
}

export interface PostgresTlsSecret {
  readonly secretName: pulumi.Output<string>;
  /** PEM of the CA clients verify against (verify-full); public. Absent with cert-manager (it lives in the Secret's ca.crt). */
  readonly caCertificate?: pulumi.Output<string>;
}

// Generated certificates: a 10-year private CA and a 1-year server certificate that Pulumi re-issues on
// the first `up` inside its last 30 days (earlyRenewalHours), so a monthly deploy never lets it lapse.
const CA_HOURS = 24 * 365 * 10;
const SERVER_HOURS = 24 * 365;
const RENEW_HOURS = 24 * 30;

/**
 * The server certificate Secret: a cert-manager Certificate when the stack names an issuer (postgres.tls.issuer),
 * otherwise a private CA and server certificate from @pulumi/tls, kept in state (private keys as secrets)
 * so a re-run changes nothing.
 */
export function postgresTlsSecret(i: PostgresTlsInput, parent: pulumi.Resource): PostgresTlsSecret {
  const secretName = `${i.name}-tls`;
  const meta = { name: secretName, namespace: i.namespace, labels: i.labels };
  if (i.config.issuer) {
    const cert = new k8s.apiextensions.CustomResource(
      `${i.name}-certificate`,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: secretName, namespace: i.namespace, labels: i.labels },
        spec: {
          secretName,
          dnsNames: i.dnsNames,
          duration: `${SERVER_HOURS}h`,
          renewBefore: `${RENEW_HOURS}h`,
          usages: ["server auth", "digital signature", "key encipherment"],
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          issuerRef: { group: "cert-manager.io", kind: i.config.issuer.kind, name: i.config.issuer.name },
        },
      },
      { parent },
    );
    return { secretName: pulumi.output(cert.metadata).apply((m) => m?.name ?? secretName) };
  }
  const keyOpts = { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] };
  const caKey = new tls.PrivateKey(`${i.name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, keyOpts);
  const ca = new tls.SelfSignedCert(
    `${i.name}-ca`,
    {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: CA_HOURS,
      subject: { commonName: `${i.name} PostgreSQL CA`, organization: "data-platform" },
      allowedUses: ["cert_signing", "crl_signing"],
    },
    { parent },
  );
  const serverKey = new tls.PrivateKey(`${i.name}-server-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, keyOpts);
  const csr = new tls.CertRequest(`${i.name}-server-csr`, { privateKeyPem: serverKey.privateKeyPem, dnsNames: i.dnsNames, subject: { commonName: `${i.name}-primary` } }, { parent });
  const server = new tls.LocallySignedCert(
    `${i.name}-server-cert`,
    {
      certRequestPem: csr.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: SERVER_HOURS,
      earlyRenewalHours: RENEW_HOURS,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    { parent },
  );
  const secret = new k8s.core.v1.Secret(
    `${i.name}-tls`,
    {
      metadata: meta,
      type: "kubernetes.io/tls",
      stringData: { [TLS_KEYS.cert]: server.certPem, [TLS_KEYS.key]: pulumi.secret(serverKey.privateKeyPem), [TLS_KEYS.ca]: ca.certPem },
    },
    { parent },
  );
  return { secretName: secret.metadata.name, caCertificate: ca.certPem };
}

/** Names in the server certificate: what PgBouncer (verify-full), Debezium and in-cluster clients dial. */
export function postgresDnsNames(name: string, namespace: string): string[] {
  const services = ["primary", "replica", "pgbouncer"].map((r) => `${name}-${r}`);
  return [
    ...services.flatMap((s) => [s, `${s}.${namespace}`, `${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`]),
    `*.${name}-headless.${namespace}.svc`,
    `*.${name}-headless.${namespace}.svc.cluster.local`,
  ];
}
