"""One grammar: every form below is accepted by the CLI and by the TUI's `:` line, with the same answer;
the bad ones are refused by both, with the same words.

The CLI side is `cli.parse_command` (argparse for the options, then the grammar); the `:` side is
`grammar.parse` of the line as typed. The answers are compared field by field (the verb as typed
aside: `svc` and `show` both say "show services").
"""

from __future__ import annotations

import dataclasses
import shlex

import pytest

from k8snet_tui import grammar
from k8snet_tui.cli import parse_command
from k8snet_tui.errors import UsageError

from tests import lab_roles as roles

WEBSITE_IP = roles.cluster_ip("default", "website")  # the lab's website ClusterIP
WEBSITE_NODEPORT = roles.node_port("default", "website", "http")
EMISSARY_NODEPORT = roles.node_port("emissary", "emissary-ingress", "http")

# (form, what it means)
FORMS = [
    ("show 4", "show services"),
    ("show svc", "show services"),
    ("show services", "show services"),
    ("show service", "show services"),
    ("show 2", "show host"),
    ("show vpc", "show host"),
    ("show nodes", "show host"),
    ("show po", "show pods"),
    ("show 1", "show internet"),
    ("show inet", "show internet"),
    ("show coredns", "show dns"),
    ("show 6", "show ingress"),
    ("show ing", "show ingress"),
    ("show gateway", "show ingress"),
    ("show SVC", "show services"),
    ("trace default/website", "trace default/website"),
    ("trace default/website:http", "trace default/website:http"),
    ("trace default/website:80", "trace default/website:80"),
    ("trace website", "trace website"),
    ("trace 10.97.71.81", "trace 10.97.71.81"),
    ("trace 10.97.71.81:80", "trace 10.97.71.81:80"),
    ("trace 31100", "trace 31100"),
    ("trace [fd00::10]:443", "trace [fd00::10]:443"),
    ("dns website", "dns website --resolver glibc --type A"),
    ("dns website --resolver busybox", "dns website --resolver busybox --type A"),
    ("dns website --resolver=musl --type=aaaa", "dns website --resolver musl --type AAAA"),
    ("dns website --pod default/client", "dns website --pod default/client --resolver glibc --type A"),
    ("dns website AAAA musl", "dns website --resolver musl --type AAAA"),
    ("dns kubernetes.default --type SRV --resolver glibc", "dns kubernetes.default --resolver glibc --type SRV"),
    ("route http://18.185.35.194:31211/engine", "route http://18.185.35.194:31211/engine"),
    ("route /engine/", "route /engine/"),
    ("route /web/ --class ambassador", "route /web/ --class ambassador"),
    ("policy check default/client default/website", "policy check default/client default/website"),
    ("policy check default/client ip:10.0.0.5 --port 80 --protocol udp",
     "policy check default/client ip:10.0.0.5 --port 80 --protocol UDP"),
]
BAD = [
    "show everything",
    "trace a/b/c",
    "trace 99999",
    "trace 10.0.0.1:0",
    "trace default/website:70000",
    "dns website --resolver nope",
    "dns website --type BOGUS",
    "dns website --pod justapod",
    "dns website sometimes",
    "route http://a/ http://b/",
]


def _fields(cmd: grammar.Command) -> dict:
    out = dataclasses.asdict(cmd)
    out.pop("word")
    return out


@pytest.mark.parametrize("form, meaning", FORMS, ids=[f for f, _ in FORMS])
def test_a_form_means_the_same_on_both_surfaces(form: str, meaning: str) -> None:
    typed = grammar.parse(form)
    given = parse_command(shlex.split(form))
    assert typed is not None and given is not None
    assert _fields(typed) == _fields(given)
    assert typed.canonical() == meaning
    assert grammar.parse(":" + form) == typed  # the colon is optional on the line


@pytest.mark.parametrize("form", BAD)
def test_a_bad_form_is_refused_by_both_with_the_same_words(form: str, capsys) -> None:
    with pytest.raises(UsageError) as typed:
        grammar.parse(form)
    try:
        parse_command(shlex.split(form))
    except UsageError as given:
        assert str(given) == str(typed.value)
    except SystemExit as exc:  # argparse refused it first (a word too many): still a usage error
        assert exc.code == 2
    else:
        pytest.fail(f"the CLI accepted {form!r}")


@pytest.mark.parametrize("line, verb, arg", [
    ("q", "quit", ""), ("quit", "quit", ""), ("q!", "quit", ""),
    ("ns web", "ns", "web"), ("ns all", "ns", ""), ("ns -A", "ns", ""), ("ns", "ns", ""),
    ("theme high-contrast", "theme", "high-contrast"), ("ctx prod", "ctx", "prod"),
    ("svc web", "show", "web"), ("4", "show", ""), (":pods client", "show", "client"),
])
def test_the_line_only_words(line: str, verb: str, arg: str) -> None:
    cmd = grammar.parse(line)
    assert cmd is not None and (cmd.verb, cmd.arg) == (verb, arg)


def test_an_empty_line_is_nothing_and_an_unknown_word_says_what_is_known() -> None:
    assert grammar.parse("") is None and grammar.parse(":") is None and grammar.parse("   ") is None
    with pytest.raises(UsageError, match="unknown command 'frobnicate'") as exc:
        grammar.parse("frobnicate")
    assert "trace" in exc.value.hint and "svc" in exc.value.hint


def test_a_huge_line_is_refused_not_parsed() -> None:
    with pytest.raises(UsageError, match="characters long"):
        grammar.parse("trace " + "a" * 100_000)


@pytest.fixture
def lab():
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.sources.snapshot import load_snapshot

    return SnapshotSession(load_snapshot("lab")).observed().cluster


@pytest.mark.parametrize("target, ref", [
    (WEBSITE_IP, "default/website"),
    (f"{WEBSITE_IP}:80", "default/website:http"),
    (str(WEBSITE_NODEPORT), "default/website:http"),
    (str(EMISSARY_NODEPORT), "emissary/emissary-ingress:http"),
    ("10.96.0.10:53", "kube-system/kube-dns:dns"),
    ("default/website:http", "default/website:http"),
])
def test_an_address_or_nodeport_is_traced_as_its_service(lab, target: str, ref: str) -> None:
    assert grammar.resolve_trace(lab, grammar.parse_trace_target(target)) == ref


@pytest.mark.parametrize("target", ["10.1.2.3", f"{WEBSITE_IP}:81", "30999"])
def test_an_address_no_service_has_is_a_usage_error(lab, target: str) -> None:
    with pytest.raises(UsageError, match="no Service has"):
        grammar.resolve_trace(lab, grammar.parse_trace_target(target))


# -- end to end: the forms the issue found refused now work -----------------------------------------

@pytest.fixture
def cli(monkeypatch, tmp_path, capsys):
    from k8snet_tui.cli import main

    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--snapshot", "lab", "--json"])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.mark.parametrize("argv, key, expected", [
    (["dns", "website", "--resolver", "busybox"], "resolver", "busybox"),
    (["route", "/engine/"], "url", f"http://{roles.node_ip(roles.captured_node())}:{EMISSARY_NODEPORT}/engine/"),
    (["trace", WEBSITE_IP], "service", "default/website"),
    (["trace", str(WEBSITE_NODEPORT)], "service", "default/website"),
    (["show", "4"], "backend", "iptables-legacy"),
    (["show", "svc"], "backend", "iptables-legacy"),
])
def test_forms_once_refused_now_answer(cli, argv, key, expected) -> None:
    import json

    code, out, err = cli(*argv)
    assert code == 0, err
    assert json.loads(out)[key] == expected
