"""What is kept of each API object: an allow-list per kind, everything else dropped.

A snapshot is sent to other people, so `k8snet capture` writes only the fields the panes read
(names, labels, selectors, ports, IPs, conditions, owner references, the networking annotations
each controller defines) and nothing it merely happened to receive: container commands,
environment, probes, volumes, arbitrary annotations, header values a route adds. A field not
named here is dropped, so a new field in a new Kubernetes release is dropped too until someone
decides it is needed. Kinds with no entry are not kept at all; Secrets have none.

The table is plain data, read by `slim()`, so the live store can slim objects the same way at
ingest. Spec forms:

- `KEEP`: a JSON scalar, or a list of scalars (anything deeper becomes None);
- `WHOLE`: the subtree as it is, for an object every field of which is networking and read,
  unknown fields included (a NetworkPolicy spec: the policy pane reports what it does not know);
- a dict `{key: spec}`: only those keys, each by its spec;
- a one-element list `[spec]`: a list, every item by `spec`;
- `Map(spec, keys)`: a string-keyed map (labels, annotations), only `keys` when given;
- `Flags(names)`: command-line words; only `--name=value` / `--name value` of those flags.

A value of the wrong shape becomes None where it stood (a list keeps its length, so positions
such as `rules[2]` in findings stay the same), which every reader already treats as absent.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Spec = Any  # KEEP | dict | list | Map | Flags (a recursive union mypy cannot spell here)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


class _Whole:
    def __repr__(self) -> str:
        return "WHOLE"


WHOLE = _Whole()


@dataclass(frozen=True)
class Map:
    """A map with any string keys (or only `keys`), every value by `value`."""

    value: Spec = KEEP
    keys: frozenset[str] | None = None


@dataclass(frozen=True)
class Flags:
    """Container `command`/`args` words: only the listed `--flag` options and their values."""

    names: frozenset[str]


# -- shared pieces ----------------------------------------------------------------------------------

SELECTOR = {"matchLabels": Map(), "matchExpressions": [{"key": KEEP, "operator": KEEP, "values": KEEP}]}
CONDITIONS = [{"type": KEEP, "status": KEEP, "reason": KEEP, "message": KEEP}]
OWNER_REFERENCES = [{"apiVersion": KEEP, "kind": KEEP, "name": KEEP, "uid": KEEP, "controller": KEEP}]
LB_STATUS = {"ingress": [{"ip": KEEP, "hostname": KEEP, "ipMode": KEEP,
                          "ports": [{"port": KEEP, "protocol": KEEP}]}]}

# Annotations each controller defines that change where traffic goes. Values are short settings,
# never credentials; any other annotation (free text, whole embedded configs such as
# `getambassador.io/config` or kubectl's last-applied-configuration) is dropped.
POD_ANNOTATIONS = frozenset({
    "sidecar.istio.io/inject",  # Istio: inject the proxy into this pod
    "linkerd.io/inject",  # Linkerd: enabled | disabled | ingress
    "config.linkerd.io/skip-inbound-ports", "config.linkerd.io/skip-outbound-ports",
    "traffic.sidecar.istio.io/includeInboundPorts", "traffic.sidecar.istio.io/excludeInboundPorts",
    "traffic.sidecar.istio.io/excludeOutboundPorts", "traffic.sidecar.istio.io/excludeOutboundIPRanges",
    # pane 0: what shapes a sidecar's redirect rules, and who injected it with which proxy
    "traffic.sidecar.istio.io/includeOutboundIPRanges", "traffic.sidecar.istio.io/includeOutboundPorts",
    "traffic.sidecar.istio.io/excludeInterfaces", "sidecar.istio.io/interceptionMode", "sidecar.istio.io/status",
    "status.sidecar.istio.io/port", "linkerd.io/proxy-version", "policy.cilium.io/proxy-visibility",
    "kubernetes.io/ingress-bandwidth", "kubernetes.io/egress-bandwidth",  # the bandwidth CNI plugin
    "k8s.v1.cni.cncf.io/networks", "k8s.v1.cni.cncf.io/network-status",  # Multus: extra interfaces
    "cni.projectcalico.org/podIP", "cni.projectcalico.org/podIPs", "cni.projectcalico.org/ipv4pools",
    "v1.multus-cni.io/default-network",
})
NAMESPACE_ANNOTATIONS = frozenset({
    "linkerd.io/inject",
    "scheduler.alpha.kubernetes.io/node-selector",
})
SERVICE_ANNOTATIONS = frozenset({
    "service.kubernetes.io/topology-mode",  # topology aware routing (Auto)
    "service.kubernetes.io/topology-aware-hints",  # its pre-1.27 name
    "service.alpha.kubernetes.io/tolerate-unready-endpoints",
    "service.beta.kubernetes.io/aws-load-balancer-type", "service.beta.kubernetes.io/aws-load-balancer-scheme",
    "service.beta.kubernetes.io/aws-load-balancer-internal",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type",
    "service.beta.kubernetes.io/azure-load-balancer-internal",
    "networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type",
    "cloud.google.com/neg",
    "metallb.universe.tf/address-pool", "metallb.universe.tf/loadBalancerIPs",
    "metallb.universe.tf/allow-shared-ip",
    "metallb.io/address-pool", "metallb.io/loadBalancerIPs", "metallb.io/allow-shared-ip",  # MetalLB 0.14 names
    "metallb.universe.tf/ip-allocated-from-pool", "metallb.io/ip-allocated-from-pool",  # set by its controller
    "lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips", "lbipam.cilium.io/sharing-key",  # Cilium LB IPAM
    "kube-vip.io/loadbalancerIPs", "kube-vip.io/vipHost",  # kube-vip: asked-for address, announcing node
    "io.cilium/global-service", "service.cilium.io/global",
})
INGRESS_ANNOTATIONS = frozenset({
    "kubernetes.io/ingress.class",  # the class before spec.ingressClassName
    "nginx.ingress.kubernetes.io/rewrite-target", "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/app-root", "nginx.ingress.kubernetes.io/ssl-redirect",
    "nginx.ingress.kubernetes.io/force-ssl-redirect", "nginx.ingress.kubernetes.io/backend-protocol",
    "nginx.ingress.kubernetes.io/canary", "nginx.ingress.kubernetes.io/canary-weight",
    "traefik.ingress.kubernetes.io/router.entrypoints", "traefik.ingress.kubernetes.io/router.tls",
    "traefik.ingress.kubernetes.io/router.priority",
    "alb.ingress.kubernetes.io/scheme", "alb.ingress.kubernetes.io/target-type",
    "alb.ingress.kubernetes.io/group.name",
    "getambassador.io/ambassador-id",
})
INGRESS_CLASS_ANNOTATIONS = frozenset({"ingressclass.kubernetes.io/is-default-class"})
NODE_ANNOTATIONS = frozenset({
    "flannel.alpha.coreos.com/public-ip", "flannel.alpha.coreos.com/backend-type",
    "projectcalico.org/IPv4Address", "projectcalico.org/IPv4IPIPTunnelAddr",
    "projectcalico.org/IPv4VXLANTunnelAddr", "projectcalico.org/IPv6Address",
    "io.cilium.network.ipv4-cilium-host", "io.cilium.network.ipv4-pod-cidr",
    "alpha.kubernetes.io/provided-node-ip",
})


def metadata(annotations: frozenset[str] = frozenset()) -> dict[str, Spec]:
    spec: dict[str, Spec] = {
        "name": KEEP, "namespace": KEEP, "uid": KEEP, "generateName": KEEP,
        "resourceVersion": KEEP,  # watches resume from it
        "creationTimestamp": KEEP,  # route precedence ties are broken by age
        "labels": Map(),  # selectors may name any label
        "ownerReferences": OWNER_REFERENCES,
    }
    if annotations:
        spec["annotations"] = Map(KEEP, annotations)
    return spec


# The flags the panes read from control-plane pods (kube-apiserver, kube-controller-manager).
NETWORK_FLAGS = Flags(frozenset({
    "service-cluster-ip-range", "cluster-cidr", "allocate-node-cidrs",
    "node-cidr-mask-size", "node-cidr-mask-size-ipv4", "node-cidr-mask-size-ipv6",
}))

CONTAINER = {
    "name": KEEP,
    "image": KEEP,  # how a CNI or an ingress controller is recognised
    "ports": [{"name": KEEP, "containerPort": KEEP, "protocol": KEEP, "hostPort": KEEP, "hostIP": KEEP}],
    "command": NETWORK_FLAGS, "args": NETWORK_FLAGS,
    "restartPolicy": KEEP,  # an init container with Always is a native sidecar (Istio's istio-proxy)
}
POD_SPEC = {
    "nodeName": KEEP, "hostNetwork": KEEP, "hostname": KEEP, "subdomain": KEEP,
    "dnsPolicy": KEEP,
    "dnsConfig": {"nameservers": KEEP, "searches": KEEP, "options": [{"name": KEEP, "value": KEEP}]},
    "setHostnameAsFQDN": KEEP,
    "serviceAccountName": KEEP,  # a meshed pod's identity: mTLS principals, Linkerd's MeshTLSAuthentication
    "containers": [CONTAINER], "initContainers": [CONTAINER],
}
POD_TEMPLATE = {"metadata": {"labels": Map(), "annotations": Map(KEEP, POD_ANNOTATIONS)}, "spec": POD_SPEC}

BACKEND = {
    "service": {"name": KEEP, "port": {"name": KEEP, "number": KEEP}},
    "resource": {"apiGroup": KEEP, "kind": KEEP, "name": KEEP},
    "serviceName": KEEP, "servicePort": KEEP,  # networking.k8s.io/v1beta1
}
PARENT_REF = {"group": KEEP, "kind": KEEP, "namespace": KEEP, "name": KEEP, "sectionName": KEEP, "port": KEEP}
HTTP_PATH = {"type": KEEP, "replaceFullPath": KEEP, "replacePrefixMatch": KEEP}
BACKEND_REF = {"group": KEEP, "kind": KEEP, "namespace": KEEP, "name": KEEP, "port": KEEP, "weight": KEEP}
# Istio's and Linkerd's shapes the mesh configuration reads (pane 0).
STRING_MATCH = {"exact": KEEP, "prefix": KEEP, "regex": KEEP}
HTTP_MATCH = {"name": KEEP, "uri": STRING_MATCH, "scheme": STRING_MATCH, "method": STRING_MATCH,
              "authority": STRING_MATCH, "headers": Map(STRING_MATCH), "withoutHeaders": Map(STRING_MATCH),
              "queryParams": Map(STRING_MATCH), "port": KEEP, "sourceLabels": Map(), "sourceNamespace": KEEP,
              "gateways": KEEP, "ignoreUriCase": KEEP}
L4_MATCH = {"port": KEEP, "destinationSubnets": KEEP, "sourceLabels": Map(), "sniHosts": KEEP, "gateways": KEEP,
            "sourceNamespace": KEEP}
MESH_DESTINATION = {"host": KEEP, "subset": KEEP, "port": {"number": KEEP}}
LOAD_BALANCER = {"simple": KEEP, "consistentHash": {"httpHeaderName": KEEP, "httpCookie": {"name": KEEP, "ttl": KEEP},
                                                    "useSourceIp": KEEP, "httpQueryParameterName": KEEP}}
CLIENT_TLS = {"mode": KEEP, "sni": KEEP}
TRAFFIC_POLICY = {"loadBalancer": LOAD_BALANCER, "tls": CLIENT_TLS,
                  "portLevelSettings": [{"port": {"number": KEEP}, "loadBalancer": LOAD_BALANCER, "tls": CLIENT_TLS}]}
AUTHZ_SOURCE = frozenset({"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
                          "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks",
                          "serviceAccounts", "notServiceAccounts"})
AUTHZ_OPERATION = frozenset({"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"})
MESH_REF = {"group": KEEP, "kind": KEEP, "name": KEEP, "namespace": KEEP}

# -- the table -----------------------------------------------------------------------------------------

ALLOWED: Mapping[str, dict[str, Spec]] = {
    "Node": {
        "metadata": metadata(NODE_ANNOTATIONS),
        "spec": {"podCIDR": KEEP, "podCIDRs": KEEP},
        "status": {"addresses": [{"type": KEEP, "address": KEEP}], "conditions": CONDITIONS},
    },
    "Namespace": {"metadata": metadata(NAMESPACE_ANNOTATIONS), "status": {"phase": KEEP}},
    "Pod": {
        "metadata": metadata(POD_ANNOTATIONS),
        "spec": POD_SPEC,
        "status": {"phase": KEEP, "podIP": KEEP, "podIPs": [{"ip": KEEP}], "hostIP": KEEP,
                   "hostIPs": [{"ip": KEEP}], "conditions": CONDITIONS},
    },
    "Service": {
        "metadata": metadata(SERVICE_ANNOTATIONS),
        "spec": {
            "type": KEEP, "selector": Map(), "clusterIP": KEEP, "clusterIPs": KEEP,
            "ports": [{"name": KEEP, "protocol": KEEP, "appProtocol": KEEP, "port": KEEP,
                       "targetPort": KEEP, "nodePort": KEEP}],
            "externalIPs": KEEP, "externalName": KEEP, "loadBalancerIP": KEEP, "loadBalancerClass": KEEP,
            "loadBalancerSourceRanges": KEEP, "externalTrafficPolicy": KEEP, "internalTrafficPolicy": KEEP,
            "healthCheckNodePort": KEEP, "publishNotReadyAddresses": KEEP, "sessionAffinity": KEEP,
            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": KEEP}},
            "ipFamilies": KEEP, "ipFamilyPolicy": KEEP, "allocateLoadBalancerNodePorts": KEEP,
            "trafficDistribution": KEEP,
        },
        "status": {"loadBalancer": LB_STATUS, "conditions": CONDITIONS},
    },
    "EndpointSlice": {
        "metadata": metadata(),
        "addressType": KEEP,
        "endpoints": [{
            "addresses": KEEP, "hostname": KEEP, "nodeName": KEEP, "zone": KEEP,
            "conditions": {"ready": KEEP, "serving": KEEP, "terminating": KEEP},
            "targetRef": {"kind": KEEP, "namespace": KEEP, "name": KEEP, "uid": KEEP},
            "hints": {"forZones": [{"name": KEEP}], "forNodes": [{"name": KEEP}]},
        }],
        "ports": [{"name": KEEP, "protocol": KEEP, "port": KEEP, "appProtocol": KEEP}],
    },
    "ConfigMap": {"metadata": metadata()},  # data: by NETWORK_CONFIGMAPS, below
    "DaemonSet": {"metadata": metadata(), "spec": {"selector": SELECTOR, "template": POD_TEMPLATE}},
    "StatefulSet": {
        "metadata": metadata(),
        "spec": {"serviceName": KEEP, "replicas": KEEP, "selector": SELECTOR, "template": POD_TEMPLATE},
    },
    "Ingress": {
        "metadata": metadata(INGRESS_ANNOTATIONS),
        "spec": {
            "ingressClassName": KEEP, "defaultBackend": BACKEND, "backend": BACKEND,
            "tls": [{"hosts": KEEP, "secretName": KEEP}],
            "rules": [{"host": KEEP, "http": {"paths": [{"path": KEEP, "pathType": KEEP, "backend": BACKEND}]}}],
        },
        "status": {"loadBalancer": LB_STATUS},
    },
    "IngressClass": {
        "metadata": metadata(INGRESS_CLASS_ANNOTATIONS),
        "spec": {"controller": KEEP,
                 "parameters": {"apiGroup": KEEP, "kind": KEEP, "name": KEEP, "namespace": KEEP, "scope": KEEP}},
    },
    "ServiceCIDR": {"metadata": metadata(), "spec": {"cidrs": KEEP}, "status": {"conditions": CONDITIONS}},
    "Gateway": {
        "metadata": metadata(),
        "spec": {
            "gatewayClassName": KEEP,
            "listeners": [{
                "name": KEEP, "hostname": KEEP, "port": KEEP, "protocol": KEEP,
                "allowedRoutes": {"namespaces": {"from": KEEP, "selector": SELECTOR},
                                  "kinds": [{"group": KEEP, "kind": KEEP}]},
                "tls": {"mode": KEEP},
            }],
            "addresses": [{"type": KEEP, "value": KEEP}],
        },
        "status": {"addresses": [{"type": KEEP, "value": KEEP}], "conditions": CONDITIONS,
                   "listeners": [{"name": KEEP, "attachedRoutes": KEEP, "conditions": CONDITIONS}]},
    },
    "HTTPRoute": {
        "metadata": metadata(),
        "spec": {
            "parentRefs": [PARENT_REF],
            "hostnames": KEEP,
            "rules": [{
                # Header and query *matches* decide where a request goes, so they stay; the values
                # filters *add or set* (RequestHeaderModifier, ...) are dropped: only a filter's type is kept.
                "matches": [{"path": {"type": KEEP, "value": KEEP},
                             "headers": [{"type": KEEP, "name": KEEP, "value": KEEP}],
                             "queryParams": [{"type": KEEP, "name": KEEP, "value": KEEP}],
                             "method": KEEP}],
                "filters": [{"type": KEEP,
                             "urlRewrite": {"hostname": KEEP, "path": HTTP_PATH},
                             "requestRedirect": {"scheme": KEEP, "hostname": KEEP, "port": KEEP,
                                                 "statusCode": KEEP, "path": HTTP_PATH}}],
                "backendRefs": [BACKEND_REF],
            }],
        },
        "status": {"parents": [{"parentRef": PARENT_REF, "controllerName": KEEP, "conditions": CONDITIONS}]},
    },
    "Mapping": {
        "metadata": metadata(),
        # Matches (headers, query parameters) stay; add_request_headers, add_response_headers,
        # auth and everything else a Mapping can carry is dropped.
        "spec": {
            "prefix": KEEP, "prefix_regex": KEEP, "prefix_exact": KEEP, "hostname": KEEP, "host": KEEP,
            "host_regex": KEEP, "rewrite": KEEP, "regex_rewrite": {"pattern": KEEP, "substitution": KEEP},
            "service": KEEP, "weight": KEEP, "precedence": KEEP, "method": KEEP,
            "headers": Map(), "regex_headers": Map(),
            "query_parameters": Map(), "regex_query_parameters": Map(),
            "ambassador_id": KEEP,
        },
    },
    "Listener": {
        "metadata": metadata(),
        "spec": {"port": KEEP, "protocol": KEEP, "protocolStack": KEEP, "securityModel": KEEP, "l7Depth": KEEP,
                 "hostBinding": {"namespace": {"from": KEEP}, "selector": SELECTOR}, "ambassador_id": KEEP},
    },
    "Host": {
        "metadata": metadata(),
        "spec": {"hostname": KEEP, "ambassador_id": KEEP,
                 "requestPolicy": {"insecure": {"action": KEEP, "additionalPort": KEEP}},
                 "tlsSecret": {"name": KEEP},
                 "tls": Map()},  # TLS settings (versions, ALPN, file paths); the pane asks only whether any exist
    },
    # Listed by the policy pane, not evaluated: their rules (Cilium's may hold L7 header values) stay out.
    "AdminNetworkPolicy": {"metadata": metadata(), "spec": {"priority": KEEP}},
    "BaselineAdminNetworkPolicy": {"metadata": metadata()},
    "CiliumNetworkPolicy": {"metadata": metadata()},
    "CiliumClusterwideNetworkPolicy": {"metadata": metadata()},
    "CiliumNode": {
        "metadata": metadata(),
        "spec": {"addresses": [{"type": KEEP, "ip": KEEP}], "ipam": {"podCIDRs": KEEP}},
    },
    # Pools, advertisements and status of LoadBalancer addresses (pane 9): ranges, selectors, the
    # announcing node; BGP peers without their passwords (only address, ASNs, node selectors).
    "IPAddressPool": {
        "metadata": metadata(),
        "spec": {"addresses": KEEP, "autoAssign": KEEP, "avoidBuggyIPs": KEEP,
                 "serviceAllocation": {"priority": KEEP, "namespaces": KEEP, "namespaceSelectors": [SELECTOR],
                                       "serviceSelectors": [SELECTOR]}},
    },
    "L2Advertisement": {
        "metadata": metadata(),
        "spec": {"ipAddressPools": KEEP, "ipAddressPoolSelectors": [SELECTOR], "nodeSelectors": [SELECTOR],
                 "interfaces": KEEP},
    },
    "BGPAdvertisement": {
        "metadata": metadata(),
        "spec": {"ipAddressPools": KEEP, "ipAddressPoolSelectors": [SELECTOR], "nodeSelectors": [SELECTOR],
                 "peers": KEEP, "aggregationLength": KEEP, "aggregationLengthV6": KEEP},
    },
    "BGPPeer": {
        "metadata": metadata(),
        "spec": {"peerAddress": KEEP, "peerASN": KEEP, "myASN": KEEP, "peerPort": KEEP, "nodeSelectors": [SELECTOR]},
    },
    "ServiceL2Status": {
        "metadata": metadata(),
        "status": {"node": KEEP, "serviceName": KEEP, "serviceNamespace": KEEP, "interfaces": [{"name": KEEP}]},
    },
    "CiliumLoadBalancerIPPool": {
        "metadata": metadata(),
        "spec": {"blocks": [{"cidr": KEEP, "start": KEEP, "stop": KEEP}], "cidrs": [{"cidr": KEEP}],
                 "disabled": KEEP, "serviceSelector": SELECTOR},
    },
    # Calico's pools: the tunnel modes the consistency check compares with the node.
    "IPPool": {"metadata": metadata(),
               "spec": {"cidr": KEEP, "ipipMode": KEEP, "vxlanMode": KEEP, "natOutgoing": KEEP, "disabled": KEEP,
                        "blockSize": KEEP, "nodeSelector": KEEP}},
    # Istio's mesh configuration (pane 0): modes, hosts, subsets, routes and weights, spelled out to
    # the leaves (KEEP keeps scalars and lists of them only: a map under KEEP would be dropped).
    # Header values a route sets, JWT rules and TLS file paths are not kept; match values, and
    # AuthorizationPolicy's principals, namespaces, ports, methods and paths, are (none is a secret).
    "PeerAuthentication": {"metadata": metadata(),
                           "spec": {"selector": {"matchLabels": Map()}, "mtls": {"mode": KEEP},
                                    "portLevelMtls": Map({"mode": KEEP})}},
    "AuthorizationPolicy": {"metadata": metadata(),
                            "spec": {"selector": {"matchLabels": Map()}, "targetRefs": [MESH_REF], "action": KEEP,
                                     "provider": {"name": KEEP},
                                     "rules": [{"from": [{"source": Map(KEEP, AUTHZ_SOURCE)}],
                                                "to": [{"operation": Map(KEEP, AUTHZ_OPERATION)}],
                                                "when": [{"key": KEEP, "values": KEEP, "notValues": KEEP}]}],
                                     # Linkerd's AuthorizationPolicy (policy.linkerd.io) has the same kind name
                                     "targetRef": MESH_REF, "requiredAuthenticationRefs": [MESH_REF]}},
    "DestinationRule": {"metadata": metadata(),
                        "spec": {"host": KEEP, "exportTo": KEEP, "workloadSelector": {"matchLabels": Map()},
                                 "trafficPolicy": TRAFFIC_POLICY,
                                 "subsets": [{"name": KEEP, "labels": Map(), "trafficPolicy": TRAFFIC_POLICY}]}},
    "VirtualService": {"metadata": metadata(),
                       "spec": {"hosts": KEEP, "gateways": KEEP, "exportTo": KEEP,
                                "http": [{"name": KEEP, "match": [HTTP_MATCH],
                                          "route": [{"destination": MESH_DESTINATION, "weight": KEEP}],
                                          "timeout": KEEP,
                                          "retries": {"attempts": KEEP, "perTryTimeout": KEEP, "retryOn": KEEP},
                                          "fault": {"delay": {"fixedDelay": KEEP, "percentage": {"value": KEEP}},
                                                    "abort": {"httpStatus": KEEP, "grpcStatus": KEEP,
                                                              "percentage": {"value": KEEP}}},
                                          "mirror": MESH_DESTINATION, "directResponse": {"status": KEEP},
                                          "redirect": {"uri": KEEP, "authority": KEEP, "port": KEEP, "scheme": KEEP,
                                                       "redirectCode": KEEP},
                                          "rewrite": {"uri": KEEP, "authority": KEEP}}],
                                "tcp": [{"match": [L4_MATCH], "route": [{"destination": MESH_DESTINATION, "weight": KEEP}]}],
                                "tls": [{"match": [L4_MATCH], "route": [{"destination": MESH_DESTINATION, "weight": KEEP}]}]}},
    "GRPCRoute": {"metadata": metadata(),
                  "spec": {"parentRefs": [PARENT_REF], "hostnames": KEEP,
                           "rules": [{"matches": [{"method": {"type": KEEP, "service": KEEP, "method": KEEP},
                                                   "headers": [{"type": KEEP, "name": KEEP, "value": KEEP}]}],
                                      "filters": [{"type": KEEP}], "backendRefs": [BACKEND_REF]}]}},
    # Linkerd's inbound policy: which pods and port a Server covers, who is authorized (identities,
    # service accounts, networks); nothing secret is in them.
    "Server": {"metadata": metadata(),
               "spec": {"podSelector": {"matchLabels": Map(),
                                        "matchExpressions": [{"key": KEEP, "operator": KEEP, "values": KEEP}]},
                        "port": KEEP,
                        "proxyProtocol": KEEP, "accessPolicy": KEEP}},
    "MeshTLSAuthentication": {"metadata": metadata(), "spec": {"identities": KEEP, "identityRefs": [MESH_REF]}},
    "NetworkAuthentication": {"metadata": metadata(), "spec": {"networks": [{"cidr": KEEP, "except": KEEP}]}},
    # Events about Services (the live list asks for no others): who allocated, who announces.
    "Event": {
        "metadata": {"name": KEEP, "namespace": KEEP, "uid": KEEP, "resourceVersion": KEEP},
        "involvedObject": {"kind": KEEP, "namespace": KEEP, "name": KEEP},
        "reason": KEEP, "message": KEEP, "type": KEEP, "count": KEEP, "lastTimestamp": KEEP,
        "firstTimestamp": KEEP, "eventTime": KEEP, "source": {"component": KEEP}, "reportingComponent": KEEP,
    },
    # Selectors, peers, CIDRs and ports only; a malformed or unknown field is itself a finding of
    # the policy pane (and "no `from`" means "from everywhere"), so the spec is kept as it is.
    "NetworkPolicy": {"metadata": metadata(), "spec": WHOLE},
}
ALWAYS = ("apiVersion", "kind")


@dataclass(frozen=True)
class NetworkConfigMap:
    """A ConfigMap that describes the network: where it lives, and the data keys the panes read."""

    name: str
    namespaces: tuple[str, ...]
    keys: tuple[str, ...]
    name_pattern: str = ""  # a regex for versioned names (kubelet-config-1.29)

    def matches(self, namespace: str, name: str) -> bool:
        named = name == self.name or bool(self.name_pattern and re.fullmatch(self.name_pattern, name))
        return named and namespace in self.namespaces


NETWORK_CONFIGMAPS: tuple[NetworkConfigMap, ...] = (
    NetworkConfigMap("coredns", ("kube-system",), ("Corefile",)),
    NetworkConfigMap("kube-proxy", ("kube-system",), ("config.conf",)),
    NetworkConfigMap("kubeadm-config", ("kube-system",), ("ClusterConfiguration",)),
    NetworkConfigMap("kubelet-config", ("kube-system",), ("kubelet", "config.yaml", "kubelet.yaml"),
                     name_pattern=r"kubelet-config-1\.[0-9]{1,3}"),
    NetworkConfigMap("cilium-config", ("kube-system",), (
        "ipam", "routing-mode", "tunnel-protocol", "tunnel", "kube-proxy-replacement",
        "cluster-pool-ipv4-cidr", "cluster-pool-ipv4-mask-size", "cluster-pool-ipv6-cidr",
        "cluster-pool-ipv6-mask-size", "enable-ipv4", "enable-ipv6", "ipv4-native-routing-cidr",
        "ipv6-native-routing-cidr", "auto-direct-node-routes", "enable-bpf-masquerade",
        "bpf-lb-algorithm")),  # random or maglev: how the balancing pane words Cilium's pick
)

# CoreDNS directives whose arguments are credentials (route53, tsig, azure, etcd): the Corefile
# is kept, these arguments are not.
COREFILE_SECRET_DIRECTIVES = frozenset({"aws_access_key", "secret", "credentials", "password"})
REDACTED = "<dropped by k8snet capture>"


def network_configmap(namespace: str, name: str) -> NetworkConfigMap | None:
    return next((c for c in NETWORK_CONFIGMAPS if c.matches(namespace, name)), None)


# -- applying it ---------------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool, type(None))
_PLAIN = frozenset(_SCALARS)  # exactly these types (JSON's), checked with one set lookup
_intern = sys.intern


def prune(value: Any, spec: Spec) -> Any:
    """`value` reduced to what `spec` allows (a new object; `value` is never changed).

    Strings kept are interned: the same namespace, label, node name or protocol in thousands
    of objects is then one string in memory (the live store and the snapshot loader slim every
    object they take in). The common cases (dict specs, plain JSON scalars) are tested first.
    """
    if type(spec) is dict:
        if not isinstance(value, dict):
            return None
        out = {}
        for k, sub in spec.items():
            if k in value:
                v = value[k]
                tv = type(v)
                if sub is KEEP and tv in _PLAIN:
                    out[k] = _intern(v) if tv is str else v
                else:
                    out[k] = prune(v, sub)
        if "command" in spec:
            flags = spec["command"]
            joint = isinstance(value.get("command"), list) and isinstance(value.get("args"), list)
            if spec.get("args") is flags and isinstance(flags, Flags) and joint:
                _command_and_args(value, out, flags)
        return out
    if spec is KEEP:
        if isinstance(value, _SCALARS):
            return _intern(value) if type(value) is str else value
        if isinstance(value, list):
            return [(_intern(v) if type(v) is str else v) if isinstance(v, _SCALARS) else None for v in value]
        return None
    if spec is WHOLE:
        return _json_copy(value)
    if isinstance(spec, dict):
        return prune(value, dict(spec))  # a dict subclass: as a dict
    if isinstance(spec, list):
        if not isinstance(value, list):
            return None
        return [prune(v, spec[0]) for v in value]
    if isinstance(spec, Map):
        if not isinstance(value, dict):
            return None
        keys, sub = spec.keys, spec.value
        return {_intern(k): (_intern(v) if type(v) is str else v) if sub is KEEP and type(v) in _PLAIN
                else prune(v, sub)
                for k, v in value.items() if isinstance(k, str) and (keys is None or k in keys)}
    if isinstance(spec, Flags):
        return _flags(value, spec.names) if isinstance(value, list) else None
    raise TypeError(f"not an allow-list spec: {spec!r}")


def _json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value if isinstance(value, _SCALARS) else None


def _kept_flag_words(words: list[Any], names: frozenset[str]) -> list[int]:
    """Indexes of the words to keep: each listed `--flag[=value]`, and the value after a bare one."""
    kept: list[int] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not isinstance(word, str) or not word.startswith("--"):
            continue
        name, sep, _ = word[2:].partition("=")
        if name not in names:
            continue
        kept.append(i - 1)
        if not sep and i < len(words) and isinstance(words[i], str) and not words[i].startswith("-"):
            kept.append(i)
            i += 1
    return kept


def _flags(words: list[Any], names: frozenset[str]) -> list[str]:
    return [words[i] for i in _kept_flag_words(words, names)]


def _command_and_args(value: dict[str, Any], out: dict[str, Any], flags: Flags) -> None:
    """`command` then `args` are one command line: a flag at the end of one has its value in the other."""
    command, args = value["command"], value["args"]
    kept = _kept_flag_words(command + args, flags.names)
    out["command"] = [command[i] for i in kept if i < len(command)]
    out["args"] = [args[i - len(command)] for i in kept if i >= len(command)]


def redact_corefile(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        words = line.split()
        if words and words[0] in COREFILE_SECRET_DIRECTIVES:
            indent = line[:len(line) - len(line.lstrip())]
            braces = [w for w in words[1:] if w in ("{", "}")]
            line = " ".join([indent + words[0], REDACTED, *braces])
        lines.append(line)
    return "\n".join(lines)


def _configmap_data(obj: dict[str, Any], meta: Any) -> dict[str, str] | None:
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    wanted = network_configmap(ns, name) if isinstance(ns, str) and isinstance(name, str) else None
    if wanted is None:
        return None
    data = obj.get("data")
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for key in wanted.keys:
            if isinstance(data.get(key), str):
                out[key] = redact_corefile(data[key]) if key == "Corefile" else data[key]
    return out


def slim(obj: Any) -> dict[str, Any] | None:
    """The allowed part of one API object, or None when the object is not kept at all."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("kind")
    spec = ALLOWED.get(kind) if isinstance(kind, str) else None
    if spec is None:
        return None
    out = {k: obj[k] for k in ALWAYS if isinstance(obj.get(k), str)}
    out.update(prune(obj, spec))
    if kind == "ConfigMap":
        data = _configmap_data(obj, obj.get("metadata"))
        if data is None:
            return None
        out["data"] = data
    return out


__all__ = ["ALLOWED", "KEEP", "NETWORK_CONFIGMAPS", "WHOLE", "Flags", "Map", "network_configmap", "prune", "slim"]
