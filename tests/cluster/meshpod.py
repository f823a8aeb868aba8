"""What a meshed test-cluster pod "runs": listeners standing in for the sidecar proxy and the app,
inside the pod's network namespace (started by harness/mesh.py with `ip netns exec`).

  python meshpod.py --ports 15001,15006,80 --pod NAME --namespace NS --record FILE [--ready-file F]

Envoy cannot run here, so nothing is proxied: each listener accepts, answers one JSON line and
closes. The line (and one line appended to FILE) says which listener took the connection, from
where, and its original destination as the kernel kept it before a REDIRECT rewrote it
(getsockopt SOL_IP SO_ORIGINAL_DST; for a connection nothing redirected, the address it was made
to). So a client can tell whether its connection reached the proxy's port or went straight to
the app it dialled. Standard library only.
"""

import argparse
import json
import selectors
import socket
import struct
import sys
import threading

SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h


def original_dst(conn: socket.socket) -> str:
    try:
        raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    except OSError:  # no conntrack entry with a NAT: the connection was not rewritten
        host, port = conn.getsockname()[:2]
        return f"{host}:{port}"
    port = struct.unpack("!H", raw[2:4])[0]
    return f"{socket.inet_ntoa(raw[4:8])}:{port}"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", required=True)
    ap.add_argument("--pod", required=True)
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--ready-file")
    args = ap.parse_args(argv)
    lock = threading.Lock()
    sel = selectors.DefaultSelector()
    for port in sorted({int(p) for p in args.ports.split(",") if p}):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, port)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("listening\n")
    while True:
        for key, _ in sel.select():
            try:
                conn, peer = key.fileobj.accept()
            except OSError:
                continue
            with conn:
                doc = {"pod": f"{args.namespace}/{args.pod}", "listener": key.data,
                       "peer": f"{peer[0]}:{peer[1]}", "original_dst": original_dst(conn)}
                line = json.dumps(doc, sort_keys=True)
                with lock, open(args.record, "a") as rec:
                    rec.write(line + "\n")
                try:
                    conn.settimeout(2)
                    conn.sendall(line.encode() + b"\n")
                except OSError as e:
                    sys.stderr.write(f"answer to {peer}: {e}\n")


if __name__ == "__main__":
    main()
