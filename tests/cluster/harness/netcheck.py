"""TCP listeners and connect probes run INSIDE a pod's network namespace by the policy tests
(`ip netns exec POD python -I -S netcheck.py ...`). Standard library only.

  netcheck.py listen PORT [PORT ...]      accept and close on every port until killed;
                                          prints "listening" once all are bound
  netcheck.py connect --timeout S IP:PORT [IP:PORT ...]
      -> {"IP:PORT": "open" | "refused" | "timeout" | "error: ...", ...}   (all in parallel)

Only addresses inside the test cluster's namespaces are given to it: the pod namespaces it
runs in have no route anywhere else.
"""

import json
import selectors
import socket
import sys
import threading


def listen(ports):
    sel = selectors.DefaultSelector()
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            try:
                conn, _ = key.fileobj.accept()
                conn.close()
            except OSError:
                pass


def connect_one(target, timeout, out):
    host, port = target.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, int(port)))
        out[target] = "open"
    except ConnectionRefusedError:
        out[target] = "refused"
    except TimeoutError:
        out[target] = "timeout"
    except OSError as e:
        out[target] = f"error: {e.strerror or e}"
    finally:
        s.close()


def connect(targets, timeout):
    out = {}
    threads = [threading.Thread(target=connect_one, args=(t, timeout, out)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main(argv):
    if argv and argv[0] == "listen":
        listen([int(p) for p in argv[1:]])
    elif argv and argv[0] == "connect" and len(argv) >= 3 and argv[1] == "--timeout":
        print(json.dumps(connect(argv[3:], float(argv[2]))))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
