"""Fuzz every parser and loader for crashes (issue 9's "a million examples" mode).

    python -m bench.fuzz --examples 1000000            # every target, hypothesis
    python -m bench.fuzz --examples 20000 --target nft --engine random
    python -m bench.fuzz --list

Each target takes hostile input (random text, token soup made of real lines, JSON of the
right shape with the wrong types, random snapshot files, API objects with missing or
wrongly typed fields) and must return normally: parsers report problems, they never raise.
A crash is any exception; the first few of each target are printed with the input that caused
them (shrunk by hypothesis when that engine is used). Exit status 1 when anything crashed.

Engines: `hypothesis` (default: guided generation and shrinking, no example database written)
and `random` (a plain seeded generator, much faster per example, no shrinking).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import string
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8snet_tui.domain.datapath.cilium import parse_cilium_services
from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
from k8snet_tui.domain.datapath.ipvsadm import parse_ipvsadm
from k8snet_tui.domain.datapath.nft_json import parse_nft_json
from k8snet_tui.domain.dns.corefile import parse_corefile
from k8snet_tui.domain.dns.resolv_conf import parse_resolv_conf
from k8snet_tui.domain.model import ClusterState, NodeState, Observed
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot

# -- seeds: real lines and keys, so random soup reaches deep code paths --------------------------

LAB = bundled_lab_path()


def _lab_text(pattern: str) -> str:
    for path in sorted(LAB.glob(pattern)):
        return path.read_text(errors="replace")
    return ""


IPTABLES_LINES = _lab_text("nodes/*/iptables*-save.txt").splitlines()[:400] or [
    "*nat", ":KUBE-SERVICES - [0:0]", "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j KUBE-SVC-X", "COMMIT"]
RESOLV_WORDS = ["nameserver", "search", "domain", "options", "ndots:5", "timeout:1", "attempts:9", "rotate",
                "10.96.0.10", "::1", "svc.cluster.local", "#", ";", "edns0", "single-request", "\t", " ",
                "ndots:²", "timeout:٣", "attempts:１", "ndots:1²"]
COREFILE_WORDS = [".:53", "{", "}", "errors", "health", "lameduck", "5s", "kubernetes", "cluster.local",
                  "in-addr.arpa", "ip6.arpa", "pods", "insecure", "fallthrough", "ttl", "30", "forward", ".",
                  "/etc/resolv.conf", "cache", "import", "(snip)", "loop", "reload", "#", "\n", " ", "\"", ",",
                  "example.org:5353", "dns://.:53", "rewrite", "name", "hosts", "template",
                  ".:²", "[::1]:٣", "²", "٣0", "１", "{\n{\n{\n{\n{\n{\n{\n{\n{\n"]
IPVS_WORDS = ["TCP", "UDP", "SCTP", "FWM", "10.96.0.1:443", "->", "rr", "wlc", "Masq", "Route", "1", "0",
              "[::1]:53", "persistent", "360", "IP", "Virtual", "Server", "version", "\n", " ",
              "10.96.0.1:²", "10.0.0.2:٣", "²", "１"]
JSON_KEYS = ["nftables", "rule", "chain", "map", "set", "table", "family", "name", "expr", "elem", "vmap",
             "dnat", "numgen", "mod", "key", "data", "addr", "port", "goto", "jump", "match", "left",
             "right", "meta", "payload", "concat", "prefix", "spec", "frontend-address", "ip", "status",
             "backend-addresses", "flags", "type", "id", "realized", "backends", "protocol", "x"]
API_KINDS = ["Node", "Namespace", "Pod", "Service", "EndpointSlice", "ConfigMap", "DaemonSet", "StatefulSet",
             "Ingress", "IngressClass", "ServiceCIDR", "Gateway", "HTTPRoute", "Mapping", "Listener", "Host",
             "CiliumNode"]
API_KEYS = ["metadata", "name", "namespace", "uid", "labels", "annotations", "spec", "status", "ports", "port",
            "targetPort", "nodePort", "protocol", "clusterIP", "clusterIPs", "type", "selector", "podIP",
            "podIPs", "ip", "hostIP", "nodeName", "addresses", "address", "endpoints", "conditions", "ready",
            "podCIDR", "podCIDRs", "rules", "http", "paths", "path", "pathType", "backend", "service", "host",
            "hostname", "prefix", "data", "Corefile", "containers", "hostNetwork", "dnsPolicy", "dnsConfig",
            "ingressClassName", "loadBalancer", "ingress", "externalIPs", "cidrs", "targetRef", "x"]
SNAPSHOT_FILES = ["meta.json", "cloud.json", "api/services.json", "api/pods.json", "api/nodes.json",
                  "api/endpointslices.json", "api/configmaps.json", "nodes/n1/probe.json", "nodes/n1/ip-addr.json",
                  "nodes/n1/ip-route.json", "nodes/n1/iptables-save.txt", "nodes/n1/nft-ruleset.json",
                  "nodes/n1/ipvsadm.txt", "nodes/n1/resolv.conf", "nodes/n1/cilium-services.json",
                  "nodes/n1/conntrack.json"]
HOSTILE = ["[bold]x[/]", "[", "\x1b[31m", "\u202e", "\u200b", "\r", "\x00", "\ud800", "💥", "-1", "1e309",
           "10.0.0.1", "::", "0.0.0.0/0", "999.1.1.1", "/", "", " "]
# Digits str.isdigit() accepts and int() refuses (²), or int() reads although no tool prints them
# (Arabic-Indic, fullwidth, underscores), and the line breaks str.splitlines() cuts at besides \n.
UNICODE_DIGITS = ["²", "٣", "１", "٠.٥", "1_0", "9" * 30, "[²:3]", "[٣:1]", ":²", "10.0.0.1:²", "[::1]:٣"]
LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r"]
HOSTILE += UNICODE_DIGITS + LINE_BREAKS


# -- targets ----------------------------------------------------------------------------------


def _lab_objects() -> list[dict]:
    items: list[dict] = []
    for path in sorted((LAB / "api").glob("*.json")):
        doc = json.loads(path.read_text())
        items += [o for o in doc.get("items", []) if isinstance(o, dict)]
    return items


_LAB_OBJECTS: list[dict] | None = None
_PANES = ("internet", "host", "pods", "services", "dns", "ingress")


def run_views(objs: list[Any]) -> None:
    """Broken API objects (alone and mixed into the lab's) through every pane's view builder."""
    global _LAB_OBJECTS
    from k8snet_tui import views

    if _LAB_OBJECTS is None:
        _LAB_OBJECTS = _lab_objects()
    for items in (objs, _LAB_OBJECTS[:60] + objs):
        cluster = ClusterState.from_objects(items)
        observed = Observed(cluster=cluster, nodes={"n1": NodeState(node="n1")}, local_node="n1", mode="live")
        for pane in _PANES:
            views.build(pane, observed)


def run_snapshot(files: dict[str, bytes]) -> None:
    root = Path(tempfile.mkdtemp(prefix="k8snet-fuzz-"))
    try:
        (root / "nodes" / "n1").mkdir(parents=True)
        (root / "api").mkdir()
        for rel, data in files.items():
            (root / rel).write_bytes(data)
        snap = load_snapshot(root)
        for problem in snap.problems:  # every problem names its file
            if not getattr(problem, "path", None):
                raise AssertionError(f"a snapshot problem names no file: {problem}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Target:
    name: str
    run: Callable[[Any], Any]
    hypothesis: Callable[[], Any]  # -> a hypothesis strategy
    plain: Callable[[random.Random], Any]  # one example from a seeded generator
    doc: str = ""


# plain generators


def _soup(rng: random.Random, words: list[str], n: int = 40) -> str:
    out = []
    for _ in range(rng.randint(0, n)):
        r = rng.random()
        if r < 0.7:
            out.append(rng.choice(words))
        elif r < 0.85:
            out.append(rng.choice(HOSTILE))
        else:
            out.append("".join(rng.choice(string.printable) for _ in range(rng.randint(0, 8))))
        out.append(rng.choice([" ", " ", "\n", "\t", ""]))
    return "".join(out)


def _iptables(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 30)):
        line = rng.choice(IPTABLES_LINES)
        if rng.random() < 0.5:
            words = line.split(" ")
            for _ in range(rng.randint(1, 3)):
                op = rng.random()
                i = rng.randrange(len(words) + 1)
                if op < 0.4 and words:
                    words.pop(min(i, len(words) - 1))
                elif op < 0.8:
                    words.insert(i, rng.choice(HOSTILE + ["-j", "-m", "--comment", "\"", "!", "-A", "[0:0]"]))
                else:
                    words = words[: i]
            line = " ".join(words)
        lines.append(line)
    return "\n".join(lines)


def _json_value(rng: random.Random, keys: list[str], depth: int = 0) -> Any:
    r = rng.random()
    if depth > 4 or r < 0.35:
        return rng.choice([None, True, False, 0, -1, 2**70, 1.5, float("1e308"), "", "x",
                           rng.choice(HOSTILE), rng.choice(keys), "10.96.0.1", 80, rng.choice(UNICODE_DIGITS)])
    if r < 0.65:
        return [_json_value(rng, keys, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(keys): _json_value(rng, keys, depth + 1) for _ in range(rng.randint(0, 5))}


def _api_object(rng: random.Random) -> Any:
    if rng.random() < 0.1:
        return _json_value(rng, API_KEYS)
    obj = _json_value(rng, API_KEYS, 1)
    obj = obj if isinstance(obj, dict) else {}
    obj["kind"] = rng.choice(API_KINDS)
    if rng.random() < 0.8:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        meta.setdefault("name", rng.choice(["website", "kube-dns", "coredns", "", "x", 3]))
        meta.setdefault("namespace", rng.choice(["default", "kube-system", "", None]))
        obj["metadata"] = meta
    return obj


def _files(rng: random.Random) -> dict[str, bytes]:
    out = {}
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(SNAPSHOT_FILES)
        r = rng.random()
        if r < 0.3:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        elif r < 0.7:
            data = json.dumps(_json_value(rng, API_KEYS + JSON_KEYS + ["items", "kind", "format"])).encode()
        else:
            data = json.dumps({"kind": rng.choice(["List", "ServiceList", "Nope", 3]),
                               "items": [_api_object(rng) for _ in range(rng.randint(0, 4))]}).encode()
        out[name] = data
    return out


# hypothesis strategies (built lazily: importing hypothesis costs a little)


def _st():
    from hypothesis import strategies as st
    return st


def _h_json(keys: list[str]):
    st = _st()
    leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
              | st.text(max_size=12) | st.sampled_from(HOSTILE + keys)
              | st.text(alphabet="0123456789" + "".join(UNICODE_DIGITS), min_size=1, max_size=6))
    return st.recursive(leaves, lambda c: st.lists(c, max_size=4) | st.dictionaries(
        st.sampled_from(keys) | st.text(max_size=4), c, max_size=5), max_leaves=30)


def _h_soup(words: list[str]):
    st = _st()
    digits = st.text(alphabet="0123456789²٣١１:._", min_size=1, max_size=6)
    return st.lists(st.sampled_from(words + HOSTILE) | st.text(max_size=8) | digits, max_size=40).map(
        lambda parts: " ".join(parts)) | st.text(max_size=400)


def _h_api_objects():
    st = _st()
    obj = st.fixed_dictionaries({"kind": st.sampled_from(API_KINDS)},
                                optional={"metadata": _h_json(API_KEYS), "spec": _h_json(API_KEYS),
                                          "status": _h_json(API_KEYS)})
    return st.lists(obj | _h_json(API_KEYS), max_size=6)


def _h_files():
    st = _st()
    contents = st.binary(max_size=200) | _h_json(API_KEYS + ["items", "kind", "format"]).map(
        lambda v: json.dumps(v).encode())
    return st.dictionaries(st.sampled_from(SNAPSHOT_FILES), contents, min_size=1, max_size=6)


def _h_iptables():
    st = _st()
    # real lines with one number or separator swapped for a hostile one reach the numeric checks
    swapped = st.tuples(st.sampled_from(IPTABLES_LINES), st.sampled_from(["0", "1", "8", " ", "\""]),
                        st.sampled_from(UNICODE_DIGITS + LINE_BREAKS)).map(lambda t: t[0].replace(t[1], t[2], 1))
    return st.lists(st.sampled_from(IPTABLES_LINES) | swapped | st.text(max_size=60), max_size=30).map("\n".join)


TARGETS = {t.name: t for t in [
    Target("iptables", parse_iptables_save, _h_iptables, _iptables, "iptables-save text"),
    Target("nft", lambda d: (parse_nft_json(d), parse_nft_json({"nftables": d if isinstance(d, list) else [d]})),
           lambda: _h_json(JSON_KEYS), lambda r: _json_value(r, JSON_KEYS), "nft -j list ruleset"),
    Target("ipvsadm", parse_ipvsadm, lambda: _h_soup(IPVS_WORDS), lambda r: _soup(r, IPVS_WORDS), "ipvsadm -Ln"),
    Target("cilium", lambda d: (parse_cilium_services(d), parse_cilium_services([d])),
           lambda: _h_json(JSON_KEYS), lambda r: _json_value(r, JSON_KEYS), "cilium service list -o json"),
    Target("resolv", parse_resolv_conf, lambda: _h_soup(RESOLV_WORDS), lambda r: _soup(r, RESOLV_WORDS),
           "/etc/resolv.conf"),
    Target("corefile", parse_corefile, lambda: _h_soup(COREFILE_WORDS), lambda r: _soup(r, COREFILE_WORDS, 80),
           "CoreDNS Corefile"),
    Target("snapshot", run_snapshot, _h_files, _files, "snapshot directories with random files"),
    Target("views", run_views, _h_api_objects, lambda r: [_api_object(r) for _ in range(r.randint(0, 6))],
           "API objects with missing/wrong fields through every pane's view builder"),
]}


# -- running ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    examples: int = 0
    seconds: float = 0.0
    crashes: int = 0
    first: list[str] = field(default_factory=list)


def _record(result: Result, value: Any, exc: BaseException, keep: int = 3) -> None:
    result.crashes += 1
    if len(result.first) < keep:
        shown = repr(value)
        shown = shown if len(shown) < 400 else shown[:400] + "..."
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3))
        result.first.append(f"{type(exc).__name__}: {exc}\n  input: {shown}\n{tb}")


def fuzz_plain(target: Target, examples: int, seed: int) -> Result:
    result = Result(target.name)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    for _ in range(examples):
        value = target.plain(rng)
        try:
            target.run(value)
        except Exception as exc:  # a crash is what we are looking for
            _record(result, value, exc)
        result.examples += 1
    result.seconds = time.perf_counter() - t0
    return result


def fuzz_hypothesis(target: Target, examples: int, seed: int) -> Result:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    result = Result(target.name)

    # Crashes are recorded, not raised: one bad input must not end a million-example run.
    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(target.hypothesis())
    def run(value: Any) -> None:
        result.examples += 1
        try:
            target.run(value)
        except Exception as exc:
            _record(result, value, exc)

    t0 = time.perf_counter()
    run()
    result.seconds = time.perf_counter() - t0
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=1000, help="examples per target (manual mode: 1000000)")
    p.add_argument("--target", action="append", choices=sorted(TARGETS), help="only this target (repeatable)")
    p.add_argument("--engine", choices=("hypothesis", "random"), default="hypothesis")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true", help="list the targets")
    args = p.parse_args(argv)
    if args.list:
        for t in TARGETS.values():
            print(f"{t.name:10} {t.doc}")
        return 0
    failed = False
    for name in args.target or list(TARGETS):
        target = TARGETS[name]
        fuzz = fuzz_hypothesis if args.engine == "hypothesis" else fuzz_plain
        res = fuzz(target, args.examples, args.seed)
        rate = res.examples / res.seconds if res.seconds else 0.0
        print(f"{name:10} {res.examples:>9} examples in {res.seconds:7.1f} s ({rate:,.0f}/s): "
              f"{res.crashes} crash(es)", flush=True)
        for text in res.first:
            print("  " + text.replace("\n", "\n  "))
        failed |= bool(res.crashes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
