"""`k8snet show mesh` and `k8snet mesh NS/POD [DEST]` as text: the pods with their mesh and what
their own rules redirect; one pod's layout in sentences and a connection's order."""

from __future__ import annotations

from typing import Any

from k8snet_tui.present.mesh import connection_lines, mode_words, redirect_words

from .table import Column, Writer

PODS = (Column("pod", 0), Column("ip", 2), Column("node", 3), Column("mesh", 0), Column("redirects", 1),
        Column("findings", 4))


def show(model: Any, w: Writer) -> None:
    w.section(f"Pods ({model.meshed} meshed of {len(model.pods)})")
    w.table(PODS, lambda: ((p.key, p.ip or "-", p.node or "-", mode_words(p), redirect_words(p.redirects),
                            str(len(p.findings)) if p.findings else "") for p in model.pods),
            empty="(no pods)")
    if model.namespaces_injected or model.namespaces_ambient:
        w.section("Namespaces")
        if model.namespaces_injected:
            w.line(f"injection on: {', '.join(model.namespaces_injected)}", indent=2, hanging=4)
        if model.namespaces_ambient:
            w.line(f"ambient: {', '.join(model.namespaces_ambient)}", indent=2, hanging=4)
    w.section("Mesh configuration")
    w.line(f"{model.config.state}: {model.config.note}", indent=2, hanging=4)
    for svc in model.config.services:
        for text in svc.lines:
            w.line(text, indent=2 if text.startswith("mesh config") else 4, hanging=6)
    if model.findings:
        w.section("Findings")
        for text in model.findings:
            w.line(f"! {text}", indent=2, hanging=4)


def pod(model: Any, w: Writer) -> None:
    for text in model.layout:
        w.line(text, hanging=4)
    if model.connection is not None:
        w.section("Connection")
        for text in connection_lines(model.connection):
            w.line(text, indent=2, hanging=6)
    w.section("Mesh configuration")
    w.line(f"{model.config.state}: {model.config.note}", indent=2, hanging=4)
    if model.service is not None:
        for text in model.service.lines:
            w.line(text, indent=2, hanging=6)


VIEWS = {"mesh": show, "mesh-pod": pod}
