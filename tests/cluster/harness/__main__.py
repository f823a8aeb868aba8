"""Run the test cluster by hand, for debugging:

    K8SNET_OFFLINE=1 K8SNET_CLUSTER_BIN=... .venv/bin/python -m tests.cluster.harness up  (Ctrl-C stops)
    .venv/bin/python -m tests.cluster.harness cleanup   (remove what dead runs left)

`up` prints the admin kubeconfig, tokens, node namespaces; then waits. Everything is torn
down on Ctrl-C (or SIGTERM).
"""

import argparse
import json
import os
import signal
import sys
import threading

from .cluster import MODES, LabCluster, cleanup_stale_runs
from .prereq import unavailable_reason


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.cluster.harness")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up")
    up.add_argument("--mode", choices=MODES, default="iptables-legacy")
    up.add_argument("--no-scenario", action="store_true")
    sub.add_parser("cleanup")
    args = ap.parse_args(argv)
    if args.cmd == "cleanup":
        print("cleaned:", cleanup_stale_runs() or "nothing")
        return 0
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    c = LabCluster(os.environ["K8SNET_CLUSTER_BIN"], mode=args.mode,
                   scenario=None if args.no_scenario else "lab101")
    c.keep_run_dir = True
    try:
        c.start()
        print(json.dumps(c.describe(), indent=2))
        print("cluster up; Ctrl-C to tear it down", file=sys.stderr)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
