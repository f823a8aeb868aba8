"""The test cluster itself: the lab's end state in the API, the users and audit log other
tests rely on, the harness's helpers, and its safety rules (no way out of the namespaces)."""

import ipaddress
import json
import time

import pytest

from tests.cluster.harness import ClusterError, LabCluster, net
from tests.cluster.harness.api import Api, ApiError

pytestmark = pytest.mark.cluster


def get(cluster, path, **query):
    return cluster.api.get(path, **query)


def test_nodes_are_ready_with_their_own_pod_cidrs(lab_cluster):
    nodes = {n["metadata"]["name"]: n for n in get(lab_cluster, "/api/v1/nodes")["items"]}
    assert set(nodes) == {"node-1", "node-2"}
    cidrs = []
    for name, node in nodes.items():
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", name
        cidr = ipaddress.ip_network(node["spec"]["podCIDR"])
        assert cidr.prefixlen == 24 and cidr.subnet_of(ipaddress.ip_network("10.0.0.0/8"))
        cidrs.append(cidr)
        internal = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal == [lab_cluster.nodes[name].host_ip]
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert cidrs[0] != cidrs[1]
    assert "node-role.kubernetes.io/control-plane" in nodes["node-1"]["metadata"]["labels"]
    assert not nodes["node-1"]["spec"].get("taints")


def test_every_pod_runs_in_its_own_namespace_on_its_node(lab_cluster):
    for p in get(lab_cluster, "/api/v1/pods")["items"]:
        md = p["metadata"]
        if p["spec"].get("hostNetwork"):  # the DaemonSets' and static pods: the node's namespace
            continue
        ns = lab_cluster.pod_netns(md["namespace"], md["name"])
        addr = lab_cluster.run_in_pod(md["namespace"], md["name"], ["ip", "-4", "-o", "addr",
                                                                    "show", "eth0"]).stdout
        assert f" {p['status']['podIP']}/32 " in addr, (ns, addr)
        node_ns = lab_cluster.nodes[p["spec"]["nodeName"]].netns
        route = net.run(["ip", "-n", node_ns, "route", "get", p["status"]["podIP"]]).stdout
        assert " dev lxc" in route, route  # the pod's lxc veth, as Cilium names it


def test_pods_get_a_kubelet_style_resolv_conf(lab_cluster):
    text = lab_cluster.run_in_pod("default", "client", ["cat", "/etc/resolv.conf"]).stdout
    assert text.splitlines() == ["nameserver 10.96.0.10",
                                 "search default.svc.cluster.local svc.cluster.local cluster.local",
                                 "options ndots:5"]


def test_kube_dns_service_like_kubeadm(lab_cluster):
    svc = get(lab_cluster, "/api/v1/namespaces/kube-system/services/kube-dns")
    assert svc["spec"]["clusterIP"] == "10.96.0.10"
    ports = {(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]}
    assert ports == {("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")}
    assert len(lab_cluster.ready_endpoints("kube-system", "kube-dns")) == 2
    corefile = get(lab_cluster, "/api/v1/namespaces/kube-system/configmaps/coredns")["data"]["Corefile"]
    assert "pods insecure" in corefile and "forward . /etc/resolv.conf" in corefile


def test_coredns_forwards_nothing(lab_cluster):
    """The running CoreDNS has no `forward`: a name outside the cluster zones gets no answer
    from anywhere (SERVFAIL from CoreDNS itself)."""
    for conf in (lab_cluster.run_dir / "pods").glob("Corefile.*"):
        text = conf.read_text()
        assert "forward" not in text and "kubeconfig " in text
    answer = lab_cluster.dns("node-1", "example.com")
    assert answer.get("answers", []) == []
    assert answer.get("rcode") in ("SERVFAIL", "REFUSED", "NXDOMAIN")


def test_lab_objects_are_in_place(lab_cluster):
    kubeadm = get(lab_cluster, "/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
    assert "podSubnet: 10.0.0.0/8" in kubeadm["data"]["ClusterConfiguration"]
    assert "serviceSubnet: 10.96.0.0/12" in kubeadm["data"]["ClusterConfiguration"]
    cilium = get(lab_cluster, "/api/v1/namespaces/kube-system/configmaps/cilium-config")["data"]
    assert (cilium["ipam"], cilium["cluster-pool-ipv4-cidr"], cilium["tunnel"]) == (
        "cluster-pool", "10.0.0.0/8", "vxlan")
    for node in ("node-1", "node-2"):
        cn = get(lab_cluster, f"/apis/cilium.io/v2/ciliumnodes/{node}")
        pod_cidr = get(lab_cluster, f"/api/v1/nodes/{node}")["spec"]["podCIDR"]
        assert cn["spec"]["ipam"]["podCIDRs"] == [pod_cidr]
    website = get(lab_cluster, "/api/v1/namespaces/default/services/website")["spec"]
    assert website["type"] == "NodePort" and website["ports"][0]["nodePort"] == 31100
    assert get(lab_cluster, "/api/v1/namespaces/default/services/headlesswebsite")["spec"][
        "clusterIP"] == "None"
    lb = get(lab_cluster, "/api/v1/namespaces/emissary/services/emissary-ingress")["spec"]
    assert lb["type"] == "LoadBalancer"
    assert {p["port"]: p["nodePort"] for p in lb["ports"]} == {80: 31211, 443: 31361}
    mapping = get(lab_cluster, "/apis/getambassador.io/v3alpha1/namespaces/default/mappings/website")
    assert mapping["spec"]["prefix"] == "/web/"
    assert get(lab_cluster, "/apis/getambassador.io/v2/namespaces/default/mappings/website")[
        "spec"]["service"] == "website"
    listener = get(lab_cluster, "/apis/getambassador.io/v3alpha1/namespaces/emissary/listeners/"
                                "emissary-ingress-listener")
    assert listener["spec"]["hostBinding"]["namespace"]["from"] == "ALL"
    ing = get(lab_cluster, "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web-ingress")
    assert ing["spec"]["ingressClassName"] == "ambassador"
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/engine"
    cls = get(lab_cluster, "/apis/networking.k8s.io/v1/ingressclasses/ambassador")
    assert cls["spec"]["controller"] == "getambassador.io/ingress-controller"
    kp = get(lab_cluster, "/api/v1/namespaces/kube-system/configmaps/kube-proxy")
    assert f"mode: {'nftables' if lab_cluster.kube_proxy_mode == 'nftables' else 'iptables'}" \
        in kp["data"]["config.conf"]


def test_users_have_the_documented_permissions(lab_cluster):
    def status(user, path):
        api = Api(lab_cluster.server, lab_cluster.users[user].token, str(lab_cluster.ca_file))
        try:
            api.get(path)
            return 200
        except ApiError as e:
            return e.status
    assert status("admin", "/api/v1/namespaces/kube-system/secrets") == 200
    assert status("restricted", "/api/v1/namespaces/default/pods") == 200
    assert status("restricted", "/api/v1/namespaces/kube-system/pods") == 403
    assert status("restricted", "/api/v1/nodes") == 403
    assert status("viewer", "/api/v1/namespaces/kube-system/pods") == 200
    assert status("viewer", "/api/v1/namespaces/kube-system/secrets") == 403
    assert status("nobody", "/api/v1/namespaces/default/pods") == 403
    bad = Api(lab_cluster.server, "not-a-token", str(lab_cluster.ca_file))
    with pytest.raises(ApiError) as e:
        bad.get("/api/v1/namespaces")
    assert e.value.status == 401


def test_audit_log_has_every_request_at_metadata_level(lab_cluster):
    marker = f"audit-probe-{time.monotonic_ns()}"
    api = Api(lab_cluster.server, lab_cluster.users["restricted"].token, str(lab_cluster.ca_file))
    with pytest.raises(ApiError):
        api.get(f"/api/v1/namespaces/kube-system/configmaps/{marker}")
    deadline = time.monotonic() + 10
    found = []
    while not found and time.monotonic() < deadline:
        lines = lab_cluster.audit_log.read_text().splitlines()
        found = [json.loads(line) for line in lines if marker in line]
        time.sleep(0.2)
    assert found, "no audit event for the request"
    ev = found[-1]
    assert ev["level"] == "Metadata"
    assert ev["user"]["username"] == "restricted"
    assert ev["verb"] == "get" and ev["responseStatus"]["code"] == 403
    assert "requestObject" not in ev and "responseObject" not in ev


def test_node_namespaces_have_no_way_out(lab_cluster):
    """Route lookups only (no traffic): nothing outside the cluster's ranges is routable
    from a node namespace, and the machine's own network is not reachable either."""
    for node in lab_cluster.nodes.values():
        assert net.run(["ip", "-n", node.netns, "route", "show", "default"]).stdout.strip() == ""
        for dest in ("192.0.2.1", "8.8.8.8", "169.254.169.254"):
            proc = net.run(["ip", "-n", node.netns, "route", "get", dest], check=False)
            assert proc.returncode != 0, f"{node.name} has a route to {dest}: {proc.stdout}"
            assert "unreachable" in proc.stderr.lower()
        # the cluster's own ranges stay routable
        assert net.run(["ip", "-n", node.netns, "route", "get", "10.96.0.10"]).returncode == 0


def test_the_machine_reaches_the_node_network_through_one_link(lab_cluster):
    routes = net.run(["ip", "-j", "-4", "route", "show"]).stdout
    into_cluster = [r for r in json.loads(routes)
                    if r.get("dst", "default") != "default"
                    and any(ipaddress.ip_network(r["dst"], strict=False).overlaps(rng)
                            for rng in net.HARNESS_RANGES)]
    assert [r["dev"] for r in into_cluster] == [lab_cluster.root_link]
    assert [r["dst"] for r in into_cluster] == ["172.31.16.0/20"]


def test_a_second_cluster_refuses_to_start_over_the_first(lab_cluster):
    second = LabCluster(lab_cluster.bin)
    with pytest.raises(ClusterError, match=r"refusing to start.*overlaps"):
        second.start()
    assert second.prefix != lab_cluster.prefix
    assert not [n for n in net.run(["ip", "netns", "list"]).stdout.split()
                if n.startswith(second.prefix)]


def test_overlap_check_sees_the_machines_own_address():
    addrs = [a for a in net.root_addresses() if not a.ip.is_loopback and a.version == 4]
    if not addrs:
        pytest.skip("the root namespace has no non-loopback IPv4 address")
    a = addrs[0]
    problems = net.overlap_problems(ranges=(a.network,))
    assert any(str(a) in p for p in problems)
    unused = ipaddress.ip_network("198.51.100.0/24")  # TEST-NET-2: not on this machine
    if any(x.ip in unused for x in net.root_addresses()):
        pytest.skip("TEST-NET-2 is configured here")
    assert net.overlap_problems(ranges=(unused,)) == []


def test_apply_and_delete_round_trip(lab_cluster):
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "harness-roundtrip", "namespace": "default"},
          "data": {"k": "v1"}}
    lab_cluster.apply(cm)
    lab_cluster.apply({**cm, "data": {"k": "v2"}})
    assert get(lab_cluster, "/api/v1/namespaces/default/configmaps/harness-roundtrip")["data"] == {
        "k": "v2"}
    lab_cluster.delete(cm)
    with pytest.raises(ApiError) as e:
        get(lab_cluster, "/api/v1/namespaces/default/configmaps/harness-roundtrip")
    assert e.value.status == 404


def test_deleting_a_pod_tears_its_namespace_down(lab_cluster):
    before = {p["metadata"]["name"]: p for p in get(
        lab_cluster, "/api/v1/namespaces/default/pods", labelSelector="app=website")["items"]}
    victim = min(before)
    victim_ns = lab_cluster.pod_netns("default", victim)
    assert net.netns_exists(victim_ns)
    lab_cluster.delete("Pod", victim, "default")
    deadline = time.monotonic() + 30
    while net.netns_exists(victim_ns) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not net.netns_exists(victim_ns)
    # the Deployment replaces it and the replacement gets networked and served
    lab_cluster.wait_ready()
    after = {p["metadata"]["name"] for p in get(
        lab_cluster, "/api/v1/namespaces/default/pods", labelSelector="app=website")["items"]}
    assert victim not in after and len(after) == 3


def test_apiserver_stop_and_start(lab_cluster):
    lab_cluster.stop_apiserver()
    try:
        assert not lab_cluster.api.healthy()
    finally:
        t = time.monotonic()
        lab_cluster.start_apiserver()
        print(f"kube-apiserver restarted in {time.monotonic() - t:.1f} s")
    assert lab_cluster.api.healthy()
    assert get(lab_cluster, "/api/v1/namespaces/default/services/website")["spec"]["ports"]


def test_etcd_compaction_makes_old_resource_versions_gone(lab_cluster):
    old_rv = get(lab_cluster, "/api/v1/namespaces/default/configmaps")["metadata"]["resourceVersion"]
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "harness-compaction", "namespace": "default"}, "data": {"a": "1"}}
    lab_cluster.apply(cm)
    lab_cluster.apply({**cm, "data": {"a": "2"}})
    revision = lab_cluster.compact_etcd()
    assert revision > int(old_rv)
    with pytest.raises(ApiError) as e:
        get(lab_cluster, "/api/v1/namespaces/default/configmaps", resourceVersion=old_rv,
            resourceVersionMatch="Exact")
    assert e.value.status == 410
    events = list(lab_cluster.api.watch("/api/v1/namespaces/default/configmaps", old_rv,
                                        timeout_seconds=5))
    assert events and events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
    lab_cluster.delete(cm)
