#!/usr/bin/env python3
"""Scheduled pgBackRest base backups for a Patroni cluster.

Runs beside every Patroni member (a sidecar on Kubernetes, a one-shot in the local restore test) and acts
only while its member holds the leader key, so exactly one member backs up and a failover moves the duty
with the leader. It keeps no schedule state of its own: on each tick it asks the repository for the newest
backup and takes a full one when that is older than the interval, so restarts, failovers and missed ticks
cannot skip or double a backup. pgBackRest expires backups and WAL past the configured retention after
each backup.

Python because every Patroni image has it (Patroni is Python) and nothing else may be assumed there.
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

# `pgbackrest info` status codes that mean the stanza does not exist yet (pgBackRest's info command docs).
MISSING_STANZA = {1, 3}


def log(event, **fields):
    print(json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}), flush=True)


def is_leader(patroni_url):
    # Patroni answers 200 on /primary only on the member holding the leader key.
    try:
        with urllib.request.urlopen(patroni_url.rstrip("/") + "/primary", timeout=5) as r:
            return r.status == 200
    except urllib.error.HTTPError:
        return False
    except OSError as e:
        log("patroni-unreachable", error=str(e))
        return False


def pgbackrest(args, cmd, *extra):
    argv = ["pgbackrest", "--config=" + args.config, "--stanza=" + args.stanza, *extra, cmd]
    started = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        # pgBackRest's messages name paths and options, never passwords (those come from PGPASSWORD).
        raise RuntimeError("pgbackrest %s failed (exit %d): %s" % (cmd, r.returncode, (r.stdout + r.stderr).strip()[-2000:]))
    return r.stdout, time.monotonic() - started


def stanza_info(args):
    out, _ = pgbackrest(args, "info", "--output=json")
    info = json.loads(out)
    return info[0] if info else {"status": {"code": 1}, "backup": []}


def tick(args):
    """One decision; returns what it did."""
    if not is_leader(args.patroni_url):
        return "not-leader"
    info = stanza_info(args)
    if info["status"]["code"] in MISSING_STANZA:
        _, secs = pgbackrest(args, "stanza-create")
        log("stanza-created", stanza=args.stanza, seconds=round(secs, 2))
        # check forces a WAL switch and waits for it in the repository: archiving proven end to end.
        _, secs = pgbackrest(args, "check")
        log("archive-checked", seconds=round(secs, 2))
        info = stanza_info(args)
    backups = info.get("backup", [])
    newest = max((b["timestamp"]["stop"] for b in backups), default=None)
    age = None if newest is None else time.time() - newest
    if age is not None and age < args.full_every_hours * 3600:
        return "fresh"
    _, secs = pgbackrest(args, "backup", "--type=full")
    log("backup", type="full", seconds=round(secs, 2), previous_age_seconds=None if age is None else round(age))
    return "backup"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="pgbackrest.conf of this member")
    p.add_argument("--stanza", required=True)
    p.add_argument("--patroni-url", default="http://127.0.0.1:8008", help="this member's Patroni REST API")
    p.add_argument("--full-every-hours", type=float, required=True, help="take a full backup when the newest is older than this")
    p.add_argument("--check-every-seconds", type=float, default=60.0)
    p.add_argument("--heartbeat-file", help="touched after every tick, for the container's liveness probe")
    p.add_argument("--once", action="store_true", help="one tick, exit 0 if it succeeded (tests, manual runs)")
    args = p.parse_args()
    if args.once:
        try:
            log("tick", result=tick(args))
        except Exception as e:  # noqa: BLE001 - reported and turned into the exit code
            log("error", error=str(e))
            sys.exit(1)
        return
    last = None
    while True:
        try:
            result = tick(args)
            # Quiet while nothing changes: a replica says "not-leader" once, not every minute.
            if result != last or result == "backup":
                log("tick", result=result)
            last = result
        except Exception as e:  # noqa: BLE001 - a failed backup must not kill the sidecar; the next tick retries
            log("error", error=str(e))
        if args.heartbeat_file:
            with open(args.heartbeat_file, "w") as f:
                f.write(str(int(time.time())))
        time.sleep(args.check_every_seconds)


if __name__ == "__main__":
    main()
