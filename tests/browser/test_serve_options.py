"""`k8snet serve`'s choices without a browser: what each tab runs, where it listens, the page."""

from __future__ import annotations

import argparse
import sys

import pytest

from k8snet_tui.cli import build_parser, main
from k8snet_tui.errors import UsageError
from k8snet_tui.serve import app_command, check_options, make_server


def test_each_tab_runs_the_read_only_app_isolated_with_the_source_options_given():
    args = build_parser().parse_args(["--snapshot", "lab", "-n", "web", "serve", "--lab", "--port", "8123"])
    words = app_command(args)
    assert words[:4] == [sys.executable, "-I", "-m", "k8snet_tui"]
    assert words[4:] == ["--snapshot", "lab", "--namespace", "web", "--pane", "services", "lab"]
    assert (args.host, args.port, args.font_size) == ("127.0.0.1", 8123, 16)  # loopback unless told


@pytest.mark.parametrize("host, port, size, word", [
    ("example.org", 8000, 16, "not an IP address"), ("127.0.0.1", 0, 16, "not a port"),
    ("127.0.0.1", 8000, 200, "out of range")])
def test_bad_options_are_usage_errors(host, port, size, word):
    with pytest.raises(UsageError, match=word):
        check_options(host, port, size)


def test_a_bad_option_exits_2_before_listening(capsys):
    assert main(["serve", "--host", "example.org", "--snapshot", "lab"]) == 2
    assert "not an IP address" in capsys.readouterr().err


async def test_the_page_gets_the_font_size_and_no_third_party_link():
    from aiohttp.test_utils import TestClient, TestServer

    server = make_server(app_command(argparse.Namespace()), host="127.0.0.1", port=8000, font_size=22)
    client = TestClient(TestServer(await server._make_app()))  # textual-serve's own aiohttp app
    await client.start_server()
    try:
        page = await (await client.get("/")).text()
        assert 'data-font-size="22"' in page and "googleapis" not in page
        page = await (await client.get("/?fontsize=12")).text()
        assert 'data-font-size="12"' in page
    finally:
        await client.close()


def test_a_port_in_use_is_said_in_words(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--snapshot", "lab"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another --port" in err and "Traceback" not in err
