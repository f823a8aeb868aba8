"""The indexes and pre-parsed lookups that make the domain fast at cluster scale give exactly the
answers of the plain scans they replace (never timings)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from k8snet_tui.domain import service_index as service_index_mod
from k8snet_tui.domain import services as services_mod
from k8snet_tui.domain.datapath import endpoints as endpoints_mod
from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.endpoints import (
    pod_index,
    service_ports,
    slices_for,
)
from k8snet_tui.domain.datapath.nft_json import NftRuleset
from k8snet_tui.domain.layers import cidr
from k8snet_tui.domain.model import (
    ClusterState,
    NodeState,
    dig,
    dig_list,
    dig_str,
    key_of,
    name_of,
    namespace_of,
)
from k8snet_tui.domain.service_index import SERVICE_NAME_LABEL
from k8snet_tui.domain.services import build_services_view, find_service, trace_service
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate

_PREFIXES = [
    "10.244.1.0/24", "10.244.0.0/16", "10.244.1.0/24", "not a cidr", "10.0.0.5/24", "fd00:10:244::/56",
    "fd00::/8", "default", "192.168.0.0/16", "10.244.1.128/25", "fe80::/10%eth0", 7, None, "2001:db8::1",
]
_ITEMS = [
    "10.244.1.7", "10.244.1.200", "10.244.9.1", "10.1.2.3", "10.0.0.77", " 10.0.0.1 ", "192.168.4.4",
    "fd00:10:244::5", "fd00:1::1", "2001:db8::1", "2001:db8::2", "10.244.1.0/24", "10.244.0.0/15",
    "10.244.1.128/26", "default", "fe80::1%eth0", "", "garbage", "300.1.1.1", None, 12, "::ffff:10.244.1.7",
]


def test_prefix_matcher_agrees_with_first_containing() -> None:
    rng = random.Random(8)
    for _ in range(200):
        prefixes = rng.sample(_PREFIXES, rng.randint(0, len(_PREFIXES)))
        matcher = cidr.PrefixMatcher(prefixes)
        for item in _ITEMS:
            assert matcher.first(item) == cidr.first_containing(item, prefixes), (item, prefixes)


def test_prefix_matcher_random_v4() -> None:
    rng = random.Random(80)
    prefixes = [f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.0/{rng.choice((16, 20, 24, 26))}" for _ in range(60)]
    matcher = cidr.PrefixMatcher(prefixes)
    for _ in range(2000):
        item = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        assert matcher.first(item) == cidr.first_containing(item, prefixes)


# ---- per-ClusterState indexes: the same answers as the scans they replace ----------------------




FIX = Path(__file__).parent / "fixtures" / "datapath"


def _scan_get(self, kind, namespace, name):
    for obj in self.of(kind):
        if name_of(obj) == name and namespace_of(obj) == namespace:
            return obj
    return None


def _scan_in_namespace(self, kind, namespace=None):
    ns = self.namespace if namespace is None else namespace
    items = self.of(kind)
    return items if not ns else tuple(o for o in items if namespace_of(o) == ns)


def _scan_slices_for(cluster, namespace, name):
    return tuple(s for s in cluster.of("EndpointSlice")
                 if namespace_of(s) == namespace and dig_str(s, "metadata", "labels", SERVICE_NAME_LABEL) == name)


def _scan_service_index(cluster):
    """The Service index built again for every question, from the slices whose label names each."""
    index = service_index_mod._build(cluster)
    keys = {(namespace_of(s), name) for s in cluster.of("EndpointSlice")
            if (name := dig_str(s, "metadata", "labels", SERVICE_NAME_LABEL))}
    assert {k: tuple(x.obj for x in v) for k, v in index.slices_by_service.items()} == {
        k: _scan_slices_for(cluster, *k) for k in keys}
    return index


def _scan_pod_index(cluster, namespace=None):
    by_key, by_ip = {}, {}
    for pod in cluster.of("Pod"):
        if namespace is not None and namespace_of(pod) != namespace:
            continue
        by_key[f"{namespace_of(pod)}/{name_of(pod)}"] = pod
        if dig(pod, "spec", "hostNetwork") is True:
            continue
        for ip in dig_list(pod, "status", "podIPs"):
            if dig_str(ip, "ip"):
                by_ip.setdefault(dig_str(ip, "ip"), pod)
        if dig_str(pod, "status", "podIP"):
            by_ip.setdefault(dig_str(pod, "status", "podIP"), pod)
    return by_key, by_ip


def _scan_collisions(cluster, svc, port):
    if not port.node_port:
        return []
    out = []
    for other in cluster.of("Service"):
        if key_of(other) == key_of(svc):
            continue
        out += [key_of(other) for p in service_ports(other)
                if p.node_port == port.node_port and p.protocol == port.protocol]
    return out


def _scan_elements(self, family, table, name, keys):
    m = self.set(family, table, name)
    wanted = set(keys)
    return tuple(e for e in (m.elements if m else ()) if e[0] in wanted)


def _scans(monkeypatch):
    """Every index swapped for the linear scan it replaced."""
    monkeypatch.setattr(ClusterState, "get", _scan_get)
    monkeypatch.setattr(ClusterState, "in_namespace", _scan_in_namespace)
    monkeypatch.setattr(services_mod, "service_index", _scan_service_index)
    monkeypatch.setattr(endpoints_mod, "service_index", _scan_service_index)
    monkeypatch.setattr(services_mod, "shared_pod_index", _scan_pod_index)
    monkeypatch.setattr(services_mod, "_nodeport_collisions", _scan_collisions)
    monkeypatch.setattr(NftRuleset, "elements_with_keys", _scan_elements)


def _tricky_cluster() -> ClusterState:
    """Duplicates, collisions, two slices per service, host-network pods, same names across namespaces."""
    def svc(ns, name, ip, node_port=None, external=(), extra_ports=()):
        ports = [{"name": "http", "port": 80, "protocol": "TCP", **({"nodePort": node_port} if node_port else {})}]
        return {"kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"type": "NodePort" if node_port else "ClusterIP", "clusterIP": ip,
                         "externalIPs": list(external), "ports": ports + list(extra_ports)}}

    def sl(ns, svc_name, suffix, ips, ready=True):
        return {"kind": "EndpointSlice", "metadata": {"name": f"{svc_name}-{suffix}", "namespace": ns,
                                                      "labels": {SERVICE_NAME_LABEL: svc_name}},
                "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                "endpoints": [{"addresses": [ip], "conditions": {"ready": ready},
                               "targetRef": {"kind": "Pod", "namespace": ns, "name": f"p-{ip}"}} for ip in ips]}

    def pod(ns, name, ip, node="n1", host=False):
        return {"kind": "Pod", "metadata": {"name": name, "namespace": ns},
                "spec": {"nodeName": node, "hostNetwork": host},
                "status": {"podIP": ip, "podIPs": [{"ip": ip}],
                           "conditions": [{"type": "Ready", "status": "True"}]}}

    objs = [
        svc("default", "website", "10.111.148.30", 31100, external=("192.0.2.9",)),
        svc("default", "website", "10.111.148.31"),  # a duplicate key: the first one wins everywhere
        svc("other", "website", "10.111.148.40", 31100),  # NodePort collision, same name elsewhere
        svc("other", "api", "10.111.148.41", 31101, extra_ports=[
            {"name": "alt", "port": 81, "protocol": "TCP", "nodePort": 31100}]),
        sl("default", "website", "a", ["10.0.0.1", "10.0.0.2"]),
        sl("default", "website", "b", ["10.0.0.3"], ready=False),
        sl("other", "website", "a", ["10.0.1.1"]),
        {"kind": "EndpointSlice", "metadata": {"name": "orphan", "namespace": "default"}},
        pod("default", "p-10.0.0.1", "10.0.0.1"), pod("default", "p-10.0.0.2", "10.0.0.2"),
        pod("default", "p-10.0.0.3", "10.0.0.3"), pod("other", "p-10.0.1.1", "10.0.1.1", host=True),
        pod("default", "p-10.0.0.1", "10.9.9.9"),  # duplicate key: the last one wins, as before
    ]
    return ClusterState.from_objects(objs, namespace="other")


def _all_traces(cluster, node, dp):
    out = []
    for s in cluster.of("Service") + ({"metadata": {"name": "nope", "namespace": "default"}},):
        out.append(trace_service(cluster, node, namespace_of(s), name_of(s), datapath=dp))  # every field, the TUI-only ones too
    return out


def _lookups(cluster):
    keys = [(namespace_of(o), name_of(o)) for o in cluster.of("Service")] + [("default", "nope"), ("", "")]
    return ([cluster.get("Service", ns, n) for ns, n in keys], [slices_for(cluster, ns, n) for ns, n in keys],
            cluster.in_namespace("Service"), cluster.in_namespace("Pod", "default"),
            [find_service(cluster, ref).to_json() for ref in ("website", "default/website", "api", "x/website")],
            build_services_view(cluster).to_json())


@pytest.fixture(scope="module")
def small_scale(tmp_path_factory):
    return generate("S", tmp_path_factory.mktemp("bench-data"), log=lambda *_: None)


@pytest.mark.parametrize("snapdir", ["snapshot", "snapshot-nft"])
def test_generated_cluster_traces_match_the_scans(small_scale, snapdir, monkeypatch):
    snap = load_snapshot(small_scale / snapdir)
    dp = parse_node_datapath(snap.local, snap.cluster)
    indexed = _all_traces(snap.cluster, snap.local, dp)
    # The second pass reuses the indexes built by the first.
    assert _all_traces(snap.cluster, snap.local, dp) == indexed
    fresh = dataclasses.replace(snap.cluster)
    _scans(monkeypatch)
    dp_scan = parse_node_datapath(snap.local, fresh)
    assert _all_traces(fresh, snap.local, dp_scan) == indexed
    assert "_memo" not in fresh.__dict__ and "_element_index" not in (dp_scan.nft.__dict__ if dp_scan.nft else {})


def test_tricky_cluster_lookups_and_traces_match_the_scans(monkeypatch):
    node = NodeState(node="n1", iptables={"legacy": (FIX / "lab-1.24-iptables-save.txt").read_text()})
    cluster = _tricky_cluster()
    dp = parse_node_datapath(node, cluster)
    indexed = (_all_traces(cluster, node, dp), _lookups(cluster), pod_index(cluster), pod_index(cluster, "default"))
    fresh = ClusterState(objects=cluster.objects, namespace="other")
    _scans(monkeypatch)
    monkeypatch.setattr(endpoints_mod, "shared_pod_index", _scan_pod_index)
    assert (_all_traces(fresh, node, dp), _lookups(fresh), pod_index(fresh), pod_index(fresh, "default")) == indexed
    collisions = [f for t in indexed[0] for p in t.ports for f in p.findings if f.code == "nodeport-collision"]
    assert len(collisions) >= 3  # default/website, other/website and other/api's second port share 31100


def test_a_new_cluster_state_gets_a_fresh_index():
    cluster = _tricky_cluster()
    assert [name_of(s) for s in slices_for(cluster, "default", "website")] == ["website-a", "website-b"]
    assert "_memo" in cluster.__dict__
    objs = [o for o in cluster.of("EndpointSlice") if name_of(o) != "website-a"]
    changed = ClusterState.from_objects(
        [o for kind, items in cluster.objects.items() if kind != "EndpointSlice" for o in items] + objs)
    assert "_memo" not in changed.__dict__
    assert [name_of(s) for s in slices_for(changed, "default", "website")] == ["website-b"]
    assert [name_of(s) for s in slices_for(cluster, "default", "website")] == ["website-a", "website-b"]
    assert "_memo" not in dataclasses.replace(cluster).__dict__


def test_pod_index_hands_out_its_own_dicts():
    cluster = _tricky_cluster()
    by_key, by_ip = pod_index(cluster)
    by_key.clear()
    by_ip["10.0.0.1"] = None
    again_key, again_ip = pod_index(cluster)
    assert "default/p-10.0.0.2" in again_key and again_ip["10.0.0.1"] is not None


def test_nft_elements_with_keys_in_map_order():
    from k8snet_tui.domain.datapath.nft_json import NftSet
    elems = ((("10.0.0.1", "tcp", 80), ("goto", "a"), ""), (("10.0.0.2", "tcp", 80), ("goto", "b"), ""),
             (("10.0.0.1", "tcp", 80), ("goto", "c"), "dup"), (("10.0.0.3", "tcp", 80), ("goto", "d"), ""))
    verdict_map = NftSet("ip", "kube-proxy", "m", True, (), "verdict", elems)
    rs = NftRuleset((("ip", "kube-proxy"),), {}, {("ip", "kube-proxy", "m"): verdict_map})
    keys = [("10.0.0.3", "tcp", 80), ("10.0.0.1", "tcp", 80), ["unhashable"]]
    assert rs.elements_with_keys("ip", "kube-proxy", "m", keys) == (elems[0], elems[2], elems[3])
    assert rs.elements_with_keys("ip", "kube-proxy", "missing", keys) == ()


def test_ip_family_fast_path_agrees_with_ipaddress():
    import ipaddress

    from k8snet_tui.domain.dns.names import ip_family

    def ref(ip):
        try:
            return ipaddress.ip_address(ip.strip()).version
        except ValueError:
            return 0

    rng = random.Random(53)
    cases = ["1.2.3.4", " 1.2.3.4 ", "01.2.3.4", "1.2.3", "256.1.1.1", "0.0.0.0", "1.2.3.\u0664", "1.2.3.\u00b2",
             "", "1..2.3", "+1.2.3.4", "1.2.3.4/32", "::1", "fe80::1%eth0", "::ffff:1.2.3.4", "1.2.3.0004"]
    cases += [".".join(rng.choice(["0", "00", "1", "255", "256", "012", "999", "a", "", " 1"])
                       for _ in range(rng.choice([3, 4, 4, 5]))) for _ in range(3000)]
    assert [ip_family(c) for c in cases] == [ref(c) for c in cases]


def test_dns_model_and_names_are_kept_per_state():
    from k8snet_tui.domain.dns import build_dns_model, build_dns_view, service_dns_names
    from k8snet_tui.domain.dns.catalog import _names
    from k8snet_tui.domain.dns.oracle import _build_dns_model

    cluster = _tricky_cluster()
    model = build_dns_model(cluster)
    assert build_dns_model(cluster) is model
    names = service_dns_names(cluster)
    assert service_dns_names(cluster, model) is names
    assert names == _names(cluster, _build_dns_model(cluster))  # the same rows as built from scratch
    own = _build_dns_model(cluster)  # an equal model that is not the state's own: computed, not cached
    assert service_dns_names(cluster, own) == names and service_dns_names(cluster, own) is not names
    assert build_dns_view(cluster).names is names
    fresh = dataclasses.replace(cluster)
    assert build_dns_model(fresh) is not model and service_dns_names(fresh) == names


def test_services_and_ingress_views_are_kept_per_state():
    from k8snet_tui.domain.routes import build_ingress_view, build_route_table
    from k8snet_tui.domain.routes.table import _build_route_table
    from k8snet_tui.domain.routes.view import _build_ingress_view
    from k8snet_tui.domain.services import _endpoint_counts, endpoint_counts

    cluster = _tricky_cluster()
    view = build_services_view(cluster)
    assert build_services_view(cluster).rows is view.rows
    assert [r.key for r in view.rows] == ["other/api", "other/website"]  # the state's namespace narrows
    counts = endpoint_counts(cluster)
    counts.clear()  # the caller's own copy
    assert endpoint_counts(cluster) == _endpoint_counts(cluster) != {}
    wide = ClusterState(objects=cluster.objects)
    assert [r.key for r in build_services_view(wide).rows] == ["default/website", "default/website", "other/api",
                                                               "other/website"]
    assert build_ingress_view(cluster) is build_ingress_view(cluster) == _build_ingress_view(cluster)
    assert build_route_table(cluster) is build_route_table(cluster) == _build_route_table(cluster)


# ---- iptables rules: text located in the dump, equal matches shared ----------------------------

# Lines end at "\n" only (as iptables-restore reads them): the other characters str.splitlines()
# cuts at are data inside a rule, here inside comments.
_AWKWARD_DUMP = (
    "# Generated by iptables-save\r\n*nat\r\n:PREROUTING ACCEPT [1:2]\n:KUBE-SVC-X - [0:0]\r\n"
    "  [5:300]   -A KUBE-SVC-X -m comment --comment \"a b\" -m statistic --mode random "
    "--probability 0.50000000000 -j KUBE-SEP-A  \t\n"
    "-A KUBE-SVC-X -m comment --comment \"a\u2028b\" -j KUBE-SEP-C\n"
    "\t-A KUBE-SVC-X -m comment --comment \"ns/svc:http\\\" x\" -j KUBE-SEP-B\n"
    "-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n"
    "[7:8] -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1:80\n"
    "-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1:80\n"
    "-A PREROUTING ! -s 10.0.0.0/8 -m comment --comment \"x\x0b\x0c\x1c\u2029\u0085\ry\" -j KUBE-MARK-MASQ\r\n\r\n"
    "-A NOCHAIN -j X\nCOMMIT\n   \n"
)


@pytest.mark.parametrize("dump", [_AWKWARD_DUMP, (FIX / "lab-1.24-iptables-save.txt").read_text()])
def test_rule_text_located_in_the_dump_is_the_text_as_dumped(dump):
    from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save

    located = parse_iptables_save(dump)
    copied = parse_iptables_save(dump.split("\n"))  # lines given one by one: each text is its own copy
    rules = [r for t in located.tables for c in located.chain_names(t) for r in located.rules(t, c)]
    rules_copied = [r for t in copied.tables for c in copied.chain_names(t) for r in copied.rules(t, c)]
    assert rules and rules == rules_copied
    assert [r.text for r in rules] == [r.text for r in rules_copied]
    for r in rules_copied:
        line = dump.split("\n")[r.line - 1].strip(" \t\r")
        assert r.text == (line.partition(" ")[2].lstrip() if line.startswith("[") else line)
    assert located.problems == copied.problems and located.rule_count == copied.rule_count
    assert {r: r.line for r in rules} == {r: r.line for r in rules_copied}  # hashable, equal by content


def test_equal_matches_are_shared_and_rules_still_read_the_same():
    from k8snet_tui.domain.datapath.iptables_save import Rule, parse_iptables_save

    dump = parse_iptables_save(_AWKWARD_DUMP)
    a, b = dump.rules("nat", "KUBE-SVC-X")[0], dump.rules("nat", "KUBE-SVC-X")[3]
    assert a.text.startswith('-A KUBE-SVC-X -m comment --comment "a b"') and a.packets == 5
    assert dump.rules("nat", "KUBE-SVC-X")[1].comment == "a\u2028b"  # one rule, not two broken lines
    assert [p.message for p in dump.problems] == ["rule for undeclared chain NOCHAIN"]
    assert a.probability == b.probability == "0.50000000000" and a.matches[-1] is b.matches[-1]
    d1, d2 = dump.rules("nat", "PREROUTING")[:2]
    assert d1.matches is d2.matches and d1.target_args is d2.target_args
    assert (d1.packets, d2.packets, d1.dnat_destination) == (7, None, "10.0.0.1:80")
    old_style = Rule("nat", "X", 1, 1, None, None, (), "ACCEPT", False, (), "-A X -j ACCEPT")
    assert old_style.text == "-A X -j ACCEPT" and old_style.to_json()["text"] == "-A X -j ACCEPT"
    assert "text='-A X -j ACCEPT'" in repr(old_style)


def test_podnet_rows_kept_per_state_equal_rows_built_per_node():
    from k8snet_tui.domain.layers import build_podnet_view
    from k8snet_tui.domain.layers.kernel import read_kernel
    from k8snet_tui.domain.layers.podcidrs import cluster_pod_cidrs, node_cidrs
    from k8snet_tui.domain.layers.podnet import _pod_row

    def pod(name, node_name, ip, host=False):
        return {"kind": "Pod", "metadata": {"namespace": "default", "name": name},
                "spec": {"nodeName": node_name, "hostNetwork": host},
                "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                           "conditions": [{"type": "Ready", "status": "True"}]}}

    cluster = ClusterState.from_objects([
        {"kind": "Node", "metadata": {"name": "n1"}, "spec": {"podCIDRs": ["10.0.0.0/24"]}},
        {"kind": "Node", "metadata": {"name": "n2"}, "spec": {"podCIDRs": ["10.0.1.0/24"]}},
        pod("web", "n1", "10.0.0.128"), pod("client", "n1", "10.0.0.231"), pod("far", "n2", "10.0.1.7"),
        pod("odd", "n1", "192.168.9.9"), pod("proxy", "n1", "172.31.24.84", host=True), "not a pod",
    ])
    links = ({"ifindex": 7, "ifname": "lxc1", "link_type": "ether", "link_netnsid": 0, "link_index": 3},)
    n1 = NodeState(node="n1", links=links, routes=({"dst": "10.0.0.128", "dev": "lxc1", "scope": "link"},),
                   neighbours=({"dst": "10.0.0.231", "dev": "cni0", "lladdr": "aa:bb:cc:dd:ee:ff"},))
    for node in (n1, NodeState(node="n2"), None):
        view = build_podnet_view(cluster, node)
        kernel = read_kernel(node)
        ranges = [c.cidr for c in node_cidrs(cluster) + cluster_pod_cidrs(cluster) if c.valid]
        expected = tuple(_pod_row(p, node, kernel, ranges) for p in cluster.of("Pod") if isinstance(p, dict))
        assert view.pods == expected
    local = {p.name: p for p in build_podnet_view(cluster, n1).pods if p.local}
    assert set(local) == {"web", "client", "odd", "proxy"} and local["web"].host_end.interface == "lxc1"
    assert local["client"].host_end.interface == "cni0" and local["proxy"].host_end is None
    assert build_podnet_view(cluster, n1).pods[2] is build_podnet_view(cluster, None).pods[2]  # shared row
