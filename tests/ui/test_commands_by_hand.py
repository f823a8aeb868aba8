"""`k`: the by-hand commands under every pane, built for the object the user is on.

Run on the bundled lab at 80x24 with keys; what each command must name (the chain of the
selected Service, the selected pod's IP) is read from the snapshot's own files, and a hostile
object name is shown as one quoted shell word.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.present.commands import by_hand

from tests.ui.conftest import screen_text, screen_words, settle

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"
DUMP = (LAB / "nodes/node-1/iptables-legacy-save.txt").read_text()


def svc_chain(ref: str) -> str:
    """The KUBE-SVC chain the lab's own dump jumps to for `ref`'s cluster IP."""
    return re.search(rf'--comment "{re.escape(ref)}(:\S+)? cluster IP" .* -j (KUBE-SVC-\w+)', DUMP).group(2)


def pods() -> list[dict]:
    doc = json.loads((LAB / "api/pods.json").read_text())
    return doc["items"] if isinstance(doc, dict) else doc


def header(app) -> str:
    return screen_text(app).splitlines()[0]


async def test_k_shows_commands_on_every_pane_and_hides_them_again(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "CMDS" not in header(app) and "$ kubectl" not in screen_words(app)
        await pilot.press("k")
        await settle(pilot)
        assert "CMDS" in header(app)
        # 4 Services: the first row's Service, its slices and its chain from the dump
        words = screen_words(app)
        assert "$ kubectl get service -n default engine -o wide" in words
        assert "$ kubectl get endpointslices -n default -l kubernetes.io/service-name=engine" in words
        assert f"$ iptables -t nat -L {svc_chain('default/engine')} -n -v" in words
        await pilot.press("down")
        await settle(pilot)
        assert "-l kubernetes.io/service-name=headlesswebsite" in screen_words(app)
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert f"$ iptables -t nat -L {svc_chain('default/website')} -n -v" in words
        assert "$ iptables -t nat -L KUBE-NODEPORTS -n -v | grep 31100" in words
        # 1 Internet: the metadata question by hand (shown, never asked)
        await pilot.press("1")
        await settle(pilot)
        assert "$ curl -s http://169.254.169.254/latest/meta-data/public-ipv4" in screen_words(app)
        # 2 Host: the selected interface
        await pilot.press("2")
        await settle(pilot)
        assert re.search(r"\$ ip address show dev \w+", screen_words(app)), screen_text(app)
        # 3 Pods: the first pod, its IP from pods.json
        await pilot.press("3")
        await settle(pilot)
        first = sorted(pods(), key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))[0]
        words = screen_words(app)
        assert f"$ kubectl get pod -n {first['metadata']['namespace']} {first['metadata']['name']} -o wide" in words
        assert f"$ ip route get {first['status']['podIP']}" in words
        # 5 DNS: the lookup as the pod makes it
        await pilot.press("colon", *"dns website --pod default/client", "enter")
        await settle(pilot)
        assert "$ kubectl exec client -n default -- nslookup website" in screen_words(app)
        for key, command in (("6", "$ kubectl get ingress -n default web-ingress -o yaml"),
                             ("7", "kubectl get networkpolicy -A")):
            await pilot.press(key)
            await settle(pilot)
            assert command in screen_words(app), screen_text(app)
        for line in screen_text(app).splitlines():
            assert len(line) <= 80
        await pilot.press("k")
        await settle(pilot)
        assert "CMDS" not in header(app) and "$ kubectl" not in screen_words(app)


def test_names_from_the_cluster_are_quoted_words():
    hostile = "web;rm -rf ~ $(id)"
    cluster = ClusterState.from_objects([{"kind": "Service", "metadata": {"namespace": "default", "name": hostile},
                                          "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80, "name": "http"}]}}])
    commands = by_hand("services", Observed(cluster=cluster), f"default/{hostile}")
    get = next(c.command for c in commands if c.fact == "this Service")
    assert shlex.split(get) == ["kubectl", "get", "service", "-n", "default", hostile, "-o", "wide"]
    for c in commands:  # the name never splits into words a shell would run
        words = shlex.split(c.command)
        assert not {"rm", "-rf", "~", "$(id)"} & set(words), c.command
    slices = next(c.command for c in commands if c.fact == "its endpoints")
    assert f"kubernetes.io/service-name={hostile}" in shlex.split(slices)


async def test_a_hostile_name_is_shown_as_data(make_lab_app, tmp_path):
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    doc = json.loads((snap / "api/services.json").read_text())
    items = doc["items"] if isinstance(doc, dict) else doc
    evil = next(s for s in items if s["metadata"]["name"] == "engine")
    evil["metadata"]["name"] = "[b]aaa[i];x $(id)"
    (snap / "api/services.json").write_text(json.dumps(doc))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        words = screen_words(app)
        # the markup is shown as typed, and the name is one quoted word
        assert "$ kubectl get service -n default '[b]aaa[i];x $(id)' -o wide" in words, screen_text(app)
