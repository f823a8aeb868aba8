"""Pane 0's words at 80x24, on the rendered screen: the `t` box's warning names the box's own form
(not the CLI's options) and a retry replaces the bad text instead of appending to it; the box
takes a METHOD and /PATH for the mesh's routes and policies; `:mesh NS/POD` picks the pod or
says how to find it; the Services trace's `m` does not claim that pods whose own rules were not
read go straight to kube-proxy's rules."""

from __future__ import annotations

import json

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests.support.mesh_lab import CLIENT, mesh_lab
from tests.test_cli_mesh_words import cluster_ip, meshed_lab
from tests.ui.conftest import screen_text, screen_words, settle


def toast_words(app) -> str:
    """The words of the toasts alone: the right-hand column of the rows a toast covers (its edge is ▌)."""
    rows = [line.split("▌", 1)[1] for line in screen_text(app).splitlines() if "▌" in line]
    return " ".join(w for row in rows for w in row.split() if w.strip("▇▂"))


async def _pane0(pilot) -> None:
    await settle(pilot)
    await pilot.press("0")
    await settle(pilot)


async def test_a_bad_destination_names_the_box_form_and_a_retry_replaces_it(make_lab_app):
    app = make_lab_app(snapshot=str(bundled_lab_path()))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _pane0(pilot)
        await pilot.press("t", *"bad", "enter")
        await settle(pilot)
        toast = toast_words(app)
        assert "mesh: 'bad' is not ADDRESS:PORT hint: the box takes ADDRESS:PORT [as UID] [METHOD] [/PATH]" in toast
        assert "--uid" not in toast
        # the natural retry: `t` again, then the destination (the box is still open and focused)
        await pilot.press("t", *"10.96.0.10:53", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "-> 10.96.0.10:53 (as uid 0)" in words
        assert "badt" not in words and "t10.96" not in words
        assert toast_words(app).count("is not ADDRESS:PORT") == 1  # the first warning only


async def test_mesh_command_picks_the_pod_or_says_how_to_find_it(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(mesh_lab(tmp_path)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":", *"mesh nope/nope", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "no pod nope/nope" in words and "list them with: k8snet show mesh" in words
        await pilot.press(":", *"mesh default/clent", "enter")
        await settle(pilot)
        assert "did you mean: default/client" in screen_words(app)
        await pilot.press(":", *f"mesh {CLIENT} 10.96.0.10:53", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert f"{CLIENT} -> 10.96.0.10:53 (as uid 0): redirected to port 15001" in words


async def test_the_box_takes_a_method_and_path_for_the_routes_and_policies(make_lab_app, tmp_path):
    lab = meshed_lab(tmp_path)
    ip = cluster_ip(lab, "website")
    app = make_lab_app(snapshot=lab)
    # 80 columns, and rows enough to show the whole answer (at 24 the verdicts are a scroll away)
    async with app.run_test(size=(80, 60), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":", *f"mesh {CLIENT} {ip}:80 POST /api/items", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "routes (VirtualService): rule 1 (VirtualService default/website spec.http[0]) takes it" in words
        assert "authorization: denied: ALLOW policies apply (default/website-get) and none matches" in words
        await pilot.press("t", *f"{ip}:80 GET /", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "rule 2 (VirtualService default/website spec.http[1]) takes it" in words
        assert "authorization: allowed by ALLOW policy default/website-get" in words
        await pilot.press("t", *f"{ip}:80 GET api", "enter")
        await settle(pilot)
        assert "'api' is neither `as UID`, a METHOD nor a /PATH" in toast_words(app)


async def test_m_does_not_claim_unread_pods_go_straight_to_kube_proxy(make_lab_app, tmp_path):
    lab = bundled_lab_path()
    # the pods with a network namespace of their own: a hostNetwork pod (cilium, kube-proxy, the
    # control plane's static pods) is no mesh client and is not counted
    pods = [p for p in json.loads((lab / "api" / "pods.json").read_text())["items"] if not p["spec"].get("hostNetwork")]
    app = make_lab_app(snapshot=str(lab))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":", *"trace default/website", "enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        words = screen_words(app)
        assert "MESH default/website" in words
        assert f"{len(pods)} pod(s) without a mesh: {len(pods)} whose own rules were not read" in words
        assert "straight to kube-proxy's rules" not in words
