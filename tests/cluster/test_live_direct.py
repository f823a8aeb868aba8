"""The urllib3-only live path (`direct_http`) against the real kube-apiserver: the admin
kubeconfig (a token and a CA file) is served without the kubernetes package, lists the same
objects the API holds, the early lists answer the watchers' requests, and TLS is verified."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from k8snet_tui.sources.direct_http import direct_settings
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.kubeconfig import KubeconfigChoice, check_context, resolve_kubeconfig
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.ports import ApiFailure

pytestmark = pytest.mark.cluster
SERVICE = BY_NAME["Service"]


def uids(items):
    return sorted(o["metadata"]["uid"] for o in items)


def test_admin_kubeconfig_lists_without_the_kubernetes_package(lab_cluster):
    choice = resolve_kubeconfig(str(lab_cluster.kubeconfig), env={})
    assert direct_settings(choice.paths, check_context(choice, None)) is not None
    code = ("import json, sys\n"
            "from k8snet_tui.sources.kinds import BY_NAME\n"
            "from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig\n"
            "from k8snet_tui.sources.live_api import LiveApi\n"
            f"choice = resolve_kubeconfig({str(lab_cluster.kubeconfig)!r}, env={{}})\n"
            "live = LiveApi(choice, check_context(choice, None))\n"
            "page = live.list_page(BY_NAME['Service'], None, limit=500, slim=True)\n"
            "print(json.dumps({'uids': sorted(o['metadata']['uid'] for o in page.items),\n"
            "  'kubernetes': sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes')}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["kubernetes"] == []
    assert result["uids"] == uids(lab_cluster.api.get(SERVICE.path(None))["items"])


def test_early_lists_answer_the_watchers_requests(lab_cluster):
    choice = resolve_kubeconfig(str(lab_cluster.kubeconfig), env={})
    live = LiveApi(choice, check_context(choice, None))
    live.list_early([(SERVICE, None, "")], limit=3)
    items, token, pages = [], "", 0
    while True:
        page = live.list_page(SERVICE, None, limit=3, continue_token=token, slim=True)
        items.extend(page.items)
        pages += 1
        token = page.continue_token
        if not token:
            break
    assert pages > 1, "the lab has more than 3 Services: the continue tokens are followed"
    assert live.requests == pages, "a page listed early was asked for again"
    assert uids(items) == uids(lab_cluster.api.get(SERVICE.path(None))["items"])


def test_a_server_name_the_certificate_does_not_hold_is_refused(lab_cluster, tmp_path):
    doc = yaml.safe_load(lab_cluster.kubeconfig.read_text())
    doc["clusters"][0]["cluster"]["tls-server-name"] = "not-the-apiserver.example"
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(doc))
    live = LiveApi(KubeconfigChoice((str(path),), False, str(path)), doc["current-context"])
    with pytest.raises(ApiFailure) as failure:
        live.list_page(SERVICE, None, slim=True)
    assert failure.value.status == 0 and "not-the-apiserver.example" in failure.value.message
