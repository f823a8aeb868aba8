"""Will a connection be mTLS: the server's PeerAuthentication and the client's TLS, in words.

Server side (istio.io/latest/docs/reference/config/security/peer_authentication/ and the
concept page istio.io/latest/docs/concepts/security/#peer-authentication):
  - levels, most specific first: a policy with a workload selector in the pod's namespace, then
    the namespace's policy without a selector, then the mesh-wide one in the root namespace
    (istio-system); with none, PERMISSIVE. A selector on a policy in the root namespace is
    ignored. UNSET (or no `mtls`) inherits from the next level.
  - `portLevelMtls` counts only on a policy with a selector, and its key is the workload's
    port (the container port the Service's targetPort names), not the Service's.
  - several policies at one level: the oldest is used.
  - STRICT takes mTLS only, PERMISSIVE both, DISABLE plaintext only.
Client side (.../networking/destination-rule/#ClientTLSSettings and the auto mTLS part of the
concept page): the DestinationRule's tls mode, if set, decides (DISABLE plaintext, ISTIO_MUTUAL
the mesh's mTLS, SIMPLE / MUTUAL TLS with the rule's own settings); without one, auto mTLS
sends mTLS to a server with a sidecar (unless its PeerAuthentication is DISABLE) and plaintext
to one without. A pod without a proxy sends what the app sends: plaintext here.
Linkerd (linkerd.io/2/features/automatic-mtls/): between two meshed pods always mTLS; a pod
outside the mesh talks plaintext, which the server accepts unless its policy asks for identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Obj, dig, dig_dict, dig_str
from .objects import Decider, Verdict, age_key, decider, labels_of, match_labels, names

MODES = ("UNSET", "DISABLE", "PERMISSIVE", "STRICT")
TLS_MODES = ("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")


@dataclass(frozen=True, slots=True)
class ServerMode:
    mode: str  # STRICT / PERMISSIVE / DISABLE
    by: Decider
    findings: tuple[str, ...]


def _mode(raw: object, where: str, findings: list[str]) -> str:
    if raw is None:
        return "UNSET"
    text = str(raw).upper()
    if text not in MODES:
        findings.append(f"{where}: mode {str(raw)[:40]!r} is not one Istio knows (UNSET, DISABLE, "
                        "PERMISSIVE, STRICT): read as UNSET")
        return "UNSET"
    return text


def _selector(pa: Obj) -> dict[str, object] | None:
    raw = dig(pa, "spec", "selector", "matchLabels")
    if raw is None or raw == {}:
        return None
    return raw if isinstance(raw, dict) else {"\0": "\0"}


def peer_mode(policies: Sequence[Obj], pod: Obj, port: int | None, root_ns: str) -> ServerMode:
    """The PeerAuthentication mode that governs connections arriving at `pod` on `port`."""
    ns = dig_str(pod, "metadata", "namespace")
    labels = labels_of(pod)
    findings: list[str] = []
    workload: list[Obj] = []
    namespace: list[Obj] = []
    mesh: list[Obj] = []
    for pa in policies:
        pa_ns = dig_str(pa, "metadata", "namespace")
        sel = _selector(pa)
        if pa_ns == root_ns and sel is not None:
            if match_labels(sel, labels):
                findings.append(f"PeerAuthentication {pa_ns}/{dig_str(pa, 'metadata', 'name')} has a selector "
                                f"but lives in the root namespace {root_ns}: Istio ignores it")
            continue
        if pa_ns == root_ns:
            mesh.append(pa)
        if pa_ns != ns:
            continue
        if sel is None:
            if pa_ns != root_ns:
                namespace.append(pa)
        elif match_labels(sel, labels):
            workload.append(pa)
    chosen: list[tuple[str, Obj]] = []
    for level, group in (("workload", workload), ("namespace", namespace), ("mesh", mesh)):
        group.sort(key=age_key)
        if len(group) > 1:
            findings.append(f"{len(group)} {level}-level PeerAuthentications apply ({names(group)}): Istio uses the "
                            f"oldest, {names(group[:1])}")
        if group:
            chosen.append((level, group[0]))
    for level, pa in chosen:
        where = f"PeerAuthentication {names([pa])}"
        port_map = dig_dict(pa, "spec", "portLevelMtls")
        if port_map and level != "workload":
            findings.append(f"{where}: portLevelMtls without a workload selector is ignored by Istio")
        elif port is not None and str(port) in {str(k) for k in port_map}:
            raw = next(v for k, v in port_map.items() if str(k) == str(port))
            mode = _mode(dig(raw, "mode"), f"{where} portLevelMtls[{port}]", findings)
            if mode != "UNSET":
                return ServerMode(mode, decider(pa, f"spec.portLevelMtls[{port}]"), tuple(findings))
        mode = _mode(dig(pa, "spec", "mtls", "mode"), where, findings)
        if mode != "UNSET":
            return ServerMode(mode, decider(pa, f"spec.mtls.mode ({level})"), tuple(findings))
    return ServerMode("PERMISSIVE", Decider("", "", "", "no PeerAuthentication sets a mode: Istio's default PERMISSIVE"),
                      tuple(findings))


@dataclass(frozen=True, slots=True)
class ClientTls:
    """What the client's side sends: "mtls", "plaintext", "tls" (DR SIMPLE/MUTUAL) and why."""

    sends: str
    words: str
    by: Decider


def client_sends(client_mesh: str, server_mesh: str, server_mode: str, dr_tls: tuple[str, Decider] | None) -> ClientTls:
    """client_mesh/server_mesh: "istio", "linkerd", "" (no proxy); dr_tls: the DestinationRule's
    tls mode for this destination and port, with where it was set, or None."""
    if client_mesh == "":
        return ClientTls("plaintext", "the client has no proxy: it sends what the app sends (plaintext here)",
                         Decider("", "", "", "the client pod has no sidecar"))
    if client_mesh == "linkerd":
        if server_mesh == "linkerd":
            return ClientTls("mtls", "both pods are in Linkerd's mesh: Linkerd makes it mTLS by itself",
                             Decider("", "", "", "Linkerd automatic mTLS"))
        return ClientTls("plaintext", "the server is not in Linkerd's mesh: Linkerd's proxy sends plaintext",
                         Decider("", "", "", "Linkerd automatic mTLS"))
    if client_mesh != "istio":
        return ClientTls("plaintext", f"the client's mesh ({client_mesh}) is not one this reader follows",
                         Decider("", "", "", f"client mesh {client_mesh}"))
    if dr_tls is not None:
        mode, by = dr_tls
        if mode == "DISABLE":
            return ClientTls("plaintext", "the DestinationRule turns TLS off (DISABLE): the client's proxy sends plaintext", by)
        if mode == "ISTIO_MUTUAL":
            return ClientTls("mtls", "the DestinationRule asks for the mesh's mTLS (ISTIO_MUTUAL)", by)
        return ClientTls("tls", f"the DestinationRule originates TLS with its own settings ({mode}): not the "
                         "mesh's mTLS with Istio's certificates", by)
    auto = Decider("", "", "", "auto mTLS (no DestinationRule tls mode)")
    if server_mesh == "istio" and server_mode != "DISABLE":
        return ClientTls("mtls", "no DestinationRule sets TLS: auto mTLS sends mTLS to a server with a sidecar", auto)
    if server_mesh == "istio":
        return ClientTls("plaintext", "auto mTLS sends plaintext: the server's PeerAuthentication is DISABLE", auto)
    return ClientTls("plaintext", "auto mTLS sends plaintext: the server has no Istio sidecar", auto)


def connection(client: ClientTls, server_mesh: str, server: ServerMode | None) -> Verdict:
    """Client's offer against the server's acceptance, in words, with both deciders."""
    by = tuple(d for d in (client.by, server.by if server else None) if d is not None and d.rule)
    if server_mesh == "linkerd":
        if client.sends == "mtls":
            return Verdict("mtls", f"mTLS: {client.words}", by)
        return Verdict("plaintext", f"plaintext: {client.words}; Linkerd's proxy accepts it unless its "
                       "authorization asks for a mesh identity", by)
    if server_mesh != "istio" or server is None:
        if client.sends == "mtls":
            return Verdict("refused", f"fails: {client.words}, but the server has no sidecar to end it "
                           "(the app receives TLS bytes)", by)
        return Verdict(client.sends, f"{client.sends}: {client.words}; the server has no sidecar and takes "
                       "what arrives", by)
    mode = server.mode
    if client.sends == "mtls":
        if mode == "DISABLE":
            return Verdict("refused", f"fails: {client.words}, but the server's PeerAuthentication is DISABLE "
                           "(plaintext only)", by)
        return Verdict("mtls", f"mTLS: {client.words}; the server ({mode}) accepts it", by)
    if client.sends == "plaintext":
        if mode == "STRICT":
            return Verdict("refused", f"refused: {client.words}, and the server is STRICT (mTLS only)", by)
        return Verdict("plaintext", f"plaintext: {client.words}; the server ({mode}) accepts plaintext", by)
    if mode == "STRICT":
        return Verdict("refused", f"refused: {client.words}; a STRICT server expects Istio's mTLS", by)
    return Verdict("tls", f"TLS but not mTLS: {client.words}; the server ({mode}) passes it to the app as it is", by)


def tls_mode(raw: object, where: str, findings: list[str]) -> str | None:
    """A DestinationRule tls mode, checked: None for unset."""
    if raw is None:
        return None
    text = str(raw).upper()
    if text not in TLS_MODES:
        findings.append(f"{where}: tls mode {str(raw)[:40]!r} is not one Istio knows (DISABLE, SIMPLE, MUTUAL, "
                        "ISTIO_MUTUAL): ignored")
        return None
    return text
