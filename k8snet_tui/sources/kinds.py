"""The API kinds the explorer reads, where they live, and which panes need them.

One table drives the live watchers, `k8snet capture`, and the "forbidden: list pods" marks on
panes. Optional kinds (CRDs such as Emissary's or Cilium's) are simply absent when the cluster
does not serve them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool = True
    optional: bool = False  # a CRD or a newer API that may not be served
    panes: tuple[str, ...] = ()
    # Read only these objects (namespace, name), one by one with a field selector, never the
    # kind at large: for ConfigMaps, whose other members are none of our business.
    only: tuple[tuple[str, str], ...] = ()
    # A field selector the API server applies to every list and watch of the kind (Events: only
    # those about Services), so the rest never leaves the server.
    field_selector: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{root}/namespaces/{namespace}/{self.plural}"
        return f"{root}/{self.plural}"


# ConfigMaps that describe the network, all in kube-system where kubeadm, CoreDNS, kube-proxy and
# Cilium's default install put them (and where the panes look). Live mode and `k8snet capture`
# read these and no other ConfigMap: others may hold secrets by mistake, and are none of our business.
NETWORK_CONFIGMAPS = frozenset(
    {"cilium-config", "coredns", "kube-proxy", "kubelet-config", "kubeadm-config"}
)

KINDS: tuple[Kind, ...] = (
    Kind("Node", "", "v1", "nodes", namespaced=False, panes=("host", "pods", "services", "ingress")),
    Kind("Namespace", "", "v1", "namespaces", namespaced=False, panes=("dns",)),
    Kind("Pod", "", "v1", "pods", panes=("pods", "services", "dns", "ingress")),
    Kind("Service", "", "v1", "services", panes=("services", "dns", "ingress")),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", panes=("services", "dns", "ingress")),
    Kind("ConfigMap", "", "v1", "configmaps", panes=("pods", "services", "dns"),
         only=tuple(("kube-system", name) for name in sorted(NETWORK_CONFIGMAPS))),
    Kind("DaemonSet", "apps", "v1", "daemonsets", panes=("pods",)),
    Kind("StatefulSet", "apps", "v1", "statefulsets", panes=("dns",)),
    Kind("Ingress", "networking.k8s.io", "v1", "ingresses", panes=("ingress",)),
    Kind("IngressClass", "networking.k8s.io", "v1", "ingressclasses", namespaced=False, panes=("ingress",)),
    Kind("ServiceCIDR", "networking.k8s.io", "v1", "servicecidrs", namespaced=False, optional=True,
         panes=("services",)),
    Kind("Gateway", "gateway.networking.k8s.io", "v1", "gateways", optional=True, panes=("ingress",)),
    Kind("HTTPRoute", "gateway.networking.k8s.io", "v1", "httproutes", optional=True, panes=("ingress",)),
    Kind("Mapping", "getambassador.io", "v3alpha1", "mappings", optional=True, panes=("ingress",)),
    Kind("Listener", "getambassador.io", "v3alpha1", "listeners", optional=True, panes=("ingress",)),
    Kind("Host", "getambassador.io", "v3alpha1", "hosts", optional=True, panes=("ingress",)),
    Kind("CiliumNode", "cilium.io", "v2", "ciliumnodes", namespaced=False, optional=True, panes=("pods",)),
    Kind("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", panes=("policy",)),
    # LoadBalancer address pools and who announces them (pane 9); the Events are the ones about
    # Services (MetalLB's "announcing from node", IP allocation, cloud load-balancer sync).
    Kind("IPAddressPool", "metallb.io", "v1beta1", "ipaddresspools", optional=True, panes=("balancing",)),
    Kind("L2Advertisement", "metallb.io", "v1beta1", "l2advertisements", optional=True, panes=("balancing",)),
    Kind("BGPAdvertisement", "metallb.io", "v1beta1", "bgpadvertisements", optional=True, panes=("balancing",)),
    Kind("BGPPeer", "metallb.io", "v1beta2", "bgppeers", optional=True, panes=("balancing",)),
    Kind("ServiceL2Status", "metallb.io", "v1beta1", "servicel2statuses", optional=True, panes=("balancing",)),
    Kind("CiliumLoadBalancerIPPool", "cilium.io", "v2alpha1", "ciliumloadbalancerippools", namespaced=False,
         optional=True, panes=("balancing",)),
    Kind("Event", "", "v1", "events", optional=True, panes=("balancing",),
         field_selector="involvedObject.kind=Service"),
    # Istio's mesh configuration, joined to Services by pane 0 (its Gateway kind is left out: the name
    # is Gateway API's here).
    Kind("PeerAuthentication", "security.istio.io", "v1", "peerauthentications", optional=True, panes=("mesh",)),
    Kind("AuthorizationPolicy", "security.istio.io", "v1", "authorizationpolicies", optional=True, panes=("mesh",)),
    Kind("DestinationRule", "networking.istio.io", "v1", "destinationrules", optional=True, panes=("mesh",)),
    Kind("VirtualService", "networking.istio.io", "v1", "virtualservices", optional=True, panes=("mesh",)),
    # Gateway API's GRPCRoute (a Service parentRef is a mesh route, GAMMA) and Linkerd's policy kinds.
    # Linkerd's AuthorizationPolicy and HTTPRoute share their kind names with Istio's and Gateway
    # API's: each is watched on its own and kept as its own part of the kind (`store_part`), and the
    # readers tell the two apart by apiVersion, as they do in snapshots.
    Kind("GRPCRoute", "gateway.networking.k8s.io", "v1", "grpcroutes", optional=True, panes=("mesh",)),
    Kind("AuthorizationPolicy", "policy.linkerd.io", "v1alpha1", "authorizationpolicies", optional=True,
         panes=("mesh",)),
    Kind("HTTPRoute", "policy.linkerd.io", "v1beta3", "httproutes", optional=True, panes=("mesh",)),
    Kind("Server", "policy.linkerd.io", "v1beta3", "servers", optional=True, panes=("mesh",)),
    Kind("MeshTLSAuthentication", "policy.linkerd.io", "v1alpha1", "meshtlsauthentications", optional=True,
         panes=("mesh",)),
    Kind("NetworkAuthentication", "policy.linkerd.io", "v1alpha1", "networkauthentications", optional=True,
         panes=("mesh",)),
    # Recognised and listed by the policy pane, not evaluated (a verdict they touch is incomplete).
    Kind("AdminNetworkPolicy", "policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies",
         namespaced=False, optional=True, panes=("policy",)),
    Kind("BaselineAdminNetworkPolicy", "policy.networking.k8s.io", "v1alpha1",
         "baselineadminnetworkpolicies", namespaced=False, optional=True, panes=("policy",)),
    Kind("CiliumNetworkPolicy", "cilium.io", "v2", "ciliumnetworkpolicies", optional=True, panes=("policy",)),
    Kind("CiliumClusterwideNetworkPolicy", "cilium.io", "v2", "ciliumclusterwidenetworkpolicies",
         namespaced=False, optional=True, panes=("policy",)),
    # Calico's pools say whether its pods are tunnelled (the consistency check compares that with
    # the node's devices and routes).
    Kind("IPPool", "crd.projectcalico.org", "v1", "ippools", namespaced=False, optional=True, panes=("pods",)),
)

# A bare kind name means the first entry of that name (Istio's AuthorizationPolicy, Gateway API's
# HTTPRoute); (group, kind) names each entry.
BY_NAME: dict[str, Kind] = {}
for _k in KINDS:
    BY_NAME.setdefault(_k.kind, _k)
BY_GROUP_KIND = {(k.group, k.kind): k for k in KINDS}
_SHARED_NAMES = frozenset(k.kind for k in KINDS if BY_NAME[k.kind] is not k)
del _k

# apiVersion/kind a typed List's items lack (`ServiceList` items carry neither): from the list's kind.
LIST_KINDS = {f"{k.kind}List": k for k in BY_NAME.values()}


def store_part(kind: Kind, namespace: str | None = None, name: str = "") -> str:
    """The part of the store a watcher of `kind` keeps its objects in: namespace/name for a kind
    read object by object, the API group for a kind whose name another group shares (so one
    group's re-list never drops the other's objects), else "" (the kind as a whole)."""
    if name:
        return f"{namespace or ''}/{name}"
    return kind.group if kind.kind in _SHARED_NAMES else ""


def read_scopes(kind: Kind, namespace: str | None) -> tuple[tuple[str | None, str], ...]:
    """Where `kind` is listed and watched: (namespace or None for cluster-wide, object name or "").

    `namespace` is the user's -n; kinds limited to named objects are read where those live.
    """
    if kind.only:
        return kind.only
    return ((namespace if kind.namespaced else None, ""),)


def panes_needing(kind: str) -> tuple[str, ...]:
    k = BY_NAME.get(kind)
    return k.panes if k else ()
