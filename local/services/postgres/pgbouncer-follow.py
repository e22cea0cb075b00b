#!/usr/bin/python3
"""Patroni callback for the local tier: keeps PgBouncer's read-write pool on the primary and its
read-only pool on a running replica, then RELOADs PgBouncer. On Kubernetes the primary and replica
Services do this job (they select on the role label Patroni sets), so this script exists only here.

Usage (Patroni appends action, role and scope): pgbouncer-follow.py CONFIG.json OWN_PORT [ACTION ROLE SCOPE]
"""
import fcntl
import json
import os
import subprocess
import sys
import urllib.request

cfg = json.load(open(sys.argv[1]))
own_port = int(sys.argv[2])
action = sys.argv[3] if len(sys.argv) > 3 else "manual"
role = sys.argv[4] if len(sys.argv) > 4 else ""
is_primary = role in ("master", "primary", "promoted") and action != "on_stop"


def members():
    for port in cfg["restApiPorts"]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/cluster", timeout=2) as r:
                return json.load(r).get("members", [])
        except Exception:
            continue
    return []


def read_lines(path):
    out = {}
    try:
        for line in open(path):
            if "=" in line:
                out[line.split("=", 1)[0].strip()] = line.strip()
    except FileNotFoundError:
        pass
    return out


ms = members()
leader = next((m for m in ms if m.get("role") in ("leader", "master", "primary")), None)
db = cfg["database"]
path = cfg["includeFile"]
with open(path + ".lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    lines = read_lines(path)
    # Only the primary's own callback (or the first manual run) moves the read-write pool: a replica
    # may still see a stale leader in its DCS cache during a failover.
    rw_port = own_port if is_primary else (leader["port"] if action == "manual" and leader else None)
    if rw_port is not None:
        lines[db] = f"{db} = host=127.0.0.1 port={rw_port} dbname={db}"
    current_rw = lines.get(db, "")
    replicas = [m["port"] for m in ms
                if m.get("role") not in ("leader", "master", "primary")
                and m.get("state") in ("running", "streaming")
                and f"port={m['port']} " not in current_rw + " "]
    if role == "replica" and action != "on_stop" and own_port not in replicas:
        replicas.insert(0, own_port)
    ro_port = replicas[0] if replicas else (rw_port or (leader["port"] if leader else None))
    if ro_port is not None:
        lines[f"{db}_ro"] = f"{db}_ro = host=127.0.0.1 port={ro_port} dbname={db}"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines[k] for k in sorted(lines)) + "\n")
    os.replace(tmp, path)
    env = dict(os.environ, PGPASSWORD=cfg["adminPassword"], PGCONNECT_TIMEOUT="2")
    r = subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(cfg["pgbouncerPort"]), "-U", cfg["adminUser"],
                        "-d", "pgbouncer", "-c", "RELOAD"], env=env, capture_output=True, text=True)
    print(f"pgbouncer-follow: {action} {role} port {own_port}: rw={rw_port} ro={ro_port} reload={'ok' if r.returncode == 0 else r.stderr.strip()}",
          file=sys.stderr)
