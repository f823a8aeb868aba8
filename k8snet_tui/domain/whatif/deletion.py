"""What kube-proxy would program on one node after a pod is deleted, computed from the state.

The rules followed (kube-proxy's iptables and nftables proxiers, read, not copied):

- The pod's endpoints leave its Services' EndpointSlices. kube-proxy then picks, per service
  port, the endpoints this node programs (ready ones, else serving-terminating ones; the local
  set for a Local traffic policy: `datapath.endpoints.select_endpoints`).
- It orders them by their `IP:port` text (a string sort: 10.0.0.10:80 before 10.0.0.2:80).
- iptables: the service chain gets one rule per endpoint; rule i of n carries
  `statistic --mode random --probability 1/(n-i)` written with ten decimals, the last none. The
  kernel keeps the probability as a 31-bit fraction and `iptables-save` prints it back with
  eleven decimals (1/3 -> 0.33333333349): `printed_probability` computes that text. Each
  endpoint has its KUBE-SEP chain, named from a hash of the service port, protocol and IP:port;
  the deleted pod's chain is removed.
- nftables: one `numgen random mod n` map (element i -> endpoint i); each endpoint 1/n.
- No endpoint left: the ClusterIP rejects (iptables: a REJECT in KUBE-SERVICES of the filter
  table; nftables: the no-endpoint-services map).

A pod a ReplicaSet, StatefulSet or DaemonSet owns is replaced by a new pod (for a ReplicaSet a
new name). The new pod usually gets a different address, from the pod CIDR of the node it runs
on, even under a StatefulSet's same name; the Service's endpoints follow it once it is ready.
It is not predicted here: neither its node nor its address is known yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..datapath.backend import Datapath
from ..datapath.balance import nice_fraction
from ..datapath.chain_names import (
    iptables_chain_names,
    iptables_endpoint_chain,
    join_host_port,
    nft_chain_names,
    nft_endpoint_chain,
    service_port_name,
)
from ..datapath.endpoints import (
    ApiEndpoint,
    cluster_ips,
    endpoints_for_port,
    select_endpoints,
    service_ports,
    shared_pod_index,
    slices_for,
)
from ..model import ClusterState, NodeState, Obj, dig_list, dig_str, key_of, name_of, namespace_of
from ..services import PortTrace, trace_service

IPTABLES_FRACTION = 0x80000000  # the statistic match keeps probabilities as n / 2^31


def kube_proxy_probability(n_left: int) -> str:
    """The text kube-proxy writes for a rule with `n_left` endpoints still to choose from."""
    return f"{1.0 / n_left:0.10f}"


def printed_probability(n_left: int) -> str:
    """What `iptables-save` prints back for that rule: the kernel's 31-bit fraction, 11 decimals."""
    written = float(kube_proxy_probability(n_left))
    return f"{round(IPTABLES_FRACTION * written) / IPTABLES_FRACTION:.11f}"


@dataclass(frozen=True, slots=True)
class ProgrammedEndpoint:
    address: str
    port: int
    pod: str | None
    chain: str | None  # KUBE-SEP-... / endpoint-...; None in nft's direct-map form
    probability: str | None  # as iptables-save prints it; None for the last rule and for nft
    share: float


@dataclass(frozen=True, slots=True)
class EndpointChange:
    change: str  # removed | added | share
    address: str
    port: int
    pod: str | None
    chain: str | None
    before: str  # "1/3 (probability 0.33333333349)", "" when added
    after: str  # "" when removed


@dataclass(frozen=True)
class PortPrediction:
    service: str  # ns/name
    port: str  # name, or the number when unnamed
    protocol: str
    role: str  # service (cluster traffic) | local (the Local policy's chain)
    chain: str | None  # the chain holding the pick
    before: tuple[ProgrammedEndpoint, ...]  # what the node's rules hold now
    after: tuple[ProgrammedEndpoint, ...]  # what kube-proxy would program
    changes: tuple[EndpointChange, ...]
    rejects_after: bool  # no endpoint left: new connections are rejected


@dataclass(frozen=True)
class DeletionPrediction:
    pod: str  # ns/name
    node: str  # whose datapath
    backend: str
    found: bool  # the pod exists in the state
    addresses: tuple[str, ...]
    ports: tuple[PortPrediction, ...]
    notes: tuple[str, ...]


def _words(share: float, probability: str | None) -> str:
    text = nice_fraction(share) if share < 1.0 - 1e-9 else "all"
    return text + (f" (probability {probability})" if probability else "")


def _program(endpoints: tuple[ApiEndpoint, ...], spn: str, svc: Obj, port_name: str, protocol: str,
             backend: str, nft_chains: bool) -> tuple[ProgrammedEndpoint, ...]:
    ordered = sorted(endpoints, key=lambda e: join_host_port(e.address, e.port))
    n = len(ordered)
    out = []
    for i, e in enumerate(ordered):
        if backend == "nftables":
            chain = (nft_endpoint_chain(namespace_of(svc), name_of(svc), protocol, port_name, e.address, e.port)
                     if nft_chains else None)
            out.append(ProgrammedEndpoint(e.address, e.port, e.pod or None, chain, None, 1.0 / n))
        else:
            prob = printed_probability(n - i) if i < n - 1 else None
            out.append(ProgrammedEndpoint(e.address, e.port, e.pod or None,
                                          iptables_endpoint_chain(spn, protocol, e.address, e.port), prob, 1.0 / n))
    return tuple(out)


def _now(trace_port: PortTrace | None, role: str) -> tuple[ProgrammedEndpoint, ...]:
    """The endpoints the node's rules hold now for `role`, from the trace."""
    if trace_port is None:
        return ()
    path_kind = "cluster" if role == "service" else "external"
    if role == "service":
        return tuple(ProgrammedEndpoint(e.address, e.port, e.pod, e.chain, e.probability, e.share or 0.0)
                     for e in trace_port.endpoints if e.in_kernel and (e.share or 0.0) > 0)
    path = next((p for p in trace_port.paths if p.path == path_kind), None)
    return tuple(ProgrammedEndpoint(e.address, e.port, e.pod, e.chain, None, e.share)
                 for e in (path.endpoints if path else ()))


def _changes(before: tuple[ProgrammedEndpoint, ...], after: tuple[ProgrammedEndpoint, ...]) -> tuple[EndpointChange, ...]:
    old = {(e.address, e.port): e for e in before}
    new = {(e.address, e.port): e for e in after}
    out: list[EndpointChange] = []
    for key, e in old.items():
        if key not in new:
            out.append(EndpointChange("removed", e.address, e.port, e.pod, e.chain,
                                      _words(e.share, e.probability), ""))
    for key, e in new.items():
        was = old.get(key)
        if was is None:
            out.append(EndpointChange("added", e.address, e.port, e.pod, e.chain, "", _words(e.share, e.probability)))
        elif abs(was.share - e.share) > 1e-6 or was.probability != e.probability:
            out.append(EndpointChange("share", e.address, e.port, e.pod, e.chain,
                                      _words(was.share, was.probability), _words(e.share, e.probability)))
    return tuple(out)


def _without(endpoints: tuple[ApiEndpoint, ...], pod: str, addresses: set[str]) -> tuple[ApiEndpoint, ...]:
    return tuple(e for e in endpoints if e.pod != pod and not (not e.pod and e.address in addresses))


def _owner_note(pod: Obj) -> str | None:
    for ref in dig_list(pod, "metadata", "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller") is True:
            kind, name = dig_str(ref, "kind"), dig_str(ref, "name")
            if kind == "ReplicaSet":
                return (f"ReplicaSet {name} creates a replacement pod with a new name; a new pod usually gets "
                        "a different address, from the pod CIDR of the node it runs on, and the Service's "
                        "endpoints follow it once it is ready (not predicted: its node and address are not "
                        "known yet)")
            if kind == "StatefulSet":
                return (f"StatefulSet {name} recreates the pod under the same name; it usually gets a different "
                        "address, from the pod CIDR of the node it runs on, and the Service's endpoints follow "
                        "it once it is ready (not predicted)")
            if kind == "DaemonSet":
                return f"DaemonSet {name} recreates the pod on the same node (not predicted)"
            return f"{kind} {name} owns this pod and may replace it (not predicted)"
    return None


def predict_pod_deletion(cluster: ClusterState, node: NodeState, namespace: str, pod_name: str,
                         datapath: Datapath | None = None) -> DeletionPrediction:
    """Every service port whose endpoints include the pod: the node's rules now and after."""
    key = f"{namespace}/{pod_name}"
    by_key, _ = shared_pod_index(cluster)
    pod = by_key.get(key)
    trace_dp = datapath
    node_name = node.node or node.hostname
    if pod is None:
        return DeletionPrediction(key, node_name, datapath.backend if datapath else "", False, (), (),
                                  (f"no pod {key} in this state",))
    addresses = {dig_str(ip, "ip") for ip in dig_list(pod, "status", "podIPs") if dig_str(ip, "ip")}
    if dig_str(pod, "status", "podIP"):
        addresses.add(dig_str(pod, "status", "podIP"))
    ports: list[PortPrediction] = []
    notes: list[str] = []
    backend = datapath.backend if datapath else ""
    zone = ""
    for svc in cluster.in_namespace("Service", namespace) if cluster.namespace in (None, namespace) \
            else tuple(s for s in cluster.of("Service") if namespace_of(s) == namespace):
        slices = slices_for(cluster, namespace, name_of(svc))
        if not slices:
            continue
        svc_ports = service_ports(svc)
        apis = {p: endpoints_for_port(slices, p, by_key) for p in svc_ports}
        if not any(e.pod == key or e.address in addresses for eps in apis.values() for e in eps):
            continue
        if not cluster_ips(svc):
            notes.append(f"{key_of(svc)} is headless: no proxy rules, only its DNS answers lose the pod's address")
            continue
        trace = trace_service(cluster, node, namespace, name_of(svc), datapath=trace_dp)
        backend = trace.backend
        for p in svc_ports:
            eps = apis[p]
            if not any(e.pod == key or e.address in addresses for e in eps):
                continue
            tport = next((t for t in trace.ports if t.name == p.name and t.port == p.port), None)
            spn = service_port_name(namespace, name_of(svc), p.name)
            sel_after = select_endpoints(_without(eps, key, addresses), svc, node_name, zone)
            nft_chains = backend == "nftables" and any(e.chain for e in (tport.endpoints if tport else ()))
            roles = [("service", sel_after.cluster)] if sel_after.uses_cluster else []
            if sel_after.uses_local:
                roles.append(("local", sel_after.local))
            for role, after_eps in roles:
                chain = ((nft_chain_names(namespace, name_of(svc), p.protocol, p.name) if backend == "nftables"
                          else iptables_chain_names(spn, p.protocol))[role])
                before = _now(tport, role)
                after = _program(after_eps, spn, svc, p.name, p.protocol, backend, nft_chains)
                ports.append(PortPrediction(key_of(svc), p.name or str(p.port), p.protocol, role, chain,
                                            before, after, _changes(before, after), not after_eps))
    if backend not in ("iptables-legacy", "iptables-nft", "nftables") and ports:
        notes.append(f"the {backend or 'unknown'} datapath: the endpoints are predicted, its own numbering is not")
    if not ports and not notes:
        notes.append(f"{key} is an endpoint of no Service: no rule changes")
    owner = _owner_note(pod)
    if owner:
        notes.append(owner)
    return DeletionPrediction(key, node_name, backend, True, tuple(sorted(addresses)), tuple(ports), tuple(notes))
