"""`k8snet dns NAME --pod NS/POD` asks about a pod that exists, as path, policy and mesh do."""

from __future__ import annotations

from k8snet_tui import cli

from tests.lab_roles import client, website_pods


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["dns", *argv, "--snapshot", "lab"])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unknown_pod_is_a_usage_error_that_says_how_to_list_them(capsys):
    code, out, err = _run(capsys, "website", "--pod", "nope/nope")
    assert code == 2 and out == ""
    assert "dns: no pod nope/nope" in err and "k8snet show pods" in err


def test_a_workload_name_offers_its_pods(capsys):
    website = [f"default/{name}" for name in website_pods()]
    code, _out, err = _run(capsys, "website", "--pod", "default/website")
    assert code == 2
    assert "did you mean" in err and all(key in err for key in website[:3])


def test_a_real_pod_still_answers(capsys):
    code, out, _err = _run(capsys, "website", "--pod", client())
    assert code == 0
    assert client() in out and "website.default.svc.cluster.local" in out
