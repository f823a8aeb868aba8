"""docs/json.md against what the one serializer prints for the bundled lab.

The `k8snet show PANE --json` table is read from the doc: every documented top-level field must
be printed and every printed top-level field documented; a parenthesised list of backticked
names after a field names the keys of its objects (for a field holding objects) or its allowed
values (for a string). The dns and route examples' keys must all be printed too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from k8snet_tui import views
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.registry import PANES
from k8snet_tui.sources.snapshot import load_snapshot

DOC = Path(__file__).resolve().parents[1] / "docs" / "json.md"


def _split_top(cell: str) -> list[str]:
    """`a`, `b` (`x`, `y`), `c` -> ["`a`", "`b` (`x`, `y`)", "`c`"]: commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in cell:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def documented_show_fields() -> dict[str, dict[str, list[str]]]:
    """pane -> {field: [names in its parentheses]} from the doc's `show PANE --json` table."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## `k8snet show PANE --json`", 1)[1].split("\n## ", 1)[0]
    out: dict[str, dict[str, list[str]]] = {}
    for line in section.splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|(.*)\|\s*$", line)
        if not m:
            continue
        fields: dict[str, list[str]] = {}
        for part in _split_top(m.group(2)):
            name = re.match(r"`(\w+)`", part)
            if not name:
                continue
            inner = re.search(r"\((.*)\)", part)
            fields[name.group(1)] = re.findall(r"`([^`]+)`", inner.group(1)) if inner else []
        out[m.group(1)] = fields
    return out


@pytest.fixture(scope="module")
def observed():
    return SnapshotSession(load_snapshot("lab")).observed()


def test_the_doc_table_covers_every_registered_pane():
    assert set(documented_show_fields()) == {spec.id for spec in PANES}


@pytest.mark.parametrize("pane", [spec.id for spec in PANES])
def test_show_json_matches_the_doc(pane, observed):
    doc_fields = documented_show_fields()[pane]
    printed = to_jsonable(views.build(pane, observed))
    assert isinstance(printed, dict)
    assert set(printed) == set(doc_fields), f"{pane}: printed and documented top-level fields differ"
    for name, inner in doc_fields.items():
        value = printed[name]
        items = value if isinstance(value, list) else [value]
        objects = [v for v in items if isinstance(v, dict)]
        if not inner:
            continue
        if objects:
            for key in inner:
                assert all(key in o for o in objects), f"{pane}.{name}[]: no {key!r}"
        else:
            assert all(v in inner for v in items if v is not None), f"{pane}.{name}: {value!r} not in {inner}"


def test_show_json_is_what_the_cli_prints(observed, capsys):
    from k8snet_tui.cli import main

    assert main(["show", "ingress", "--json", "--snapshot", "lab"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("source")["kind"] == "snapshot"  # provenance: the CLI adds it to every document
    assert printed == json.loads(json.dumps(to_jsonable(views.build("ingress", observed))))


def _example_keys(heading: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split(heading, 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return set(re.findall(r'"(\w+)":', block))


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_dns_example_keys_are_printed(observed):
    printed = views.dns_lookup(observed, "website", pod="default/client").to_json()
    assert _example_keys("## `k8snet dns NAME --json`") - _keys(printed) == set()


def test_route_example_keys_are_printed(observed):
    printed = views.route(observed, "http://172.31.24.84:31211/engine").to_json()
    missing = _example_keys("## `k8snet route URL --json`") - _keys(printed)
    assert missing == set()
