"""Which node answers for a LoadBalancer address: the entry point of the node-level spread.

- MetalLB layer 2: one speaker answers ARP/NDP for the address. Its choice is written in a
  `ServiceL2Status` (status.node, serviceName, serviceNamespace) and in the speaker's
  `nodeAssigned` event ("announcing from node \"N\""). Eligible are the nodes the
  L2Advertisements' nodeSelectors admit, and under `externalTrafficPolicy: Local` only those
  with a ready endpoint (the speaker does not announce from a node without one).
- MetalLB BGP: every eligible node advertises the address to the peers whose nodeSelectors admit
  it, and the router spreads flows over them (ECMP: even, as far as the cluster can say).
- A cloud load balancer sends to every node (Local: to the nodes its health check finds with
  an endpoint, through `healthCheckNodePort`), except nodes labelled to be left out.
- kube-vip: the node in the Service's `kube-vip.io/vipHost` annotation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..datapath.endpoints import lb_ingress_ips
from ..datapath.trace_model import Finding
from ..model import ClusterState, Obj, dig_dict, dig_list, dig_str, name_of, namespace_of
from ..policy.selectors import parse_selector
from ..service_index import service_index
from .allocation import KUBE_VIP_HOST, AllocationResult, service_annotations
from .events import announced_node, service_events
from .model import Announce
from .pools import Pool

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


@dataclass(frozen=True)
class AnnounceResult:
    announce: Announce
    findings: tuple[Finding, ...]


def _labels(obj: object) -> dict[str, str]:
    return {k: v for k, v in dig_dict(obj, "metadata", "labels").items() if isinstance(k, str) and isinstance(v, str)}


def node_names(cluster: ClusterState, fallback: tuple[str, ...] = ()) -> tuple[str, ...]:
    names = tuple(name_of(n) for n in cluster.of("Node") if name_of(n))
    return names or tuple(dict.fromkeys(n for n in fallback if n))


def _node_selected(cluster: ClusterState, node: str, selectors: list[object], where: str) -> bool:
    if not selectors:
        return True
    labels = {**_labels(cluster.get("Node", "", node)), "kubernetes.io/hostname": node}
    return any(parse_selector(s, where, f"{where}.nodeSelectors[{i}]").matches(labels) is True
               for i, s in enumerate(selectors[:100]))


def advertisements(cluster: ClusterState, kind: str, pool: Pool) -> tuple[Obj, ...]:
    """The L2Advertisements or BGPAdvertisements that apply to `pool` (same namespace; by name,
    by pool selector, or every pool when neither is given)."""
    ns, _, name = pool.key.rpartition("/")
    out = []
    for adv in cluster.of(kind):
        if namespace_of(adv) != ns:
            continue
        names = [n for n in dig_list(adv, "spec", "ipAddressPools") if isinstance(n, str)]
        selectors = dig_list(adv, "spec", "ipAddressPoolSelectors")
        every = not names and not selectors
        if every or name in names or any(
                parse_selector(s, kind, "ipAddressPoolSelectors").matches(dict(pool.labels)) is True
                for s in selectors[:100]):
            out.append(adv)
    return tuple(out)


def _eligible(cluster: ClusterState, nodes: tuple[str, ...], advs: tuple[Obj, ...], kind: str) -> tuple[str, ...]:
    return tuple(n for n in nodes if any(_node_selected(cluster, n, dig_list(a, "spec", "nodeSelectors"), kind)
                                         for a in advs))


SPEAKER_LABELS = (("app.kubernetes.io/component", "speaker", "app.kubernetes.io/name", "metallb"),
                  ("component", "speaker", "app", "metallb"))


def speaker_nodes(cluster: ClusterState) -> tuple[str, ...] | None:
    """Nodes a MetalLB speaker pod runs on (Running, not being deleted); None when no speaker pod
    is in the state (then every node is assumed to run one, as the DaemonSet does). Read once
    per state: it walks every pod."""
    return cluster.memo(_speaker_nodes)


def _speaker_nodes(cluster: ClusterState) -> tuple[str, ...] | None:
    found: list[str] = []
    any_speaker = False
    for pod in cluster.of("Pod"):
        labels = _labels(pod)
        if not any(labels.get(k1) == v1 and labels.get(k2) == v2 for k1, v1, k2, v2 in SPEAKER_LABELS):
            continue
        any_speaker = True
        node = dig_str(pod, "spec", "nodeName")
        if node and dig_str(pod, "status", "phase") == "Running" and not dig_str(pod, "metadata", "deletionTimestamp"):
            found.append(node)
    return tuple(dict.fromkeys(found)) if any_speaker else None


def _network_unavailable(cluster: ClusterState, node: str) -> bool:
    return any(dig_str(c, "type") == "NetworkUnavailable" and dig_str(c, "status") == "True"
               for c in dig_list(cluster.get("Node", "", node), "status", "conditions"))


def layer2_candidates(cluster: ClusterState, nodes: tuple[str, ...], advs: tuple[Obj, ...]) -> tuple[str, ...]:
    """The nodes whose speaker may announce a layer-2 address (MetalLB's speakersForPool): a
    running speaker, the network available, not labelled to be left out of load balancers, and
    selected by an L2Advertisement of the pool."""
    speakers = speaker_nodes(cluster)
    return tuple(n for n in _eligible(cluster, nodes, advs, "L2Advertisement")
                 if (speakers is None or n in speakers) and not _network_unavailable(cluster, n)
                 and EXCLUDE_LABEL not in _labels(cluster.get("Node", "", n)))


def layer2_winner(candidates: tuple[str, ...], address: str) -> str | None:
    """MetalLB's layer-2 election: the candidate whose sha256(node + "#" + address) is lowest."""
    if not candidates:
        return None
    return min(candidates, key=lambda n: hashlib.sha256(f"{n}#{address}".encode()).digest())


def _serving_nodes(cluster: ClusterState, svc: Obj) -> tuple[str, ...]:
    """Nodes with an endpoint that can serve (serving, or ready when serving is unset)."""
    eps = service_index(cluster).endpoints(namespace_of(svc), name_of(svc))
    return tuple(dict.fromkeys(e.node for e in eps if e.conditions.serving and e.node))


def _l2_status_node(cluster: ClusterState, ns: str, name: str) -> tuple[str, str] | None:
    for obj in cluster.of("ServiceL2Status"):
        if dig_str(obj, "status", "serviceName") == name and dig_str(obj, "status", "serviceNamespace") == ns:
            node = dig_str(obj, "status", "node")
            if node:
                ifaces = [dig_str(i, "name") for i in dig_list(obj, "status", "interfaces") if dig_str(i, "name")]
                on = f" on {', '.join(ifaces)}" if ifaces else ""
                return node, f"ServiceL2Status {namespace_of(obj)}/{name_of(obj)}: node {node}{on}"
    return None


def _peers(cluster: ClusterState, pool: Pool, advs: tuple[Obj, ...], nodes: tuple[str, ...]) -> tuple[str, ...]:
    ns = pool.key.rpartition("/")[0]
    wanted = {n for a in advs for n in dig_list(a, "spec", "peers") if isinstance(n, str)}
    out = []
    for peer in cluster.of("BGPPeer"):
        if namespace_of(peer) != ns or (wanted and name_of(peer) not in wanted):
            continue
        sels = dig_list(peer, "spec", "nodeSelectors")
        if nodes and not any(_node_selected(cluster, n, sels, "BGPPeer") for n in nodes):
            continue
        asn = dig_dict(peer, "spec").get("peerASN")
        out.append(f"{namespace_of(peer)}/{name_of(peer)} {dig_str(peer, 'spec', 'peerAddress') or '?'}"
                   + (f" AS {asn}" if isinstance(asn, int) else ""))
    return tuple(out[:50])


def announce(cluster: ClusterState, svc: Obj, alloc: AllocationResult, endpoint_nodes: tuple[str, ...],
             local_policy: bool) -> AnnounceResult:
    """Where the LB address's traffic enters the cluster. `endpoint_nodes`: nodes with a ready endpoint."""
    ns, name = namespace_of(svc), name_of(svc)
    findings: list[Finding] = []
    allocator = alloc.allocation.allocator
    nodes = node_names(cluster, endpoint_nodes)
    if alloc.allocation.state != "allocated":
        return AnnounceResult(Announce("none", (), ("no address, so no node announces one",)), ())
    if allocator == "metallb" and alloc.pool is not None:
        return _metallb(cluster, svc, alloc.pool, nodes, endpoint_nodes, local_policy, findings)
    if allocator == "kube-vip":
        host = service_annotations(svc).get(KUBE_VIP_HOST, "")
        if host:
            return AnnounceResult(Announce("kube-vip", (host,), (f"annotation {KUBE_VIP_HOST}: {host}",)), ())
        return _unknown_one(nodes, endpoint_nodes, local_policy, "kube-vip", findings,
                            "kube-vip's leader for this address is not written on the Service")
    if allocator == "cilium-lb-ipam":
        return _unknown_one(nodes, endpoint_nodes, local_policy, "cilium-l2", findings,
                            "Cilium's L2 announcement leader is in a Lease (cilium-l2announce-"
                            f"{ns}-{name}) k8snet does not read; or BGP, if the cluster peers")
    if allocator == "cloud":
        targets = tuple(n for n in nodes if EXCLUDE_LABEL not in _labels(cluster.get("Node", "", n)))
        if local_policy:
            targets = tuple(n for n in targets if n in endpoint_nodes)
        why = ("the cloud load balancer's health check passes only on nodes with a ready endpoint"
               if local_policy else "the cloud load balancer sends to every node")
        return AnnounceResult(Announce("cloud", targets, (why,)), tuple(findings))
    # metallb without a pool we know, or an unknown allocator: any node may take it
    ev = _latest_event_node(cluster, ns, name)
    if ev is not None:
        return AnnounceResult(Announce("layer2" if ev[1] in ("", "layer2") else ev[1], (ev[0],), (ev[2],)), ())
    return _unknown_one(nodes, endpoint_nodes, local_policy, "unknown", findings,
                        "nothing in the objects read says which node answers for the address")


def _latest_event_node(cluster: ClusterState, ns: str, name: str) -> tuple[str, str, str] | None:
    for ev in reversed(service_events(cluster, ns, name)):
        got = announced_node(ev)
        if got is not None:
            when = f" ({ev.when})" if ev.when else ""
            return got[0], got[1], f"event nodeAssigned{when}: {ev.message}"
    return None


def _unknown_one(nodes: tuple[str, ...], endpoint_nodes: tuple[str, ...], local_policy: bool, mode: str,
                 findings: list[Finding], why: str) -> AnnounceResult:
    candidates = tuple(n for n in nodes if n in endpoint_nodes) if local_policy else nodes
    findings.append(Finding("info", "announcer-unknown",
                            f"{why}; the shares below are averaged over the {len(candidates)} node(s) that may"))
    return AnnounceResult(Announce(mode, (), (why,), (), candidates), tuple(findings))


def _metallb(cluster: ClusterState, svc: Obj, pool: Pool, nodes: tuple[str, ...], endpoint_nodes: tuple[str, ...],
             local_policy: bool, findings: list[Finding]) -> AnnounceResult:
    ns, name = namespace_of(svc), name_of(svc)
    l2 = advertisements(cluster, "L2Advertisement", pool)
    bgp = advertisements(cluster, "BGPAdvertisement", pool)
    if not l2 and not bgp:
        findings.append(Finding("warning", "pool-no-advertisement",
                                f"no L2Advertisement or BGPAdvertisement names pool {pool.key}: MetalLB allocates "
                                "the address but no node announces it, so nothing outside reaches it"))
        return AnnounceResult(Announce("none", (), (f"pool {pool.key} is not advertised",)), tuple(findings))
    if bgp and not l2:
        eligible = _eligible(cluster, nodes, bgp, "BGPAdvertisement")
        if local_policy:
            eligible = tuple(n for n in eligible if n in endpoint_nodes)
        peers = _peers(cluster, pool, bgp, eligible)
        why = (f"BGP: {len(eligible)} node(s) advertise it to {len(peers)} peer(s); the router spreads flows over "
               "them (ECMP, even as far as the cluster can say)")
        if not peers:
            findings.append(Finding("warning", "announcer-unknown", "BGP advertisement with no BGPPeer that applies"))
        return AnnounceResult(Announce("bgp", eligible, (why,), peers), tuple(findings))
    serving = _serving_nodes(cluster, svc)
    eligible = layer2_candidates(cluster, nodes, l2)
    if local_policy:
        eligible = tuple(n for n in eligible if n in serving)
    evidence: list[str] = []
    status = _l2_status_node(cluster, ns, name)
    event = _latest_event_node(cluster, ns, name)
    ips = lb_ingress_ips(svc)
    predicted = layer2_winner(eligible, ips[0]) if ips and serving else None
    chosen = status[0] if status else (event[0] if event else (predicted or ""))
    if status:
        evidence.append(status[1])
    if event:
        evidence.append(event[2])
    if status and event and status[0] != event[0]:
        findings.append(Finding("info", "announcer-moved",
                                f"the ServiceL2Status names {status[0]} and the newest event {event[0]}: the "
                                "announcement moved (the status is the current one)"))
    if not (status or event) and (not serving or not eligible):
        why = ("no endpoint can serve, so no MetalLB speaker announces the address" if not serving else
               "no node may announce it: none has a running speaker, its network up, no exclude-from-external-"
               "load-balancers label" + (" and a ready endpoint (Local)" if local_policy else "")
               + " and an L2Advertisement that selects it")
        if local_policy and serving:  # Local: the nodes with endpoints are not among those that may announce
            code = "local-no-endpoints-on-announcer"
            why = (f"externalTrafficPolicy Local: the endpoints are on {', '.join(serving)}, and no node "
                   "there may announce (no running speaker, its network down, the exclude-from-external-"
                   "load-balancers label, or no L2Advertisement selects it), so no node answers")
        else:
            code = "no-announcer"
        findings.append(Finding("warning", code, why))
        return AnnounceResult(Announce("layer2", (), (why,)), tuple(findings))
    if predicted is not None:
        among = ", ".join(eligible)
        if not (status or event):
            evidence.append(f"predicted: MetalLB's layer-2 election picks {predicted} (the lowest "
                            f"sha256 of node#{ips[0]} among {among}); no ServiceL2Status or event records it")
        elif chosen != predicted:
            findings.append(Finding("info", "announcer-not-predicted",
                                    f"{chosen} announces, where the election among {among} gives {predicted}: "
                                    "a speaker is down or not seen, or the nodes changed since"))
    if not chosen:
        return _unknown_one(nodes, endpoint_nodes, local_policy, "layer2", findings,
                            "no ServiceL2Status or nodeAssigned event names the announcing node")
    if local_policy and chosen not in endpoint_nodes:
        findings.append(Finding("warning", "local-no-endpoints-on-announcer",
                                f"externalTrafficPolicy Local and {chosen}, the announcing node, has no ready "
                                "endpoint: its kube-proxy drops the traffic"))
    if bgp:
        evidence.append("the pool is also advertised by BGP (not followed: layer 2 names one node)")
    return AnnounceResult(Announce("layer2", (chosen,), tuple(evidence), (), eligible), tuple(findings))
