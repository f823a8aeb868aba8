"""The guided lab: the lab's questions, step by step, each answered from the session's data.

The lab (Kubernetes Networking 101) walks through pod networking, Services, DNS and the ways in
from outside. Each `Stop` here is one of its questions in our words, the pane (and the `:`
command) that shows the answer, the command the lab typed by hand, and `answer`, which is
computed from what was observed, never written down: on another cluster the same question
gets that cluster's answer. When the data cannot answer (a snapshot without cloud metadata, a
cluster without the lab's `website` Service) the answer says so and what would provide it.

Step 5 (load balancing) is answered from the balancing domain (pane 9), step 6 (service mesh)
from the mesh pane's facts (pane 0, lab_mesh.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from k8snet_tui.domain.balancing import Balance
from k8snet_tui.domain.consistency import Check
from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.endpoints import service_ports
from k8snet_tui.domain.dns import dns_lookup_view
from k8snet_tui.domain.layers import build_internet_view
from k8snet_tui.domain.model import ClusterState, Obj, Observed, dig_str, name_of, namespace_of
from k8snet_tui.domain.routes import build_ingress_view, route_url
from k8snet_tui.domain.routes.scope import public_node
from k8snet_tui.domain.routes.urls import UrlError
from k8snet_tui.domain.service_index import service_index
from k8snet_tui.domain.services import ServiceTrace, trace_service

from . import host as host_present
from . import lab_mesh
from . import pods as pods_present
from .commands import METADATA_URL, cmd, kubectl, pipe, service_chain
from .common import cloud_of, node_for
from .selection import Selection
from .serialize import JsonModel

LAB_SERVICE = "website"  # the lab's Service; another one is used (and named) when it is absent
LAB_CLIENT = "client"  # the lab's client pod
LAB_HEADLESS = "headlesswebsite"
LAB_PATHS = ("/web/", "/engine/")
LAB_LOAD_BALANCER = "emissary-ingress"  # the lab's LoadBalancer Service (step 5)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the data says. `known` is False when it cannot answer; `lines` then say why and
    what would provide the answer."""

    lines: tuple[str, ...]
    known: bool = True


@dataclass(frozen=True, slots=True)
class Stop:
    """One question of the lab. JSON: step, step_title, number, question, pane, verb, arg
    (the `:` command that opens the answer: `verb arg` in pane), lab_command, answer."""

    step: int
    step_title: str
    number: int
    question: str
    pane: str
    verb: str
    arg: str
    lab_command: str
    answer: Answer
    select: str = ""  # the row to put the cursor on in the pane's table ("ns/name"), "" for none

    @property
    def label(self) -> str:
        return f"{self.step}.{self.number}"


@dataclass(frozen=True, slots=True)
class Coming:
    """A step of the lab k8snet cannot walk through yet, and what it will cover."""

    step: int
    title: str
    covers: str


@dataclass(frozen=True)
class LabModel(JsonModel):
    """Every stop of the guided lab, answered for one state, and the steps still coming."""

    stops: tuple[Stop, ...]
    coming: tuple[Coming, ...]


COMING: tuple[Coming, ...] = ()  # every step of the lab has its questions now

STEP_TITLES = {1: "Pod networking", 2: "Services", 3: "DNS", 4: "External access", 5: "Load balancing", 6: "Service mesh"}


# -- what the questions are about -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Subject:
    """The objects the lab's questions are about, found in this state."""

    service: Obj | None
    service_note: str  # "" when it is the lab's own Service, else why another one is used
    client: Obj | None
    headless: Obj | None
    gateway: str | None = None  # http://ADDRESS:NODEPORT of the first ingress controller
    load_balancer: Obj | None = None  # step 5's LoadBalancer Service
    mesh_pod: str = ""  # step 6's meshed pod (NS/NAME), "" when none is


def _gateway_base(cluster: ClusterState, cloud: Mapping[str, Any] | None = None) -> str | None:
    """The node port on the node's public address when the cloud facts map one to it (1:1 NAT), as
    the lab curls it from outside; else on the node's own address."""
    from k8snet_tui.grammar import route_base

    base = route_base(build_ingress_view(cluster).entry_points)
    public = str(cloud.get("public_ipv4") or "") if cloud is not None else ""
    if base is None or not public:
        return base
    host, _, port = base.removeprefix("http://").rpartition(":")
    nat = public_node(cluster, cloud, public)
    return f"http://{public}:{port}" if nat is not None and nat[1] == host else base


def _ref(obj: Obj) -> str:
    return f"{namespace_of(obj)}/{name_of(obj)}"


def find_subject(cluster: ClusterState, cloud: Mapping[str, Any] | None = None) -> Subject:
    services = cluster.of("Service")
    by_name = [s for s in services if name_of(s) == LAB_SERVICE]
    by_name.sort(key=lambda s: namespace_of(s) != "default")
    service, note = (by_name[0], "") if by_name else (None, "")
    if service is None:
        index = service_index(cluster)
        others = [s for s in services if namespace_of(s) != "kube-system" and name_of(s) != "kubernetes"
                  and dig_str(s, "spec", "clusterIP") not in ("", "None")
                  and index.count(namespace_of(s), name_of(s)).ready]
        others.sort(key=_ref)
        if others:
            service = others[0]
            note = f"(this cluster has no Service named {LAB_SERVICE}: {_ref(service)} stands in for it)"
    pods = cluster.of("Pod")
    ns = namespace_of(service) if service is not None else "default"
    clients = [p for p in pods if name_of(p) == LAB_CLIENT] or [p for p in pods if namespace_of(p) == ns
                                                               and not dig_str(p, "spec", "hostNetwork")]
    clients.sort(key=lambda p: (namespace_of(p) != ns, _ref(p)))
    headless = [s for s in services if dig_str(s, "spec", "clusterIP") == "None"]
    headless.sort(key=lambda s: (name_of(s) != LAB_HEADLESS, _ref(s)))
    client = clients[0] if clients else None
    return Subject(service, note, client, headless[0] if headless else None,
                   _gateway_base(cluster, cloud), _load_balancer(cluster), lab_mesh.meshed_pod(cluster, client))


def _no_service() -> Answer:
    return Answer((f"This cluster has no Service named {LAB_SERVICE}, and no other Service with ready endpoints.",
                   f"The lab creates it: kubectl create deployment {LAB_SERVICE} --replicas=3 --image=httpd, "
                   f"then kubectl expose deployment {LAB_SERVICE} --port=80."), known=False)


def _with_note(subject: Subject, lines: list[str]) -> tuple[str, ...]:
    return tuple(lines + ([subject.service_note] if subject.service_note else []))


def _trace(observed: Observed, svc: Obj, selection: Selection) -> ServiceTrace:
    node = node_for(observed, selection.node)
    datapath = selection.datapath or parse_node_datapath(node, observed.cluster)
    return trace_service(observed.cluster, node, namespace_of(svc), name_of(svc), None, datapath=datapath)


# -- step 1: pod networking -----------------------------------------------------------------------

def public_address(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    node = node_for(observed, selection.node)
    view = build_internet_view(cloud_of(observed, selection.cloud), node, observed.cluster)
    lines: list[str] = []
    if view.public_ipv4:
        lines.append(f"Public address: {view.public_ipv4} (from the cloud's metadata service).")
        if view.private_ipv4:
            lines.append(f"It is translated to the host address {view.private_ipv4}: {view.nat_words}")
        else:
            lines.append(view.nat_words)
        return Answer(tuple(lines))
    if view.node_external_ips:
        return Answer((f"The nodes' ExternalIPs: {', '.join(view.node_external_ips)} (no cloud metadata was read).",
                       view.nat_words))
    lines.append("Not known here: " + ("this snapshot holds no cloud metadata" if observed.mode != "live"
                                       else "the cloud metadata service has not answered (or was not asked)") + ".")
    if view.host_addresses:
        lines.append(f"The host has only {', '.join(view.host_addresses)}: a private address, so a cloud "
                     "gateway must translate a public one to it.")
    lines.append("A capture taken on the cloud machine (k8snet capture), or pane 1 live there (r asks the "
                 "metadata service), would give the public address.")
    return Answer(tuple(lines), known=False)


def host_address(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    model = host_present.present(observed, selection)
    if not model.has_kernel_state:
        nodes = [f"{n.name} {', '.join(n.internal_ips)}" for n in model.nodes if n.internal_ips]
        lines = ["This node's interfaces were not read (no kernel state)."]
        if nodes:
            lines.append("The API's node addresses: " + "; ".join(nodes) + ".")
        lines.append("Run k8snet on the node (it reads the kernel through k8snet probe) to see its interfaces.")
        return Answer(tuple(lines), known=bool(nodes))
    lines = []
    for iface in model.interfaces:
        for a in iface.addresses:
            if a.family == "inet" and a.scope == "global" and a.kind != "loopback" and iface.kind != "loopback" \
                    and not iface.name.startswith(("lxc", "cilium", "kube", "docker", "flannel", "cni")):
                lines.append(f"{iface.name} has {a.cidr}: {a.kind_words}.")
    if not lines:
        lines.append("No global IPv4 address on this node's interfaces.")
    others = [f"{n.name} {', '.join(n.internal_ips)}" for n in model.nodes if not n.local and n.internal_ips]
    if others:
        lines.append("The other nodes (the lab's neighbours to ping): " + "; ".join(others) + ".")
    return Answer(tuple(lines))


def pod_ranges(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    model = pods_present.present(observed, selection)
    lines: list[str] = []
    if model.cilium is not None and model.cilium.pool_ipv4:
        mask = f", /{model.cilium.mask_size_ipv4} per node" if model.cilium.mask_size_ipv4 else ""
        lines.append(f"{model.cni} hands out pod IPs from {model.cilium.pool_ipv4} (IPAM {model.cilium.ipam}{mask}).")
    elif model.cluster_cidrs:
        lines.append(f"The cluster's pod range: {model.cluster_cidrs[0].cidr} ({model.cluster_cidrs[0].source}).")
    per_node: dict[str, str] = {}
    for row in model.node_cidrs:
        per_node.setdefault(row.node, row.cidr)
    if per_node:
        lines.append("Per node: " + ", ".join(f"{node} has {cidr}" for node, cidr in sorted(per_node.items())) + ".")
    if not lines:
        return Answer(("Neither the CNI's settings nor the nodes say which pod range is used.",
                       "A cluster whose nodes have spec.podCIDRs, or a CNI whose ConfigMap k8snet reads "
                       "(Cilium, Calico, Flannel), would say."), known=False)
    return Answer(tuple(lines))


def tunnel(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    model = pods_present.present(observed, selection)
    lines: list[str] = []
    c = model.cilium
    if c is not None:
        if c.routing_mode == "tunnel":
            port = f", UDP {c.overlay_port}" if c.overlay_port else ""
            lines.append(f"Tunnel: {c.tunnel_protocol or 'yes'}{port} (set by {c.routing_from}).")
        elif c.routing_mode:
            lines.append(f"No tunnel: routing mode {c.routing_mode} (set by {c.routing_from}).")
    if model.cross_node:
        lines.append(model.cross_node)
    if not lines:
        return Answer(("The CNI's settings say nothing about tunnelling here.",), known=False)
    return Answer((*lines, *_kernel_disagrees(model.consistency.findings)))


def _kernel_disagrees(found: tuple[Check, ...]) -> tuple[str, ...]:
    """The settings above are what the CNI was told; when a node's kernel shows otherwise (no
    tunnel device, the other node's pod CIDR routed straight out), a class must not be told the
    packets are wrapped: say what the kernel shows and where the details are."""
    if not found:
        return ()
    first = next((c for c in found if c.code == "remote-pod-cidr"), found[0])
    node = f"{first.node}: " if first.node else ""
    return (f"! But the kernel disagrees ({len(found)} config≠kernel, ! on pane 3 or k8snet check lists "
            f"them): {node}{first.kernel}.",)


# -- step 2: Services -----------------------------------------------------------------------------

def cluster_ip(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.service
    if svc is None:
        return _no_service()
    trace = _trace(observed, svc, selection)
    endpoints = sorted({f"{e.address}:{e.port}" for p in trace.ports[:1] for e in p.endpoints if e.in_api and e.ready},
                       key=_address_key)
    kind = dig_str(svc, "spec", "type") or "ClusterIP"
    ip = dig_str(svc, "spec", "clusterIP") or "none"
    lines = [f"{_ref(svc)} is a {kind} Service with cluster IP {ip}.",
             f"Ready endpoints ({len(endpoints)}): {', '.join(endpoints) or 'none'}."]
    return Answer(_with_note(subject, lines))


def _address_key(text: str) -> tuple[int, ...]:
    host = text.rsplit(":", 1)[0]
    return tuple(int(p) if p.isdigit() else 0 for p in host.split("."))


def chain_and_probabilities(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.service
    if svc is None:
        return _no_service()
    trace = _trace(observed, svc, selection)
    if not trace.ports:
        return Answer((f"{_ref(svc)} has no ports to trace.",), known=False)
    port = trace.ports[0]
    chain = port.chains.get("service") or port.chains.get("local")
    lines: list[str] = []
    if chain:
        lines.append(f"{chain} on {trace.node} serves {_ref(svc)}:{port.name or port.port}; shares:")
    elif trace.backend in ("none", ""):
        return Answer((f"Node {trace.node or '?'}'s rules were not read, so its chains are not known.",
                       "Run k8snet on a node (the probe reads iptables/nftables) or open a capture that has them."),
                      known=False)
    else:
        lines.append(f"The {trace.backend} datapath on {trace.node} serves it (no kube-proxy chain).")
    for e in port.endpoints:
        if not e.in_kernel:
            continue
        prob = f"p={e.probability}" if e.probability else "the rest"
        share = f" → {e.share:.1%}" if e.share is not None else ""
        pod = (e.pod or "no pod").rpartition("/")[2]
        lines.append(f"  {e.address}:{e.port} {pod} {prob}{share}")
    return Answer(_with_note(subject, lines))


def counted_hit(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.service
    if svc is None:
        return _no_service()
    trace = _trace(observed, svc, selection)
    endpoints = [e for p in trace.ports[:1] for e in p.endpoints if e.in_kernel]
    counted = [e for e in endpoints if e.packets is not None]
    if not counted:
        return Answer(("The rules were read without packet counters, so which pod got the requests is not known.",
                       "A live session (the node is polled with counters) or a capture with iptables-save -c "
                       "would show it."), known=False)
    hits = sorted((e for e in counted if e.packets), key=lambda e: -(e.packets or 0))
    if not hits:
        return Answer(("No packet has matched an endpoint rule yet: curl the Service, and the counter of "
                       "the pod that answers goes up.",))
    top = hits[0]
    lines = [f"Most packets ({top.packets}) went to {top.pod or top.address} at {top.address}:{top.port}, "
             f"through {top.chain or 'its endpoint rule'}."]
    lines += [f"  {e.pod or e.address}: {e.packets} packets" for e in hits[1:]]
    return Answer(_with_note(subject, lines))


# -- step 3: DNS ------------------------------------------------------------------------------------

def resolv_conf_and_cost(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    if subject.client is None:
        return Answer(("No pod to look the name up from: the lab runs one (kubectl run client -it --image=busybox).",),
                      known=False)
    name = name_of(subject.service) if subject.service is not None else LAB_SERVICE
    view = dns_lookup_view(observed.cluster, node_for(observed, selection.node), name, pod=_ref(subject.client))
    rc = view.resolv_conf
    ndots = next((v for k, v in rc.options if k == "ndots"), None)
    lines = [f"{_ref(subject.client)}'s resolv.conf: nameserver {', '.join(rc.nameservers) or 'none'}; "
             f"search {' '.join(rc.search) or '(none)'}" + (f"; options ndots:{ndots}" if ndots else "") + "."]
    sent = len(view.queries) if view.answered_by is None else view.answered_by + 1
    answer = ""
    if view.answered_by is not None:
        q = view.queries[view.answered_by]
        answer = f": {q.fqdn} answers {', '.join(q.expected.answers) or q.expected.rcode}"
    lines.append(f"Looking up {name} costs {sent} quer{'y' if sent == 1 else 'ies'} ({view.qtype}, {view.resolver})"
                 f"{answer}." if view.answered_by is not None else
                 f"Looking up {name} sends {sent} queries and none is expected to answer.")
    return Answer(tuple(lines), known=view.valid)


def dns_service(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    cluster = observed.cluster
    pod = subject.client
    ip = ""
    if pod is not None:
        view = dns_lookup_view(cluster, node_for(observed, selection.node), "kubernetes", pod=_ref(pod))
        ip = view.resolv_conf.nameservers[0] if view.resolv_conf.nameservers else ""
    owners = [s for s in cluster.of("Service") if ip and ip in (dig_str(s, "spec", "clusterIP"),)]
    if not ip:
        return Answer(("No pod's resolv.conf to read the nameserver from.",), known=False)
    if not owners:
        return Answer((f"The pods ask {ip}, and no Service has that cluster IP.",), known=False)
    return Answer((f"The pods ask {ip}: the cluster IP of Service {_ref(owners[0])}, in front of CoreDNS.",))


def headless(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.headless
    if svc is None:
        return Answer(("This cluster has no headless Service (clusterIP: None).",
                       f"The lab creates {LAB_HEADLESS} with clusterIP: None over the website pods."), known=False)
    pod = _ref(subject.client) if subject.client is not None else None
    view = dns_lookup_view(observed.cluster, node_for(observed, selection.node), name_of(svc), pod=pod,
                           namespace=None if pod else namespace_of(svc))
    lines = []
    if view.answered_by is not None:
        q = view.queries[view.answered_by]
        lines.append(f"{q.fqdn} answers with the pods' own addresses: {', '.join(q.expected.answers) or 'none'}.")
    else:
        lines.append(f"{name_of(svc)} is not expected to answer from {pod or 'its namespace'}.")
    sets = [s for s in observed.cluster.of("StatefulSet") if dig_str(s, "spec", "serviceName") == name_of(svc)]
    if sets:
        lines.append(f"StatefulSet {name_of(sets[0])}'s pods get names of their own: "
                     f"{name_of(sets[0])}-0.{name_of(svc)}.{namespace_of(svc)}.svc…")
    return Answer(tuple(lines))


# -- step 4: external access ------------------------------------------------------------------------

def node_port(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.service
    if svc is None:
        return _no_service()
    trace = _trace(observed, svc, selection)
    with_np = [p for p in trace.ports if p.node_port]
    if not with_np:
        return Answer((f"{_ref(svc)} is a {trace.service_type} Service: it has no node port.",
                       "The lab makes it type NodePort with nodePort 31100."), known=False)
    p = with_np[0]
    lines = [f"{_ref(svc)} listens on node port {p.node_port} of every node (to port {p.port})."]
    external = p.chains.get("external")
    if external:
        service = p.chains.get("service") or p.chains.get("local") or "the service chain"
        lines.append(f"KUBE-NODEPORTS sends it to {external}, which marks it for masquerade and goes on to {service}.")
    return Answer(_with_note(subject, lines))


def gateway_routes(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    base = subject.gateway
    if base is None:
        return Answer(("No ingress controller with a node port was found, so there is no gateway to send paths to.",
                       "The lab installs Emissary-ingress, a Listener and a Mapping."), known=False)
    lines = [f"Through the gateway at {base}:"]
    for path in LAB_PATHS:
        try:
            result = route_url(observed.cluster, base + path, cloud=observed.cloud)
        except UrlError as exc:
            lines.append(f"  {path}: cannot be routed ({exc})")
            continue
        nat = next((f.message for f in result.findings if f.code == "public-address"), None)
        if nat and nat + "." not in lines:
            lines.insert(1, nat + ".")
        m = result.matched
        if m is None:
            lines.append(f"  {path}: no rule matches ({result.status})")
        else:
            lines.append(f"  {path}: {m.kind} {m.name} → {m.service or 'no backend'}, "
                         f"the upstream sees {m.rewritten_path}")
    return Answer(tuple(lines))


# -- step 5: load balancing -------------------------------------------------------------------------

def _load_balancer(cluster: ClusterState) -> Obj | None:
    """The lab's LoadBalancer Service (emissary-ingress), else the first one."""
    from k8snet_tui.domain.balancing import load_balancers

    found = load_balancers(cluster)
    return next((s for s in found if name_of(s) == LAB_LOAD_BALANCER), found[0] if found else None)


def _balance(observed: Observed, svc: Obj) -> Balance:
    from k8snet_tui.domain.balancing import balance_service

    return balance_service(observed, namespace_of(svc), name_of(svc))


def _no_load_balancer() -> Answer:
    return Answer(("This cluster has no Service of type LoadBalancer.",
                   "The lab's emissary-ingress is one: kubectl get service -n emissary shows its EXTERNAL-IP."),
                  known=False)


def lb_allocator(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.load_balancer
    if svc is None:
        return _no_load_balancer()
    b = _balance(observed, svc)
    a = b.allocation
    if a.state == "pending":
        lines = [f"{b.service} is <pending>: {a.reason}."]
        lines += [f.message for f in b.findings if f.code in ("allocation-failed", "requested-ip-outside-pools")]
        node_port = next((p.node_port for p in b.ports if p.node_port), None)
        if node_port:
            lines.append(f"Meanwhile every node's NodePort {node_port} reaches it.")
        return Answer(tuple(lines))
    return Answer((f"{b.service} has EXTERNAL-IP {', '.join(b.addresses or b.hostnames)}: {a.reason}.",
                   f"ipMode {b.ip_mode or 'unset'}, externalTrafficPolicy {b.external_traffic_policy}."))


def lb_announcer(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.load_balancer
    if svc is None:
        return _no_load_balancer()
    b = _balance(observed, svc)
    ann = b.announce
    if b.allocation.state == "pending":
        return Answer((f"No node answers for {b.service}: it has no address yet.",), known=False)
    if ann.nodes:
        lines = [f"{', '.join(ann.nodes)} answers for {', '.join(b.addresses)} ({ann.mode})."]
        lines += [f"  {e}" for e in ann.evidence[:2]]
        return Answer(tuple(lines))
    return Answer((f"Which node answers for {', '.join(b.addresses)} is not recorded ({ann.mode}): "
                   + "; ".join(ann.evidence), ), known=False)


def lb_shares(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    svc = subject.load_balancer
    if svc is None:
        return _no_load_balancer()
    b = _balance(observed, svc)
    port = b.ports[0] if b.ports else None
    if port is None or not port.pods:
        why = "it has no address yet" if b.allocation.state == "pending" else "no entry node sends it to a pod"
        return Answer((f"No pod gets traffic sent to {b.service}'s address: {why}.",), known=False)
    entry = ", ".join(f"{n.node} {n.share * 100:.0f}%" for n in port.nodes)
    lines = [f"Entering at {entry}, then:"]
    lines += [f"  {p.pod or p.address} on {p.node or '?'}: {p.share * 100:.1f}%" for p in port.pods[:8]]
    lines.append("The client's address is kept." if b.client_ip_preserved else
                 "The source is rewritten to the node's address on the way (externalTrafficPolicy Cluster).")
    return Answer(tuple(lines))


def _lb_ref(s: Subject) -> str:
    return _ref(s.load_balancer) if s.load_balancer is not None else f"emissary/{LAB_LOAD_BALANCER}"


def _lb_get(s: Subject) -> str:
    ns, _, name = _lb_ref(s).partition("/")
    return kubectl("get", "service", name, namespace=ns)


# -- the stops --------------------------------------------------------------------------------------

Compute = Callable[[Observed, Selection, Subject], Answer]
Words = Callable[[Subject], str]


def mesh_pods(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    lines, known = lab_mesh.who_is_meshed(observed, subject.mesh_pod)
    return Answer(lines, known=known)


def mesh_redirects(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    lines, known = lab_mesh.redirects(observed, subject.mesh_pod)
    return Answer(lines, known=known)


def mesh_connection(observed: Observed, selection: Selection, subject: Subject) -> Answer:
    lines, known = lab_mesh.to_the_service(observed, subject.mesh_pod, subject.service)
    return Answer(_with_note(subject, list(lines)), known=known)


def _mesh_arg(s: Subject) -> str:
    return s.mesh_pod or _client(s)


def _mesh_dest(s: Subject) -> str:
    ip = dig_str(s.service, "spec", "clusterIP") if s.service is not None else ""
    ports = service_ports(s.service) if s.service is not None else ()
    return f"{_mesh_arg(s)} {ip}:{ports[0].port}" if ip and ip != "None" and ports else _mesh_arg(s)


def _mesh_containers(s: Subject) -> str:
    ns, _, pod = _mesh_arg(s).partition("/")
    return kubectl("get", "pod", pod, "-o", "jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}",
                   namespace=ns)


def _mesh_rules(s: Subject) -> str:
    # PID: any process of the pod (crictl inspect shows it); its network namespace holds the rules
    return cmd("sudo", "nsenter", "--target", "PID", "--net", "iptables-save", "-t", "nat")


def _mesh_describe(s: Subject) -> str:
    ns, _, pod = _mesh_arg(s).partition("/")
    return cmd("istioctl", "x", "describe", "pod", pod, "-n", ns)


@dataclass(frozen=True, slots=True)
class StopSpec:
    step: int
    question: str
    pane: str
    verb: str
    arg: Words
    lab_command: Words
    answer: Compute
    select: Words | None = None


def _svc_name(s: Subject) -> str:
    return name_of(s.service) if s.service is not None else LAB_SERVICE


def _svc_ref(s: Subject) -> str:
    return _ref(s.service) if s.service is not None else f"default/{LAB_SERVICE}"


def _svc_ns(s: Subject) -> str:
    return namespace_of(s.service) if s.service is not None else "default"


def _client(s: Subject) -> str:
    return _ref(s.client) if s.client is not None else f"default/{LAB_CLIENT}"


def _svc_chain(s: Subject) -> str:
    ports = service_ports(s.service) if s.service is not None else ()
    chain = service_chain(s.service, ports[0], "iptables") if s.service is not None and ports else None
    return chain or "KUBE-SVC"


def _node_port(s: Subject) -> str:
    ports = service_ports(s.service) if s.service is not None else ()
    return next((str(p.node_port) for p in ports if p.node_port), "KUBE-NODEPORTS")


def _none(s: Subject) -> str:
    return ""


def _dns_arg(s: Subject) -> str:
    return f"{_svc_name(s)} --pod {_client(s)}"


def _headless_name(s: Subject) -> str:
    return name_of(s.headless) if s.headless is not None else LAB_HEADLESS


def _in_pod(s: Subject, *words: str) -> str:
    ns, _, pod = _client(s).partition("/")
    return kubectl("exec", pod, "--", *words, namespace=ns)


STOPS: tuple[StopSpec, ...] = (
    StopSpec(1, "What public address reaches this machine, and how does it get to the host?", "internet", "internet",
             _none, lambda s: cmd("curl", METADATA_URL), public_address),
    StopSpec(1, "What is the host's own address, and which private range is it in?", "host", "host", _none,
             lambda s: pipe(("ip", "address"), ("head",)), host_address),
    StopSpec(1, "Which range do pod IPs come from, and which slice has each node?", "pods", "pods", _none,
             lambda s: pipe(("cilium", "config", "view"), ("grep", "cluster-pool")), pod_ranges),
    StopSpec(1, "Do pods on different nodes talk through a tunnel?", "pods", "pods", _none,
             lambda s: pipe(("cilium", "config", "view"), ("grep", "tunnel")), tunnel),
    StopSpec(2, "Which cluster IP does the Service get, and which pods stand behind it?", "services", "svc",
             _svc_name, lambda s: kubectl("get", "endpoints", _svc_name(s), namespace=_svc_ns(s)), cluster_ip,
             select=_svc_ref),
    StopSpec(2, "Which KUBE-SVC chain serves it, and how likely is each pod to be picked?", "services", "trace",
             _svc_ref, lambda s: pipe(("sudo", "iptables", "-L", "-vn", "-t", "nat"),
                                      ("grep", "-A4", f"Chain {_svc_chain(s)}")), chain_and_probabilities),
    StopSpec(2, "Which pod did the requests reach? (read the packet counters)", "services", "trace", _svc_ref,
             lambda s: kubectl("logs", "-l", f"app={_svc_name(s)}", namespace=_svc_ns(s)), counted_hit),
    StopSpec(3, "What does a pod's resolv.conf say, and how many queries does the short name cost?", "dns", "dns",
             _dns_arg, lambda s: _in_pod(s, "cat", "/etc/resolv.conf"), resolv_conf_and_cost),
    StopSpec(3, "Whose address is the nameserver?", "services", "svc", lambda s: "kube-dns",
             lambda s: kubectl("get", "service", namespace="kube-system"), dns_service,
             select=lambda s: "kube-system/kube-dns"),
    StopSpec(3, "What does a headless Service answer?", "dns", "dns",
             lambda s: f"{_headless_name(s)} --pod {_client(s)}",
             lambda s: _in_pod(s, "nslookup", _headless_name(s)), headless),
    StopSpec(4, "Which node port does the Service open, and which chain takes those packets?", "services", "trace",
             _svc_ref, lambda s: pipe(("sudo", "iptables", "-nvL", "-t", "nat"), ("grep", _node_port(s))), node_port),
    StopSpec(4, "Where do /web/ and /engine/ go through the gateway?", "ingress", "route", lambda s: LAB_PATHS[0],
             lambda s: cmd("curl", "-i", (s.gateway or "http://PUBLIC-IP:NODEPORT") + LAB_PATHS[0]), gateway_routes),
    StopSpec(5, "Who gave this Service its EXTERNAL-IP (or why is it <pending>)?", "balancing", "balance", _lb_ref,
             _lb_get, lb_allocator, select=_lb_ref),
    StopSpec(5, "Which node answers for that address?", "balancing", "balance", _lb_ref,
             lambda s: kubectl("get", "servicel2statuses", namespace="metallb-system"), lb_announcer, select=_lb_ref),
    StopSpec(5, "Which pod gets what share of the requests sent to it?", "balancing", "balance", _lb_ref,
             lambda s: kubectl("describe", "service", _lb_ref(s).partition("/")[2],
                               namespace=_lb_ref(s).partition("/")[0]), lb_shares, select=_lb_ref),
    StopSpec(6, "Which pods are meshed, by which mesh, and how?", "mesh", "mesh", _mesh_arg, _mesh_containers,
             mesh_pods, select=_mesh_arg),
    StopSpec(6, "What do that pod's own rules send to its proxy, and what do they let past?", "mesh", "mesh",
             _mesh_arg, _mesh_rules, mesh_redirects, select=_mesh_arg),
    StopSpec(6, "Where does its connection to the Service go first, and is it mTLS?", "mesh", "mesh", _mesh_dest,
             _mesh_describe, mesh_connection, select=_mesh_arg),
)


def stop_count() -> int:
    return len(STOPS)


def present_stop(observed: Observed, index: int, selection: Selection | None = None) -> Stop:
    """Stop `index` (0-based, clamped) answered for `observed`."""
    selection = selection or Selection()
    index = max(0, min(index, len(STOPS) - 1))
    spec = STOPS[index]
    subject = find_subject(observed.cluster, observed.cloud)
    number = sum(1 for s in STOPS[:index + 1] if s.step == spec.step)
    return Stop(spec.step, STEP_TITLES[spec.step], number, spec.question, spec.pane, spec.verb, spec.arg(subject),
                spec.lab_command(subject), spec.answer(observed, selection, subject),
                spec.select(subject) if spec.select else "")


def present(observed: Observed, selection: Selection) -> LabModel:
    """Every stop answered (for `--json` and tests; the TUI answers one stop at a time)."""
    return LabModel(tuple(present_stop(observed, i, selection) for i in range(len(STOPS))), COMING)
