"""Issue 9, least privilege and no leaks, read off the real apiserver's audit log and the files
`k8snet capture` writes.

- Every one-shot command and a Pilot walk through every pane of the live app make only
  get/list/watch requests (SelfSubjectAccessReview creates are allowed); pods/log is read only
  after `l` was pressed on an endpoint line. The app's requests are told apart from the
  harness's by their User-Agent (the kubernetes client's) and by the audit log's offset.
- ConfigMaps are read only by name (a field selector on metadata.name), only the networking
  ones, only in kube-system: never listed or watched cluster-wide or in a namespace at large.
- A capture of a cluster holding a Secret, a ConfigMap with a password and pods with env values,
  envFrom and secretKeyRef contains none of those values, no user's token and nothing of the
  kubeconfig's credentials.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from k8snet_tui import cli
from k8snet_tui.app import make_app
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.config import Settings
from k8snet_tui.runtime import choose_session
from k8snet_tui.sources.kinds import NETWORK_CONFIGMAPS
from k8snet_tui.widgets.resource_table import ResourceTable

from .test_hardening_helpers import APP_USER_AGENT, AuditLog, describe, wait_for

pytestmark = pytest.mark.cluster

ONE_SHOT = [
    ["show", "internet"], ["show", "host"], ["show", "pods"], ["show", "services"], ["show", "dns"],
    ["show", "ingress"], ["trace", "default/website"], ["dns", "website.default"],
    ["route", "http://172.31.24.84:31211/web/"],
]
READ_VERBS = {"get", "list", "watch"}


@pytest.fixture
def admin_env(lab_cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-1'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    monkeypatch.delenv("K8SNET_DNS_SERVER", raising=False)
    return monkeypatch


def app_records(cluster, audit: AuditLog) -> list[dict]:
    time.sleep(1.0)  # audit events are written asynchronously
    return audit.records(user="admin", user_agent=APP_USER_AGENT)


def assert_read_only(records: list[dict]) -> None:
    bad = [r for r in records
           if r.get("verb") not in READ_VERBS
           and not (r.get("verb") == "create" and (r.get("objectRef") or {}).get("resource") == "selfsubjectaccessreviews")]
    assert not bad, "requests that are not reads:\n" + "\n".join(describe(r) for r in bad)


def assert_only_networking_configmaps(records: list[dict]) -> None:
    """Every ConfigMap request names one networking ConfigMap in kube-system, and each was read."""
    reads = [r for r in records if (r.get("objectRef") or {}).get("resource") == "configmaps"]
    bad, names = [], set()
    for r in reads:
        ref = r["objectRef"]
        selector = parse_qs(urlsplit(r.get("requestURI", "")).query).get("fieldSelector", [""])[0]
        if r.get("verb") in ("list", "watch"):
            name = selector.removeprefix("metadata.name=") if selector.startswith("metadata.name=") else ""
        else:
            name = ref.get("name", "")
        names.add(name)
        if ref.get("namespace") != "kube-system" or name not in NETWORK_CONFIGMAPS or "," in selector:
            bad.append(r)
    assert not bad, "ConfigMap reads beyond the networking ones by name:\n" + "\n".join(
        f"{describe(r)} {r.get('requestURI')}" for r in bad)
    assert names == NETWORK_CONFIGMAPS, f"networking ConfigMaps never read: {sorted(NETWORK_CONFIGMAPS - names)}"


def is_pod_log(rec: dict) -> bool:
    ref = rec.get("objectRef") or {}
    return ref.get("resource") == "pods" and ref.get("subresource") == "log"


def test_one_shot_commands_only_read(lab_cluster, admin_env, capsys, tmp_path):
    audit = AuditLog(lab_cluster.audit_log)
    audit.mark()
    for argv in ONE_SHOT:
        rc = cli.main([*argv, "--node", "node-1"])
        _out, err = capsys.readouterr()
        assert rc == 0, (argv, err)
    rc = cli.main(["capture", "-o", str(tmp_path / "cap"), "--node", "node-1"])
    assert rc == 0, capsys.readouterr().err
    records = app_records(lab_cluster, audit)
    assert len(records) >= len(ONE_SHOT) * 10, f"only {len(records)} requests seen: is the filter right?"
    assert_read_only(records)
    assert_only_networking_configmaps(records)
    assert not [r for r in records if is_pod_log(r)], "a one-shot command read a pod's log"
    print(f"{len(records)} requests, verbs {sorted({r['verb'] for r in records})}")


async def test_walk_every_pane_only_reads_and_logs_only_on_l(lab_cluster, admin_env, tmp_path):
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None,
                              all_namespaces=False, node="node-1", interval=1.0)
    session = choose_session(args, Settings(offline=True))
    assert isinstance(session, LiveSession)
    app = make_app(Settings(offline=True), session, start_pane="services", save_dir=str(tmp_path / "saved"))
    before_l = AuditLog(lab_cluster.audit_log)
    before_l.mark()
    after_l = AuditLog(lab_cluster.audit_log)
    async with app.run_test(size=(140, 45)) as pilot:
        deadline = time.monotonic() + 10
        while "default/website" not in app.query_one("#svc-table", ResourceTable).keys:
            assert time.monotonic() < deadline, "no Services after 10 s"
            await pilot.pause(0.2)
        for key in "123456":
            await pilot.press(key)
            await pilot.pause(0.3)
            for action in ("enter", "escape", "e", "e"):
                await pilot.press(action)
                await pilot.pause(0.2)
        await pilot.pause(2.0)
        # a trace of default/website, cursor on an endpoint line, then `l`
        await pilot.press("4")
        app.run_command("trace default/website")
        await pilot.pause(0.5)
        pane = app.current_pane
        view = pane.trace_view
        wait_for(lambda: any(ln.endpoint is not None for ln in view.lines), 5, "endpoint lines in the trace")
        view.highlighted = next(i for i, ln in enumerate(view.lines) if ln.endpoint is not None)
        await pilot.pause(0.2)
        after_l.mark()
        await pilot.press("l")
        deadline = time.monotonic() + 10
        while not [r for r in after_l.records(user="admin", user_agent=APP_USER_AGENT) if is_pod_log(r)]:
            assert time.monotonic() < deadline, "pressing l read no pod log"
            await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.press("q")
    walk = app_records(lab_cluster, before_l)
    assert len(walk) >= 17, f"only {len(walk)} requests: is the filter right?"
    assert_read_only(walk)
    assert_only_networking_configmaps(walk)
    watched = {parse_qs(urlsplit(r["requestURI"]).query)["fieldSelector"][0] for r in walk
               if r.get("verb") == "watch" and (r.get("objectRef") or {}).get("resource") == "configmaps"}
    assert watched == {f"metadata.name={n}" for n in NETWORK_CONFIGMAPS}, watched
    logs_before = [r for r in walk if is_pod_log(r) and r["auditID"] not in
                   {x["auditID"] for x in after_l.records(user="admin", user_agent=APP_USER_AGENT)}]
    assert not logs_before, "pods/log was read before `l` was pressed: " + ", ".join(map(describe, logs_before))
    assert not [r for r in walk if (r.get("objectRef") or {}).get("resource") == "secrets"], "Secrets were read"


# -- capture leaks nothing -------------------------------------------------------------------

def test_capture_holds_no_secret_token_or_env_value(lab_cluster, admin_env, capsys, tmp_path):
    tag = secrets.token_hex(6)
    values = {
        "secret": f"k8snet-secret-{tag}",
        "cm_password": f"hunter2-{tag}",
        "env_literal": f"env-literal-{tag}",
        "secret_file": f"s3cr3t-file-{tag}",
    }
    objs = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k8snet-hsec", "namespace": "default"},
         "stringData": {"password": values["secret"], "config.yaml": f"token: {values['secret_file']}"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "k8snet-app-settings", "namespace": "default"},
         "data": {"DB_PASSWORD": values["cm_password"]}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "k8snet-henv", "namespace": "default",
                      "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                      json.dumps({"env": values["env_literal"]})}},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "k8snet-henv"}},
                  "template": {"metadata": {"labels": {"app": "k8snet-henv"}},
                               "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                                   "name": "app", "image": "k8snet.test/idle",
                                   "env": [{"name": "LITERAL", "value": values["env_literal"]},
                                           {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {
                                               "name": "k8snet-hsec", "key": "password"}}}],
                                   "envFrom": [{"configMapRef": {"name": "k8snet-app-settings"}},
                                               {"secretRef": {"name": "k8snet-hsec"}}]}]}}}},
    ]
    try:
        lab_cluster.apply(objs)
        wait_for(lambda: [p for p in lab_cluster.api.get("/api/v1/namespaces/default/pods",
                                                          labelSelector="app=k8snet-henv")["items"]], 20,
                 "the Deployment's pod")
        out = tmp_path / "cap"
        rc = cli.main(["capture", "-o", str(out), "--node", "node-1"])
        printed, err = capsys.readouterr()
        assert rc == 0, err
    finally:
        for kind, name, version in (("Deployment", "k8snet-henv", "apps/v1"), ("Secret", "k8snet-hsec", "v1"),
                                    ("ConfigMap", "k8snet-app-settings", "v1")):
            with contextlib.suppress(Exception):  # already gone
                lab_cluster.delete(kind, name, "default", version)

    needles = dict(values)
    needles["secret_b64"] = base64.b64encode(values["secret"].encode()).decode()
    for name, user in lab_cluster.users.items():
        needles[f"token of {name}"] = user.token
    kubeconfig = Path(lab_cluster.kubeconfig).read_text()
    for line in kubeconfig.splitlines():
        if "token" in line:
            needles["kubeconfig credential"] = line.split(":", 1)[1].strip()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and any(p.name == "pods.json" for p in files)
    found = []
    for p in files:
        data = p.read_bytes().decode("utf-8", "replace")
        found += [f"{what} in {p.relative_to(out)}" for what, v in needles.items() if v and v in data]
    found += [f"{what} printed by capture" for what, v in needles.items() if v in printed + err]
    assert not found, found
    pods = (out / "api" / "pods.json").read_text()
    assert "k8snet-henv" in pods, "the env pod was not captured at all (the scan proves nothing)"
    assert "LITERAL" not in pods  # env is not on the capture's allow-list, not even its names


def test_capture_keeps_only_the_allow_list(lab_cluster, admin_env, capsys, tmp_path):
    """A marker in every field a real apiserver stores that the panes never read reaches no file."""
    marker = f"k8snet-planted-{secrets.token_hex(6)}"
    container = {
        "name": "app", "image": "k8snet.test/idle", "ports": [{"name": "http", "containerPort": 8080}],
        "command": ["/app", f"--token={marker}"], "args": ["--password", marker, f"--api-key={marker}"],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                      "httpHeaders": [{"name": "Authorization", "value": marker}]}},
        "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", f"login {marker}"]}}},
        "volumeMounts": [{"name": "store", "mountPath": "/mnt/store"}],
    }
    objs = [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "k8snet-hplant", "namespace": "default", "labels": {"app": "k8snet-hplant"},
                      "annotations": {"example.com/credentials": marker, "sidecar.istio.io/inject": "false"}},
         "spec": {"terminationGracePeriodSeconds": 0, "containers": [container],
                  "volumes": [{"name": "store", "csi": {"driver": "secrets-store.csi.k8s.io",
                                                        "volumeAttributes": {"secretProviderClass": marker}}}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "default"},
         "data": {"Corefile": f"# {marker}"}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "k8snet-hplant", "namespace": "default",
                      "annotations": {"getambassador.io/config": f"add_request_headers: {{x: {marker}}}"}},
         "spec": {"selector": {"app": "k8snet-hplant"}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping",
         "metadata": {"name": "k8snet-hplant", "namespace": "default"},
         "spec": {"hostname": "*", "prefix": "/hplant/", "service": "k8snet-hplant",
                  "headers": {"x-canary": "yes"}, "add_request_headers": {"Authorization": marker}}},
    ]
    try:
        lab_cluster.apply(objs)
        out = tmp_path / "cap"
        rc = cli.main(["capture", "-o", str(out), "--node", "node-1"])
        printed, err = capsys.readouterr()
        assert rc == 0, err
    finally:
        for kind, name, version in (("Pod", "k8snet-hplant", "v1"), ("ConfigMap", "coredns", "v1"),
                                    ("Service", "k8snet-hplant", "v1"),
                                    ("Mapping", "k8snet-hplant", "getambassador.io/v3alpha1")):
            with contextlib.suppress(Exception):  # already gone
                lab_cluster.delete(kind, name, "default", version)
    files = [p for p in out.rglob("*") if p.is_file()]
    leaked = [str(p.relative_to(out)) for p in files if marker.encode() in p.read_bytes()]
    assert not leaked, leaked
    assert marker not in printed + err
    # ...and the planted objects are there, with what the panes read (the scan proves something).
    pods = json.loads((out / "api" / "pods.json").read_text())["items"]
    pod = next(p for p in pods if p["metadata"]["name"] == "k8snet-hplant")
    assert pod["spec"]["containers"][0]["ports"][0]["containerPort"] == 8080
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    mapping = next(m for m in json.loads((out / "api" / "mappings.json").read_text())["items"]
                   if m["metadata"]["name"] == "k8snet-hplant")
    assert mapping["spec"]["headers"] == {"x-canary": "yes"} and "add_request_headers" not in mapping["spec"]
    configmaps = json.loads((out / "api" / "configmaps.json").read_text())["items"]
    assert {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in configmaps} <= {
        ("kube-system", n) for n in NETWORK_CONFIGMAPS}
