"""`kubectl delete pod` of one website pod, written by hand as the API and kube-proxy leave the lab.

The diff tests (domain, CLI, TUI) compare the bundled lab with this edited copy. The victim is
the website pod on the captured node: node-1's rules hold its SEP chain and node-1's routes its
/32 route, so every group the deletion touches (pods, endpoints, chains, probabilities, routes,
DNS) has something to name, whichever pod of the capture that is and wherever kube-proxy listed it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tests import lab_roles as roles

SERVICE = ("default", "website", "http")
SPN = "default/website:http"


@dataclass(frozen=True)
class Deletion:
    """The victim and what the rules say about it and the endpoints left."""

    victim: str  # "default/website-..."

    @property
    def name(self) -> str:
        return self.victim.split("/", 1)[1]

    @property
    def address(self) -> str:
        return roles.pod_ip(self.victim)

    @property
    def sep(self) -> str:
        return roles.sep_chain(self.address, *SERVICE)

    @cached_property
    def order(self) -> tuple[str, ...]:
        """The endpoints in the order of the website chain's jumps, before the deletion."""
        order = roles.svc_endpoints_in_rule_order(*SERVICE)
        if len(order) != 3 or self.address not in order:
            raise LookupError(f"the deletion expects website's three endpoints with {self.address} among them: {order}")
        return order

    @property
    def left(self) -> tuple[str, ...]:
        """The two endpoints left, in rule order: the first gets probability 1/2, the last the rest."""
        return tuple(a for a in self.order if a != self.address)

    def probability_before(self, address: str) -> str | None:
        """The `--probability` of `address`'s jump in the captured rules (None: the last, takes the rest)."""
        (text,) = [t for _, _, t in roles.chain_rules(roles.svc_chain(*SERVICE)) if f"-j {roles.sep_chain(address)}" in t]
        m = re.search(r"--probability (\S+)", text)
        return m.group(1) if m else None

    @property
    def route(self) -> dict[str, Any]:
        """The captured node's route to the victim (a /32 to its veth)."""
        routes = json.loads((roles.lab_dir() / "nodes" / roles.captured_node() / "ip-route.json").read_text())
        (route,) = [r for r in routes if r.get("dst") == self.address]
        return dict(route)

    @property
    def replica_set(self) -> str:
        (owner,) = [o for o in roles.pod(self.victim)["metadata"]["ownerReferences"] if o["kind"] == "ReplicaSet"]
        return str(owner["name"])

    def rules_after(self, text: str) -> str:
        """An `iptables-save` text as kube-proxy rewrites it: the victim's SEP chain (declaration,
        rules, the jump to it) gone; of the two jumps left the first at probability 1/2 (as
        iptables prints it), the last with none."""
        first, last = (f"-j {roles.sep_chain(a)}" for a in self.left)
        jump = f"-A {roles.svc_chain(*SERVICE)} "
        out = []
        for line in text.splitlines():
            if self.sep in line:
                continue
            if jump in line and (line.rstrip().endswith(first) or line.rstrip().endswith(last)):
                line = re.sub(r" -m statistic --mode random --probability \S+", "", line)
                if line.rstrip().endswith(first):
                    line = line.replace(f" {first}", f" -m statistic --mode random --probability 0.50000000000 {first}")
            out.append(line)
        return "\n".join(out) + "\n"

    def write_after(self, out: Path) -> Path:
        """A copy of the lab's files at `out` as they read after the deletion; every packet counter
        moved too (noise: [4242:424242]), which a comparison must never name."""
        import shutil

        shutil.copytree(roles.lab_dir(), out)
        pods = json.loads((out / "api/pods.json").read_text())
        pods["items"] = [p for p in pods["items"] if roles.ref(p) != self.victim]
        (out / "api/pods.json").write_text(json.dumps(pods))
        slices = json.loads((out / "api/endpointslices.json").read_text())
        for s in slices["items"]:
            s["endpoints"] = [e for e in s.get("endpoints") or [] if self.address not in e["addresses"]]
        (out / "api/endpointslices.json").write_text(json.dumps(slices))
        dump = out / "nodes" / roles.captured_node() / "iptables-legacy-save.txt"
        dump.write_text(re.sub(r"^\[\d+:\d+\]", "[4242:424242]", self.rules_after(dump.read_text()), flags=re.M))
        route_file = out / "nodes" / roles.captured_node() / "ip-route.json"
        routes = json.loads(route_file.read_text())
        route_file.write_text(json.dumps([r for r in routes if r.get("dst") != self.address]))
        return out


def website_pod_deletion() -> Deletion:
    return Deletion(roles.website_pod(roles.captured_node()))
