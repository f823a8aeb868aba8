"""The Path presenter and text on the bundled lab (a real capture): the chain's rows (marks that
carry the meaning without colour, the first failure flagged and its details holding the fix,
later hops greyed), the pane's source list, the JSON through the one serializer, the text of
`k8snet path` in the house style, and the live check's lines, including a disagreement."""

from __future__ import annotations

import io
import json

import pytest

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.path import compare
from k8snet_tui.errors import UsageError
from k8snet_tui.present import Selection
from k8snet_tui.present.path import as_report, chain, check_lines, present, report
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot
from k8snet_tui.text import TextOptions, render

from tests import lab_roles as roles

ON_NODE_1 = roles.website_pod()  # a website pod on node-1, the node whose state the lab holds
WEBSITE_IP = roles.cluster_ip("default", "website")


@pytest.fixture(scope="module")
def lab() -> Observed:
    snap = load_snapshot(bundled_lab_path())
    return Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node)


def test_the_chain_marks_the_first_failure_and_greys_what_comes_after(lab):
    m = chain(report(lab, ON_NODE_1, "website:8080"))
    assert m.headline.startswith("✗ unreachable") and "service hop fails" in m.headline
    rows = {r.hop: r for r in m.rows}
    assert [r.mark for r in m.rows] == ["✓", "✗", "?", "?"]
    assert rows["service"].first_failure and not rows["service"].greyed
    assert rows["service"].details[0] == "fix: Service default/website has no port 8080; its ports: 80/TCP (http)"
    assert rows["network"].greyed and rows["policy"].greyed and not rows["dns"].greyed
    assert [r.hop for r in m.rows if r.first_failure] == ["service"]


def test_a_reachable_chain_has_no_failure_and_every_hop_says_where_to_see_it(lab):
    m = chain(report(lab, ON_NODE_1, "website:80"))
    assert m.verdict == "reachable" and m.headline == f"✓ reachable: {ON_NODE_1} -> website:80 (dials {WEBSITE_IP}:80)"
    assert not any(r.first_failure or r.greyed for r in m.rows)
    sees = {r.hop: r.see for r in m.rows}
    assert sees["dns"] == f"dns website --pod {ON_NODE_1}" and sees["datapath"] == "trace default/website:http"
    assert sees["policy"].startswith(f"policy check {ON_NODE_1} default/website-")


def test_the_pane_model_lists_pods_with_an_address_and_defaults_to_the_selected_one(lab):
    engine = roles.engine_pod()
    m = present(lab, Selection(selected=engine))
    assert "default/client" in m.pods and m.default_source == engine
    # kube-system's pods with an address of their own: CoreDNS (hostNetwork pods are the node itself)
    assert present(lab, Selection(namespace="kube-system")).pods == roles.coredns_pods()


def test_json_is_the_serializer_output_with_the_contract_keys(lab):
    doc = json.loads(json.dumps(to_jsonable(report(lab, "default/client", "website:8080"))))
    assert list(doc)[:4] == ["reachable", "verdict", "first_failure", "hops"]
    assert doc["reachable"] is False and doc["first_failure"]["hop"] == "service"
    assert doc["first_failure"] == doc["hops"][1]
    assert {h["verdict"] for h in doc["hops"]} <= {"ok", "fail", "unknown"}
    assert report(lab, "default/client", "website:8080").to_json() == to_jsonable(
        report(lab, "default/client", "website:8080"))


def test_a_question_that_cannot_be_asked_is_a_usage_error(lab):
    with pytest.raises(UsageError, match="no pod default/nope"):
        report(lab, "default/nope", "website:80")


def _text(model, wide=False) -> str:
    out = io.StringIO()
    render("path", model, out, TextOptions(width=80, wide=wide))
    return out.getvalue()


def test_text_gives_the_verdict_first_then_one_line_per_hop_and_the_fix(lab):
    text = _text(report(lab, "default/client", "website:8080"))
    lines = text.splitlines()
    assert lines[0] == "✗ unreachable: default/client -> website:8080: the service hop fails"
    assert f"  ✓ dns       website -> {WEBSITE_IP}" in lines  # wrapped at 80 under its own indent
    assert lines[lines.index(f"  ✓ dns       website -> {WEBSITE_IP}") + 1].startswith("              (website.default")
    assert any(line.startswith(f"  ✗ service   {WEBSITE_IP} is Service default/website") for line in lines)
    assert any(line.startswith("              fix: Service default/website has no port 8080;") for line in lines)
    assert "  ? network   (after the failure) no endpoint to reach" in lines
    assert all(len(line) <= 80 for line in lines)


def test_wide_text_adds_every_hops_evidence(lab):
    narrow, wide = _text(report(lab, ON_NODE_1, "website:80")), _text(report(lab, ON_NODE_1, "website:80"), True)
    assert "KUBE-SEP-" not in narrow and "KUBE-SEP-" in wide


def test_the_check_lines_say_what_happened_and_a_disagreement_is_a_finding(lab):
    d = report(lab, ON_NODE_1, "website:80")
    failed = as_report(compare(d, WEBSITE_IP, 80, ok=False, error="timed out", elapsed_ms=2001.0,
                               netns="/run/netns/cni-1", unavailable=None))
    assert check_lines(failed) == (f"check: {WEBSITE_IP}:80 failed: timed out in 2001 ms (from /run/netns/cni-1); "
                                   "DISAGREES with the diagnosis",)
    assert failed.check.agrees is False and failed.findings[0].startswith("disagreement: every hop is ok")
    assert "Check:" in _text(failed) and "disagreement" in _text(failed)
    ok = compare(d, WEBSITE_IP, 80, ok=True, error=None, elapsed_ms=1.0, netns=None, unavailable=None)
    assert ok.check.agrees is True and ok.findings == ()
    broken = report(lab, ON_NODE_1, "website:8080")
    surprise = compare(broken, WEBSITE_IP, 8080, ok=True, error=None, elapsed_ms=1.0, netns=None, unavailable=None)
    assert surprise.check.agrees is False and "the service hop fails" in surprise.findings[0]
    none = compare(d, WEBSITE_IP, 80, ok=False, error=None, elapsed_ms=None, netns=None,
                   unavailable="this is a snapshot")
    assert none.check.ok is None and none.check.agrees is None and none.findings == ()
