import { quantityToBytes } from "../../stacks/schema/common";
import type { RedisConfig } from "../../stacks/schema/redis";

/**
 * Pure renderers for redis.conf, sentinel.conf and the two entrypoint scripts. The Kubernetes
 * component and the local tier both use them, so the failover tests exercise what the cluster runs.
 * No @pulumi imports here.
 *
 * Node identity (port, announced host, data dir) is NOT in the rendered files: the entrypoints append
 * it at start, so one rendered redis.conf and one sentinel.conf serve every pod / local node.
 */

/** ACL users every node knows. `default` is switched off. */
export const aclUsers = ["admin", "application", "replication", "sentinel", "exporter"] as const;
export type AclUser = (typeof aclUsers)[number];
export type AclPasswords = Record<AclUser, string>;

/** Sentinel's name for the monitored primary. */
export const MASTER_NAME = "trading";
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

/**
 * What each user may do, and why:
 * - admin: deploys Function libraries (RedisFunctions provider) and operates the cluster.
 * - application: services; data, pub/sub and FCALL, but no admin/dangerous commands and no
 *   FUNCTION LOAD/DELETE, so a service cannot replace the libraries it calls.
 * - replication: what a replica needs from its primary, nothing else.
 * - sentinel: the command set Redis documents for Sentinel (monitoring, failover, hello channel).
 * - exporter: redis_exporter and the probes; no key access.
 */
export const aclRules: Record<AclUser, string> = {
  admin: "~* &* +@all",
  application:
    "~* &* +@all -@admin -@dangerous +info +role -function|load -function|delete -function|flush -function|restore -script|flush",
  replication: "resetkeys resetchannels -@all +psync +replconf +ping",
  sentinel:
    "resetkeys &* -@all +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill",
  exporter:
    "resetkeys resetchannels -@all +@connection +ping +info +config|get +client|list +slowlog +latency +memory|stats +select +scan +type +strlen +llen +scard +zcard +hlen +xlen +pfcount",
};

function assertPasswords(p: AclPasswords): void {
  for (const u of aclUsers) {
    const pw = p[u];
    if (typeof pw !== "string" || pw.length < 16 || /[\s#"'\\]/.test(pw)) {
      throw new Error(`redis ACL user ${u}: password must be at least 16 characters without spaces, quotes, # or backslashes`);
    }
  }
}

/** The shared redis.conf. Contains passwords: store it as a secret. */
export function renderRedisConf(config: RedisConfig, passwords: AclPasswords): string {
  assertPasswords(passwords);
  const lines = [
    "# Rendered by infra/redis/render.ts; the entrypoint appends port, dir, announce and replicaof.",
    "daemonize no",
    "protected-mode no",
    "tcp-keepalive 60",
    "# Durability: the AOF, fsynced once a second, plus RDB snapshots for fast full resyncs.",
    "appendonly yes",
    "appendfsync everysec",
    'appenddirname "appendonly"',
    "save 900 1 300 100 60 10000",
    `maxmemory ${quantityToBytes(config.maxmemory)}`,
    `maxmemory-policy ${config.maxmemoryPolicy}`,
    "# A primary cut off from its replicas stops taking writes instead of diverging.",
    `min-replicas-to-write ${config.minReplicasToWrite}`,
    `min-replicas-max-lag ${config.minReplicasMaxLag}`,
    "replica-read-only yes",
    "replica-serve-stale-data yes",
    "repl-diskless-sync yes",
    "replica-priority 100",
    "# Every node can become the primary, so every node authenticates as the replication user.",
    "masteruser replication",
    `masterauth ${passwords.replication}`,
    "# Keyspace events for expirations and evictions (cache invalidation listeners).",
    'notify-keyspace-events "Exe"',
    "user default off",
    ...aclUsers.map((u) => `user ${u} on >${passwords[u]} ${aclRules[u]}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The shared sentinel.conf tail: the entrypoint writes port, announce and `sentinel monitor`
 * (whose master it discovers) first, because per-master directives must follow the monitor line.
 */
export function renderSentinelConf(config: RedisConfig, passwords: Pick<AclPasswords, "sentinel">, masterName = MASTER_NAME): string {
  const s = config.sentinel;
  const lines = [
    "# Rendered by infra/redis/render.ts; the entrypoint prepends port, announce and monitor.",
    `sentinel down-after-milliseconds ${masterName} ${s.downAfterMilliseconds}`,
    `sentinel failover-timeout ${masterName} ${s.failoverTimeout}`,
    // One replica resyncs at a time so the others keep serving reads during a failover.
    `sentinel parallel-syncs ${masterName} 1`,
    `sentinel auth-user ${masterName} sentinel`,
    `sentinel auth-pass ${masterName} ${passwords.sentinel}`,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Redis node entrypoint (POSIX sh; redis-cli, sha1sum and timeout come with the official image).
 * It never starts a node as primary on its own say-so: it asks the Sentinels and starts as primary
 * only when a quorum of them names this node and no failover of it is under way. Otherwise it
 * starts as a replica of whoever the quorum names, and waits while the Sentinels disagree.
 * That designs out the restarted old primary coming back as a second master.
 *
 * Env: REDIS_BASE_CONF, REDIS_CONF (writable copy), DATA_DIR, SELF_HOST, SELF_PORT, SENTINELS
 * ("host:port host:port ..."), MASTER_NAME, QUORUM, optional REDIS_SERVER (default redis-server).
 */
export const redisEntrypoint = `#!/bin/sh
set -eu
log() { echo "entrypoint: $*" >&2; }
while :; do
  answers=""
  for s in $SENTINELS; do
    h=\${s%:*}; p=\${s##*:}
    addr=$(timeout 2 redis-cli -h "$h" -p "$p" --raw SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\\n' ' ' | sed 's/ *$//' || true)
    case "$addr" in *" "*) answers="$answers$addr
";; esac
  done
  best=$(printf '%s' "$answers" | sed '/^$/d' | sort | uniq -c | sort -rn | head -n1 || true)
  count=$(echo "$best" | awk '{print $1}')
  mhost=$(echo "$best" | awk '{print $2}')
  mport=$(echo "$best" | awk '{print $3}')
  if [ -n "$count" ] && [ "$count" -ge "$QUORUM" ]; then
    if [ "$mhost" = "$SELF_HOST" ] && [ "$mport" = "$SELF_PORT" ]; then
      busy=""
      for s in $SENTINELS; do
        h=\${s%:*}; p=\${s##*:}
        flags=$(timeout 2 redis-cli -h "$h" -p "$p" --raw SENTINEL master "$MASTER_NAME" 2>/dev/null | awk 'prev=="flags"{print; exit} {prev=$0}' || true)
        case "$flags" in *o_down*|*failover_in_progress*) busy="$flags";; esac
      done
      if [ -z "$busy" ]; then role=master; break; fi
      log "sentinels name this node but report '$busy'; waiting for the failover to settle"
    else
      role=replica; break
    fi
  else
    log "no quorum of sentinels agrees on the primary yet (answers: $(printf '%s' "$answers" | tr '\\n' ';')); waiting"
  fi
  sleep 1
done
mkdir -p "$DATA_DIR"
cp "$REDIS_BASE_CONF" "$REDIS_CONF"
{
  echo "port $SELF_PORT"
  echo "dir $DATA_DIR"
  echo "replica-announce-ip $SELF_HOST"
  echo "replica-announce-port $SELF_PORT"
  if [ "$role" = replica ]; then echo "replicaof $mhost $mport"; fi
} >> "$REDIS_CONF"
log "starting as $role (sentinels' primary: $mhost:$mport)"
exec "\${REDIS_SERVER:-redis-server}" "$REDIS_CONF"
`;

/**
 * Sentinel entrypoint. A restarted Sentinel learns the current primary from its peers, else from a
 * node that reports itself primary, and only on a brand-new cluster falls back to the bootstrap node.
 * Its id derives from its own address so a restart does not leave a ghost Sentinel in the peers' lists.
 *
 * Env: SENTINEL_BASE_CONF, SENTINEL_CONF (writable), DATA_DIR, SELF_HOST, SELF_PORT, SENTINELS (peers
 * incl. self), NODES ("host:port ..."), BOOTSTRAP ("host:port"), MASTER_NAME, QUORUM,
 * SENTINEL_PASSWORD (the sentinel ACL user's), optional SENTINEL_SERVER (default redis-sentinel).
 */
export const sentinelEntrypoint = `#!/bin/sh
set -eu
log() { echo "sentinel-entrypoint: $*" >&2; }
master=""
for s in $SENTINELS; do
  h=\${s%:*}; p=\${s##*:}
  if [ "$h" = "$SELF_HOST" ] && [ "$p" = "$SELF_PORT" ]; then continue; fi
  addr=$(timeout 2 redis-cli -h "$h" -p "$p" --raw SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\\n' ' ' | sed 's/ *$//' || true)
  case "$addr" in *" "*) master="$addr"; log "peer $s names $addr"; break;; esac
done
if [ -z "$master" ]; then
  for n in $NODES; do
    h=\${n%:*}; p=\${n##*:}
    role=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 2 redis-cli --user sentinel -h "$h" -p "$p" --raw ROLE 2>/dev/null | head -n1 || true)
    if [ "$role" = master ]; then master="$h $p"; log "node $n reports itself primary"; break; fi
  done
fi
if [ -z "$master" ]; then
  master="\${BOOTSTRAP%:*} \${BOOTSTRAP##*:}"
  log "no peer or node knows a primary: new cluster, bootstrap primary $BOOTSTRAP"
fi
mkdir -p "$DATA_DIR"
myid=$(printf '%s' "$SELF_HOST:$SELF_PORT" | sha1sum | cut -c1-40)
{
  echo "port $SELF_PORT"
  echo "dir $DATA_DIR"
  echo "sentinel myid $myid"
  echo "sentinel resolve-hostnames yes"
  echo "sentinel announce-hostnames yes"
  echo "sentinel announce-ip $SELF_HOST"
  echo "sentinel announce-port $SELF_PORT"
  echo "sentinel monitor $MASTER_NAME $master $QUORUM"
  cat "$SENTINEL_BASE_CONF"
} > "$SENTINEL_CONF"
exec "\${SENTINEL_SERVER:-redis-sentinel}" "$SENTINEL_CONF"
`;

/** host:port list as the entrypoints read it. */
export function addressList(addrs: readonly { host: string; port: number }[]): string {
  return addrs.map((a) => `${a.host}:${a.port}`).join(" ");
}
