"""`k8snet trace` of a mistyped address (999.1.1.1, 10.96.0.999:80) says it is not an address;
before, it was read as a Service name ('unknown service default/999.1.1.1') with a did-you-mean of
Service names. A Service name never has a dot, so nothing a user could mean is refused."""

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


@pytest.mark.parametrize("target", ["999.1.1.1", "10.96.0.999:80", "10.96.0", "1.2.3.4.5:53"])
def test_a_mistyped_address_is_said_to_be_no_address(target, capsys):
    assert main(["trace", target, "--snapshot", "lab"]) == 2
    err = capsys.readouterr().err
    host = target.rsplit(":", 1)[0] if target.count(":") == 1 else target
    assert f"trace: '{host}' is not an IP address" in err
    assert "unknown service" not in err and "did you mean" not in err


def test_a_real_address_and_a_service_name_still_trace(capsys):
    address = roles.cluster_ip("default", "website")
    assert main(["trace", address, "--snapshot", "lab"]) == 0
    assert "Service: default/website" in capsys.readouterr().out
    assert main(["trace", "default/website", "--snapshot", "lab"]) == 0
