"""`k8snet policy check` given a Service where a pod is wanted (`default/website`, the natural
first try and the README's own example) says it is a Service and names its pods, on the CLI and
in pane 7's test box; a name that is neither still gets the general hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests import lab_roles as roles


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("KUBECONFIG", "K8SNET_CONFIG"):
        monkeypatch.delenv(var, raising=False)


def test_a_service_as_destination_names_its_pods(capsys):
    code = main(["policy", "check", roles.client(), "default/website", "--port", "80", "--snapshot", "lab"])
    err = capsys.readouterr().err
    assert code == 2
    assert "default/website is a Service, not a pod" in err
    first = sorted(roles.website_pods())[0]
    assert first in err  # a pod the user can type next, read from this lab


def test_a_service_as_source_names_its_pods_and_a_selectorless_one_says_so(capsys):
    assert main(["policy", "check", "default/website", roles.client(), "--snapshot", "lab"]) == 2
    assert "default/website is a Service, not a pod" in capsys.readouterr().err
    assert main(["policy", "check", roles.client(), "default/kubernetes", "--snapshot", "lab"]) == 2
    assert "default/kubernetes is a Service, not a pod, and it selects no pod" in capsys.readouterr().err


def test_a_name_that_is_no_service_keeps_the_general_hint(capsys):
    assert main(["policy", "check", roles.client(), "default/nope", "--snapshot", "lab"]) == 2
    err = capsys.readouterr().err
    assert "no pod default/nope" in err and "k8snet show pods lists them" in err
    assert "is a Service" not in err
