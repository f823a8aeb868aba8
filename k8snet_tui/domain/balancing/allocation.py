"""Who gives a LoadBalancer Service its address, from which pool, or why nobody has.

Read from the Service (`spec.loadBalancerClass`, `spec.loadBalancerIP`, the allocators'
annotations, `status.loadBalancer`), the pools (pools.py), the Nodes' `spec.providerID` (a
cloud controller is at work) and the Service's events (events.py). Every controller that
allocates skips a Service whose `loadBalancerClass` it does not own, so an unknown class is
pending for good; MetalLB and Cilium LB IPAM take Services without a class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..datapath.endpoints import lb_ingress_ips
from ..datapath.trace_model import Finding
from ..model import ClusterState, Obj, dig_dict, dig_list, dig_str, key_of, name_of, namespace_of
from .events import service_events
from .model import Allocation
from .pools import Pool, parse_ip, read_pools, serves

METALLB_POOL = ("metallb.io/address-pool", "metallb.universe.tf/address-pool")
METALLB_IPS = ("metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs")
METALLB_FROM = ("metallb.io/ip-allocated-from-pool", "metallb.universe.tf/ip-allocated-from-pool")
CILIUM_IPS = ("lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips")
KUBE_VIP_IPS = ("kube-vip.io/loadbalancerIPs",)
KUBE_VIP_HOST = "kube-vip.io/vipHost"
KUBE_VIP_CLASS = "kube-vip.io/kube-vip-class"
CILIUM_CLASSES = ("io.cilium/l2-announcer", "io.cilium/bgp-control-plane", "io.cilium/node")
CLOUD_CLASSES = ("service.k8s.aws/nlb", "eks.amazonaws.com/nlb")
CLOUD_ANNOTATIONS = ("service.beta.kubernetes.io/aws-load-balancer", "service.beta.kubernetes.io/azure",
                     "cloud.google.com/", "networking.gke.io/", "service.beta.kubernetes.io/oci",
                     "loadbalancer.openstack.org/", "service.beta.kubernetes.io/do-loadbalancer",
                     "load-balancer.hetzner.cloud/", "service.beta.kubernetes.io/linode")
CLOUD_PROVIDERS = ("aws", "gce", "azure", "openstack", "digitalocean", "hcloud", "oci", "ibm", "linode",
                   "equinixmetal", "alicloud", "exoscale", "scaleway", "vultr")
IPAM_CONDITION = "cilium.io/IPAMRequestSatisfied"
MAX_POOL_SIZE_COUNTED = 1 << 20  # a pool wider than this is never "full" for this count


@dataclass(frozen=True)
class AllocationResult:
    allocation: Allocation
    pool: Pool | None
    findings: tuple[Finding, ...]


Pending = Callable[..., AllocationResult]  # (allocator, code, why, pool=None): a pending answer


def service_annotations(svc: Obj) -> dict[str, str]:
    return {k: v for k, v in dig_dict(svc, "metadata", "annotations").items()
            if isinstance(k, str) and isinstance(v, str)}


def _first(notes: Mapping[str, str], keys: tuple[str, ...]) -> str:
    return next((notes[k] for k in keys if notes.get(k)), "")


def requested_ips(svc: Obj) -> tuple[str, ...]:
    """The addresses the Service asks for: spec.loadBalancerIP and the allocators' annotations."""
    notes = service_annotations(svc)
    words = [dig_str(svc, "spec", "loadBalancerIP")]
    for keys in (METALLB_IPS, CILIUM_IPS, KUBE_VIP_IPS):
        words += _first(notes, keys).split(",")
    return tuple(dict.fromkeys(w.strip() for w in words if w.strip()))[:16]


# Node labels only a cloud's node controller or managed service sets (snapshots keep labels,
# not the providerID).
CLOUD_LABELS = (("eks.amazonaws.com/", "aws"), ("cloud.google.com/gke", "gce"), ("kubernetes.azure.com/", "azure"),
                ("node.kubernetes.io/instance-type", "cloud"))


def cloud_provider(cluster: ClusterState) -> str:
    """The cloud the Nodes name ("aws" from a providerID aws:///zone/i-..., or a managed
    service's labels), "" for none."""
    for node in cluster.of("Node")[:50]:
        scheme = dig_str(node, "spec", "providerID").partition("://")[0].lower()
        if scheme in CLOUD_PROVIDERS:
            return scheme
        labels = dig_dict(node, "metadata", "labels")
        for prefix, cloud in CLOUD_LABELS:
            if any(isinstance(k, str) and k.startswith(prefix) for k in labels):
                return cloud
    return ""


def _pool_named(pools: tuple[Pool, ...], name: str) -> Pool | None:
    return next((p for p in pools if p.kind == "metallb" and p.key.rpartition("/")[2] == name), None)


def _namespace_labels(cluster: ClusterState, ns: str) -> dict[str, str]:
    obj = cluster.get("Namespace", "", ns)
    labels = {k: v for k, v in dig_dict(obj, "metadata", "labels").items() if isinstance(k, str) and isinstance(v, str)}
    labels.setdefault("kubernetes.io/metadata.name", ns)
    return labels


def used_addresses(cluster: ClusterState) -> dict[str, str]:
    """address -> the "ns/name" of the LoadBalancer Service holding it (first one listed)."""
    return cluster.memo(_used)


def _used(cluster: ClusterState) -> dict[str, str]:
    out: dict[str, str] = {}
    for svc in cluster.of("Service"):
        for ip in lb_ingress_ips(svc):
            out.setdefault(ip, key_of(svc))
    return out


def _free(pool: Pool, used: Mapping[str, str]) -> bool:
    size = sum(int(r.last) - int(r.first) + 1 for r in pool.ranges)
    if size > MAX_POOL_SIZE_COUNTED:
        return True
    taken = sum(1 for ip in used if (a := parse_ip(ip)) is not None and pool.holds(a))
    return taken < size


def _ipam_condition(svc: Obj) -> str:
    for cond in dig_list(svc, "status", "conditions"):
        if dig_str(cond, "type") == IPAM_CONDITION and dig_str(cond, "status") == "False":
            return dig_str(cond, "message") or dig_str(cond, "reason")
    return ""


def allocate(cluster: ClusterState, svc: Obj) -> AllocationResult:
    """Who allocated `svc`'s address (or why it is pending), in words and codes."""
    pools = read_pools(cluster)
    notes = service_annotations(svc)
    lb_class = dig_str(svc, "spec", "loadBalancerClass") or None
    requested = requested_ips(svc)
    ips = lb_ingress_ips(svc)
    hostnames = tuple(dig_str(i, "hostname") for i in dig_list(svc, "status", "loadBalancer", "ingress")
                      if dig_str(i, "hostname"))
    events = service_events(cluster, namespace_of(svc), name_of(svc))
    findings: list[Finding] = []
    if ips or hostnames:
        return _allocated(cluster, svc, pools, notes, lb_class, requested, ips, hostnames, events, findings)
    return _pending(cluster, svc, pools, notes, lb_class, requested, events, findings)


def _allocated(cluster: ClusterState, svc: Obj, pools: tuple[Pool, ...], notes: Mapping[str, str],
               lb_class: str | None, requested: tuple[str, ...], ips: tuple[str, ...], hostnames: tuple[str, ...],
               events: tuple[object, ...], findings: list[Finding]) -> AllocationResult:
    first = parse_ip(ips[0]) if ips else None
    holding = [p for p in pools if first is not None and p.holds(first)]
    named = _first(notes, METALLB_FROM)
    pool = _pool_named(pools, named) if named else None
    if requested and ips and not set(ips) & set(requested):
        findings.append(Finding("warning", "requested-ip-not-allocated",
                                f"the Service asks for {', '.join(requested)} but holds {', '.join(ips)}"))
    if named or (holding and holding[0].kind == "metallb") or any(
            getattr(e, "reason", "") == "IPAllocated" for e in events):
        pool = pool or next((p for p in holding if p.kind == "metallb"), None)
        where = f" from IPAddressPool {pool.key}" if pool else (f" from pool {named!r}" if named else "")
        return AllocationResult(Allocation("allocated", "metallb", lb_class, pool.key if pool else None, requested,
                                           f"MetalLB's controller assigned {', '.join(ips)}{where}"), pool,
                                tuple(findings))
    cilium = next((p for p in holding if p.kind == "cilium"), None)
    if cilium is not None:
        return AllocationResult(Allocation("allocated", "cilium-lb-ipam", lb_class, cilium.key, requested,
                                           f"Cilium LB IPAM assigned {', '.join(ips)} from "
                                           f"CiliumLoadBalancerIPPool {cilium.key}"), cilium, tuple(findings))
    if lb_class == KUBE_VIP_CLASS or notes.get(KUBE_VIP_HOST) or _first(notes, KUBE_VIP_IPS):
        return AllocationResult(Allocation("allocated", "kube-vip", lb_class, None, requested,
                                           f"kube-vip holds {', '.join(ips or hostnames)}"), None, tuple(findings))
    cloud = cloud_provider(cluster)
    if hostnames and not ips:
        findings.append(Finding("info", "hostname-only",
                                f"the load balancer is a DNS name ({', '.join(hostnames)}): its addresses are the "
                                "cloud's, not in the cluster's objects"))
    if cloud or hostnames or (lb_class in CLOUD_CLASSES) or any(k.startswith(CLOUD_ANNOTATIONS) for k in notes):
        who = f"the {cloud} cloud controller" if cloud not in ("", "cloud") else "a cloud load-balancer controller"
        findings.append(Finding("info", "cloud-allocated",
                                f"{who} made a load balancer outside the cluster; it forwards to the nodes"))
        return AllocationResult(Allocation("allocated", "cloud", lb_class, None, requested,
                                           f"{who} assigned {', '.join(ips or hostnames)}"), None, tuple(findings))
    if pools:
        findings.append(Finding("warning", "address-outside-pools",
                                f"{ips[0]} is in no IPAddressPool or CiliumLoadBalancerIPPool: something else "
                                "(a controller not seen here, or a hand-written status) set it"))
    return AllocationResult(Allocation("allocated", "unknown", lb_class, None, requested,
                                       f"{', '.join(ips)} was set by a controller k8snet cannot name"), None,
                            tuple(findings))


def _pending(cluster: ClusterState, svc: Obj, pools: tuple[Pool, ...], notes: Mapping[str, str],
             lb_class: str | None, requested: tuple[str, ...], events: tuple[object, ...],
             findings: list[Finding]) -> AllocationResult:
    failed = [getattr(e, "message", "") for e in events if getattr(e, "reason", "") in
              ("AllocationFailed", "SyncLoadBalancerFailed")]
    if failed:
        findings.append(Finding("warning", "allocation-failed", f"the Service's events say: {failed[-1]}"))
    node_port = next((p.get("nodePort") for p in dig_list(svc, "spec", "ports")
                      if isinstance(p, dict) and isinstance(p.get("nodePort"), int)), None)
    meanwhile = f"; meanwhile it answers on every node's NodePort {node_port}" if node_port else ""

    def pending(allocator: str, code: str, why: str, pool: Pool | None = None, severity: str = "warning"
                ) -> AllocationResult:
        findings.insert(0, Finding(severity, code, why + meanwhile))
        return AllocationResult(Allocation("pending", allocator, lb_class, pool.key if pool else None, requested, why),
                                pool, tuple(findings))

    if lb_class is not None:
        if lb_class in CILIUM_CLASSES and any(p.kind == "cilium" for p in pools):
            return _pending_cilium(svc, pools, requested, pending)
        if lb_class == KUBE_VIP_CLASS:
            return pending("kube-vip", "pending-no-allocator",
                           f"loadBalancerClass {lb_class}: kube-vip's cloud provider has not given it an address")
        if lb_class in CLOUD_CLASSES and cloud_provider(cluster):
            return pending("cloud", "pending-no-allocator",
                           f"loadBalancerClass {lb_class}: the cloud's load-balancer controller has not made it yet")
        return pending("none", "pending-class-unserved",
                       f"loadBalancerClass {lb_class!r} is served by no controller seen here (MetalLB, Cilium "
                       "LB IPAM and cloud controllers skip a class they do not own), so nobody allocates it")
    metallb = [p for p in pools if p.kind == "metallb"]
    if metallb:
        return _pending_metallb(cluster, svc, metallb, notes, requested, failed, pending)
    if any(p.kind == "cilium" for p in pools):
        return _pending_cilium(svc, pools, requested, pending)
    cloud = cloud_provider(cluster)
    if cloud:
        who = f"the {cloud} cloud controller" if cloud != "cloud" else "the cloud controller"
        return pending("cloud", "pending-no-allocator",
                       f"{who} has not made a load balancer for it yet (its events say why)")
    return pending("none", "pending-no-allocator",
                   "nobody allocates LoadBalancer addresses in this cluster: the Nodes name no cloud provider, "
                   "and there is no MetalLB IPAddressPool, no CiliumLoadBalancerIPPool and no kube-vip")


def _pending_metallb(cluster: ClusterState, svc: Obj, metallb: list[Pool], notes: Mapping[str, str],
                     requested: tuple[str, ...], failed: list[str], pending: Pending) -> AllocationResult:
    ns = namespace_of(svc)
    ns_labels = _namespace_labels(cluster, ns)
    wanted = _first(notes, METALLB_POOL)
    candidates = [p for p in metallb if serves(p, svc, ns_labels)]
    if wanted:
        named = _pool_named(tuple(metallb), wanted)
        if named is None:
            return pending("metallb", "pending-no-allocator",
                           f"it asks for MetalLB pool {wanted!r}, and no IPAddressPool has that name")
        if named not in candidates:
            return pending("metallb", "pending-no-allocator",
                           f"it asks for pool {named.key}, whose serviceAllocation does not admit namespace {ns} "
                           "or the Service's labels", named)
        candidates = [named]
    for text in requested:
        ip = parse_ip(text)
        if ip is None:
            return pending("metallb", "requested-ip-outside-pools",
                           f"it asks for {text!r}, which is not an IP address")
        inside = [p for p in candidates if p.holds(ip)]
        if not inside:
            elsewhere = [p.key for p in metallb if p.holds(ip)]
            why = (f"it asks for {text}, which is only in {', '.join(elsewhere)}, a pool that does not serve it"
                   if elsewhere else f"it asks for {text}, which is outside every IPAddressPool")
            return pending("metallb", "requested-ip-outside-pools", why)
        holder = used_addresses(cluster).get(text)
        if holder and holder != key_of(svc):
            return pending("metallb", "pending-no-allocator",
                           f"it asks for {text}, which {holder} already holds (sharing needs the same "
                           "allow-shared-ip key on both)", inside[0])
    if not requested:
        auto = [p for p in candidates if p.auto_assign and p.ranges]
        if not auto:
            why = ("no IPAddressPool serves it" if not candidates else
                   f"the pools that serve it ({', '.join(p.key for p in candidates)}) have autoAssign false or no "
                   "usable range; ask for one by the address-pool annotation")
            return pending("metallb", "pending-no-allocator", why)
        used = used_addresses(cluster)
        free = [p for p in sorted(auto, key=lambda p: (p.priority is None, p.priority or 0)) if _free(p, used)]
        if not free:
            return pending("metallb", "pending-no-allocator",
                           f"every address of {', '.join(p.key for p in auto)} is taken")
        candidates = free
    why = (f"MetalLB's controller has not allocated it from {candidates[0].key}, though the pool would serve it: "
           "is the controller running?" if not failed else
           f"MetalLB's controller tried and failed ({failed[-1]})")
    return pending("metallb", "pending-no-allocator", why, candidates[0])


def _pending_cilium(svc: Obj, pools: tuple[Pool, ...], requested: tuple[str, ...], pending: Pending) -> AllocationResult:
    cilium = [p for p in pools if p.kind == "cilium"]
    labels = {k: v for k, v in dig_dict(svc, "metadata", "labels").items() if isinstance(k, str) and isinstance(v, str)}
    fits = [p for p in cilium if not p.disabled and (not p.service_selectors or any(
        s.matches({**labels, "io.kubernetes.service.namespace": namespace_of(svc),
                   "io.kubernetes.service.name": name_of(svc)}) for s in p.service_selectors))]
    condition = _ipam_condition(svc)
    for text in requested:
        ip = parse_ip(text)
        if ip is None or not any(p.holds(ip) for p in fits):
            return pending("cilium-lb-ipam", "requested-ip-outside-pools",
                           f"it asks for {text}, which is in no CiliumLoadBalancerIPPool that selects it")
    if not fits:
        return pending("cilium-lb-ipam", "pending-no-allocator",
                       "no CiliumLoadBalancerIPPool selects it (or every one is disabled)")
    why = f"Cilium LB IPAM has not allocated it from {fits[0].key}" + (f": {condition}" if condition else "")
    return pending("cilium-lb-ipam", "pending-no-allocator", why, fits[0])
