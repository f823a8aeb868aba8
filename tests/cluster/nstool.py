"""Client probes the cluster tests run INSIDE a node or pod namespace (`ip netns exec NS python
nstool.py ...`); each prints one JSON document on stdout.

  nstool.py http URL [--count N] [--timeout S]
      -> {"responses": [{"status": 200, "pod": "website-..", "namespace": "default",
                          "body": "..."} | {"error": "..."}]}
  nstool.py dns NAME [--type A|SRV|PTR|...] [--server 10.96.0.10] [--tcp] [--timeout S]
      -> {"rcode": "NOERROR", "answers": ["10.96.0.10", ...]}   (answers as rdata text)
  nstool.py etcd-compact
      -> {"revision": N}   compacts etcd (http://127.0.0.1:2379, run it in node-1) to its head

Only addresses inside the test cluster's namespaces are ever contacted: the namespaces it
runs in have no route anywhere else.
"""

import argparse
import http.client
import json
import sys
from urllib.parse import urlsplit


def http_probe(url, count, timeout):
    parts = urlsplit(url)
    out = []
    for _ in range(count):
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            conn.request("GET", parts.path or "/", headers={"Connection": "close"})
            resp = conn.getresponse()
            body = resp.read().decode(errors="replace")
            out.append({"status": resp.status, "pod": resp.getheader("X-Pod-Name"),
                        "namespace": resp.getheader("X-Pod-Namespace"),
                        "client": resp.getheader("X-Client-Addr"), "body": body})
        except OSError as e:
            out.append({"error": f"{type(e).__name__}: {e}"})
        finally:
            conn.close()
    return {"responses": out}


def dns_probe(name, rdtype, server, tcp, timeout):
    import dns.message
    import dns.query
    import dns.rcode
    q = dns.message.make_query(name, rdtype)
    try:
        if tcp:
            r = dns.query.tcp(q, server, timeout=timeout)
        else:
            r = dns.query.udp(q, server, timeout=timeout)
    except Exception as e:  # report any failure as data
        return {"error": f"{type(e).__name__}: {e}"}
    answers = [rd.to_text() for rrset in r.answer for rd in rrset]
    return {"rcode": dns.rcode.to_text(r.rcode()), "answers": answers}


def etcd_compact():
    import base64
    import urllib.request

    def post(path, doc):
        req = urllib.request.Request("http://127.0.0.1:2379" + path, data=json.dumps(doc).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    head = post("/v3/kv/range", {"key": base64.b64encode(b"/").decode(), "limit": 1})
    rev = int(head["header"]["revision"])
    post("/v3/kv/compaction", {"revision": rev, "physical": True})
    return {"revision": rev}


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("http")
    h.add_argument("url")
    h.add_argument("--count", type=int, default=1)
    h.add_argument("--timeout", type=float, default=3)
    d = sub.add_parser("dns")
    d.add_argument("name")
    d.add_argument("--type", default="A")
    d.add_argument("--server", default="10.96.0.10")
    d.add_argument("--tcp", action="store_true")
    d.add_argument("--timeout", type=float, default=3)
    sub.add_parser("etcd-compact")
    args = ap.parse_args(argv)
    if args.cmd == "http":
        result = http_probe(args.url, args.count, args.timeout)
    elif args.cmd == "etcd-compact":
        result = etcd_compact()
    else:
        result = dns_probe(args.name, args.type, args.server, args.tcp, args.timeout)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
