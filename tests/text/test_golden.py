"""The text of every `show` view and of trace, dns and route on the bundled lab, pinned at 80 and
120 columns (COLUMNS), byte for byte.

The files under golden/ were read by eye once; a change to the text shows as a diff here.
`K8SNET_UPDATE_GOLDEN=1` rewrites them (read the diff before committing it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests import lab_roles as roles

GOLDEN = Path(__file__).resolve().parent / "golden"
INGRESS_NODEPORT = roles.node_port("emissary", "emissary-ingress", "http")  # the lab's, read from it
CASES = {
    "show-internet": ["show", "internet"],
    "show-host": ["show", "host"],
    "show-pods": ["show", "pods"],
    "show-services": ["show", "services"],
    "show-dns": ["show", "dns"],
    "show-ingress": ["show", "ingress"],
    "trace-website": ["trace", "default/website"],
    "trace-nodeport": ["trace", str(INGRESS_NODEPORT)],
    "dns-website-musl": ["dns", "website", "--pod", "default/client", "--resolver", "musl", "--type", "AAAA"],
    "dns-busybox": ["dns", "kubernetes", "--resolver", "busybox"],
    "route-engine": ["route", f"http://{roles.node_ip(roles.captured_node())}:{INGRESS_NODEPORT}/engine"],
    "route-bare-path": ["route", "/web/"],
    "show-policy": ["show", "policy"],
    "policy-check-client-website": ["policy", "check", "default/client", roles.website_pod(), "--port", "80"],
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("KUBECONFIG", "K8SNET_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def printed(argv: list[str], width: int | None, capsys, monkeypatch) -> str:
    if width is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(width))
    code = main([*argv, "--snapshot", "lab"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    return out


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("case", sorted(CASES))
def test_text_matches_the_golden_file(case: str, width: int, capsys, monkeypatch) -> None:
    out = printed(CASES[case], width, capsys, monkeypatch)
    path = GOLDEN / f"{case}-{width}.txt"
    if os.environ.get("K8SNET_UPDATE_GOLDEN") == "1":
        path.write_text(out, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with K8SNET_UPDATE_GOLDEN=1 and read it"
    assert out == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_line_is_wider_than_the_terminal(case: str, width: int, capsys, monkeypatch) -> None:
    from rich.cells import cell_len

    out = printed(CASES[case], width, capsys, monkeypatch)
    wide = [line for line in out.splitlines() if cell_len(line) > width]
    assert wide == []


def test_piped_output_has_no_width_limit(capsys, monkeypatch) -> None:
    out = printed(["show", "ingress"], None, capsys, monkeypatch)  # capsys is not a terminal
    assert "…" not in out and "cols" not in out
    assert max(len(line) for line in out.splitlines()) > 200  # the long details cell, whole


def test_narrow_terminal_hides_low_priority_columns_with_a_marker(capsys, monkeypatch) -> None:
    out = printed(["show", "services"], 80, capsys, monkeypatch)
    import re

    header = next(line for line in out.splitlines() if line.startswith("NAME"))
    marker = re.search(r"…\+(\d+) cols$", header)
    assert "TYPE" not in header and "BACKEND" not in header and marker
    assert header.split()[0] == "NAME" and "ENDPOINTS" in header  # priority 0: never hidden
    # the marker counts what is hidden: shown + hidden are the table's 7 columns (NAMESPACE ... BACKEND)
    shown = re.sub(r"…\+\d+ cols$", "", header).replace("CLUSTER IP", "CLUSTER_IP").split()
    assert len(shown) + int(marker.group(1)) == 7, header


def test_wide_shows_every_column_whatever_the_width(capsys, monkeypatch) -> None:
    out = printed(["show", "services", "-o", "wide"], 80, capsys, monkeypatch)
    header = next(line for line in out.splitlines() if line.startswith("NAMESPACE"))
    assert header.split() == ["NAMESPACE", "NAME", "TYPE", "CLUSTER", "IP", "PORTS", "ENDPOINTS", "BACKEND"]
    assert "…" not in out


def test_no_headers_leaves_only_rows(capsys, monkeypatch) -> None:
    out = printed(["show", "services", "--no-headers"], None, capsys, monkeypatch)
    table = out.strip("\n").splitlines()
    services = roles.services()  # every Service of the lab, one row each
    assert len(table) == len(services) >= 7 and table[0].split()[:2] == ["default", "engine"]
    # every line a row (a namespace first): no header, label or field
    assert {line.split()[0] for line in table} == {s["metadata"]["namespace"] for s in services}


def test_yaml_is_the_json_document(capsys, monkeypatch) -> None:
    import json

    import yaml

    as_yaml = yaml.safe_load(printed(["show", "services", "-o", "yaml"], None, capsys, monkeypatch))
    as_json = json.loads(printed(["show", "services", "--json"], None, capsys, monkeypatch))
    assert as_yaml == as_json and as_yaml["source"]["kind"] == "snapshot"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_faults_the_issue_found_are_gone(case: str, capsys, monkeypatch) -> None:
    """No escaped line break, no repeated label, no header cut mid-word, no raw JSON."""
    out = printed(CASES[case], 80, capsys, monkeypatch)
    assert "\\n" not in out
    assert "Same node: Same node" not in out and "Across nodes: Across nodes" not in out
    assert '{"' not in out and "[{" not in out
    import re

    for line in out.splitlines():
        header = re.sub(r"\s+…\+\d+ cols?$", "", line)
        if header.strip() and header == header.upper() and any(c.isalpha() for c in header):
            assert "…" not in header, line  # a header is shown whole or its column is hidden
