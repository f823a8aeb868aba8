"""print_json's encoder writes exactly what json.dumps(indent=2, ensure_ascii=True) writes."""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import pytest

from k8snet_tui.json_indented import dumps_indented
from k8snet_tui.render_text import print_json

ROOT = Path(__file__).resolve().parents[1]


def _reference(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=True)


HOSTILE = [
    {}, [], (), {"a": []}, {"a": {}}, [[]], [{}], [[], {}, [[]]], {"": ""},
    {"a": {"b": [1, 2, {"c": [], "d": {}}], "e": [[[[1]]]]}},
    "x\u2028\u202e\x1b[31m\x00\x7f\"\\/\t\n", "😀é", 10**200, -(10**200), 0, -1,
    1.5, -0.0, 1e300, 5e-324, float("nan"), float("inf"), -float("inf"),
    [float("nan"), float("inf"), -float("inf"), 0.1 + 0.2],
    {7: "int", 2.5: "float", True: "bool", None: "none", False: [1, {"x": []}]},
    {float("nan"): [1], float("inf"): [2], -float("inf"): [3], -0.0: {"z": []}},
    (1, (2, 3), [4, (5,)]), None, True, False,
    {"rows": [{"name": "a\u0000b", "ports": [], "labels": {}, "n": 3}] * 3},
    [{"k": [{"k": [{"k": "deep"}]}]}],
]


@pytest.mark.parametrize("doc", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_match_json_dumps(doc: object) -> None:
    assert dumps_indented(doc) == _reference(doc)


def _random_doc(rng: random.Random, depth: int) -> object:
    kinds = ["str", "int", "float", "none", "bool"] + (["list", "dict", "empty"] * 2 if depth < 5 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return "".join(rng.choice("ab\"\\\x01\u00e9\U0001f600 \n") for _ in range(rng.randrange(5)))
    if kind == "int":
        return rng.choice([0, -7, 2**70, rng.randrange(-1000, 1000)])
    if kind == "float":
        return rng.choice([0.5, -1e-9, float("inf"), 3.0])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "empty":
        return rng.choice([[], {}, ()])
    if kind == "list":
        return [_random_doc(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "b", "\u00e9", "", "k\"q"]) + str(i): _random_doc(rng, depth + 1)
            for i in range(rng.randrange(4))}


def test_generated_documents_match_json_dumps() -> None:
    rng = random.Random(22)
    for _ in range(2000):
        doc = _random_doc(rng, 0)
        assert dumps_indented(doc) == _reference(doc), doc


def test_refusals_are_the_same() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"a": [object()]})
    with pytest.raises(TypeError):
        dumps_indented({(1, 2): 1})
    loop: list = [1]
    loop.append([loop])
    with pytest.raises(ValueError):
        dumps_indented(loop)


def test_print_json_adds_one_newline() -> None:
    out = io.StringIO()
    print_json({"a": [1, {"b": []}]}, out)
    assert out.getvalue() == _reference({"a": [1, {"b": []}]}) + "\n"


def _scales() -> list[str]:
    wanted = os.environ.get("K8SNET_LAZY_SCALES", "S").split(",")
    return [s for s in wanted if (ROOT / "bench" / ".data" / s / "snapshot").is_dir()]


@pytest.mark.parametrize("scale", _scales() or ["S"])
def test_show_services_document_of_bench_scale(scale: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    snap = ROOT / "bench" / ".data" / scale / "snapshot"
    if not snap.is_dir():
        pytest.skip("bench data missing (python -m bench.gen)")
    from k8snet_tui import cli

    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    cli.main(["show", "services", "--snapshot", str(snap), "-o", "json"])
    text = capsys.readouterr().out
    doc = json.loads(text)
    assert doc["rows"], "no rows"
    assert text == _reference(doc) + "\n"


def test_lab_documents_match_json_dumps(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from k8snet_tui import cli

    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    for pane in ("services", "pods", "dns", "host"):
        cli.main(["show", pane, "--snapshot", "lab", "-o", "json"])
        text = capsys.readouterr().out
        assert text == _reference(json.loads(text)) + "\n", pane
