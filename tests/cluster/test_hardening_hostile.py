"""Issue 9, hostile text in the real cluster: the injection corpus (tests/support/hostile.CORPUS)
goes wherever the API lets it (annotations on a Service and a Pod, a Corefile-like ConfigMap, an
Ingress's paths as far as validation allows, an Emissary Mapping's prefix, which is free text).
Every one-shot command, as text and as JSON, prints no control byte; a Pilot walk through every
pane of the live app shows it all inert. Everything created is deleted again.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import re
import sys

import pytest

from k8snet_tui import cli
from k8snet_tui.app import make_app
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.config import Settings
from k8snet_tui.runtime import choose_session
from k8snet_tui.widgets.resource_table import ResourceTable

from .test_hardening_helpers import wait_for
from tests.support.hostile import ALL, CORPUS, FORBIDDEN_BYTES

pytestmark = pytest.mark.cluster

NS = "default"
PREFIX = "k8snet-hostile"


def annotations() -> dict[str, str]:
    return {f"k8snet.test/{key}": text for key, text in CORPUS.items()} | {"k8snet.test/all": ALL}


def ingress(paths: list[str]) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": PREFIX, "namespace": NS, "annotations": annotations()},
            "spec": {"ingressClassName": "ambassador", "rules": [{"host": "hostile.example", "http": {"paths": [
                {"path": p, "pathType": "ImplementationSpecific",
                 "backend": {"service": {"name": "website", "port": {"number": 80}}}} for p in paths]}}]}}


@pytest.fixture(scope="module")
def hostile_objects(lab_cluster):
    base = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": PREFIX, "namespace": NS, "annotations": annotations()},
         "spec": {"selector": {"app": "website"}, "ports": [{"name": "http", "port": 8088, "targetPort": 80}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": PREFIX, "namespace": NS, "annotations": annotations(),
                                                         "labels": {"app": PREFIX}},
         "spec": {"terminationGracePeriodSeconds": 0, "containers": [{"name": "idle", "image": "k8snet.test/idle"}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": PREFIX + "-corefile", "namespace": NS},
         "data": {"Corefile": ".:53 {\n    errors # " + ALL + "\n    forward . " + CORPUS["markup"] + "\n}\n"}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping",
         "metadata": {"name": PREFIX, "namespace": NS, "annotations": annotations()},
         "spec": {"hostname": "*", "prefix": "/hostile/" + ALL, "service": "website"}},
    ]
    lab_cluster.apply(base)
    # Ingress paths are validated: keep the corpus entries the API accepts, say which it refused
    accepted, refused = [], []
    for key, text in CORPUS.items():
        try:
            lab_cluster.apply(ingress(accepted + ["/h/" + text]))
            accepted.append("/h/" + text)
        except Exception as exc:  # a 422 from validation
            refused.append(f"{key}: {str(exc)[:120]}")
    if not accepted:
        lab_cluster.apply(ingress(["/h/plain"]))
    print(f"Ingress paths accepted: {len(accepted)}/{len(CORPUS)}; refused: {refused}")
    yield accepted
    for kind, name, version in (("Ingress", PREFIX, "networking.k8s.io/v1"), ("Mapping", PREFIX, "getambassador.io/v3alpha1"),
                                ("ConfigMap", PREFIX + "-corefile", "v1"), ("Service", PREFIX, "v1")):
        with contextlib.suppress(Exception):  # already gone
            lab_cluster.delete(kind, name, NS, version)
    with contextlib.suppress(Exception):  # already gone
        lab_cluster.delete("Pod", PREFIX, NS, grace_seconds=0)


@pytest.fixture
def admin_env(lab_cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-1'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    return monkeypatch


COMMANDS = [
    ["show", "internet"], ["show", "host"], ["show", "pods"], ["show", "services"], ["show", "dns"],
    ["show", "ingress"], ["trace", f"{NS}/{PREFIX}"], ["dns", f"{PREFIX}.{NS}"],
    ["route", "http://hostile.example/h/x"], ["route", "http://172.31.24.84:31211/hostile/x"],
]


def test_cli_prints_no_control_byte(lab_cluster, hostile_objects, admin_env, capsys):
    wait_for(lambda: lab_cluster.api.get(f"/api/v1/namespaces/{NS}/pods/{PREFIX}").get("status", {}).get("podIP"),
             20, "the hostile pod to get an IP")
    surfaced = set()
    for argv in COMMANDS:
        for as_json in (False, True):
            rc = cli.main([*argv, "--node", "node-1", *(["--json"] if as_json else [])])
            out, err = capsys.readouterr()
            assert rc == 0, (argv, err)
            for bad in FORBIDDEN_BYTES:
                assert bad not in out, f"{bad!r} reached stdout of {argv} (json={as_json})"
                assert bad not in err, f"{bad!r} reached stderr of {argv}"
            if as_json:
                doc = json.loads(out)
                text = json.dumps(doc, ensure_ascii=False)
                surfaced |= {k for k, v in CORPUS.items() if v in text}
            else:
                surfaced |= {k for k, v in CORPUS.items() if v in out}
    print(f"corpus entries that reached some output (inert): {sorted(surfaced)}")
    # the Mapping prefix carries all of it and the ingress view lists Mapping prefixes
    assert {"markup", "link", "lone_bracket"} <= surfaced, surfaced


def screen_text(app) -> str:
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_walk_all_panes_with_the_corpus_live(lab_cluster, hostile_objects, admin_env, tmp_path):
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None,
                              all_namespaces=False, node="node-1", interval=1.0)
    session = choose_session(args, Settings(offline=True))
    assert isinstance(session, LiveSession)
    app = make_app(Settings(offline=True), session, start_pane="services", save_dir=str(tmp_path / "saved"))
    seen = []
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one("#svc-table", ResourceTable)
        for _ in range(50):
            if f"{NS}/{PREFIX}" in table.keys:
                break
            await pilot.pause(0.2)
        assert f"{NS}/{PREFIX}" in table.keys
        for key in "123456":
            await pilot.press(key)
            await pilot.pause(0.3)
            for action in ("e", "enter", "escape", "e"):
                await pilot.press(action)
                await pilot.pause(0.2)
                svg = app.export_screenshot()
                assert "<a " not in svg, f"a hyperlink was rendered on pane {key}"
                text = screen_text(app)
                for bad in FORBIDDEN_BYTES:
                    assert bad not in text, f"{bad!r} on screen in pane {key} after {action}"
                seen.append(text)
        await pilot.press("q")
    everything = "\n".join(seen)
    assert CORPUS["markup"] in everything or CORPUS["lone_bracket"] in everything, \
        "the corpus never reached the screen: the walk proves nothing"
