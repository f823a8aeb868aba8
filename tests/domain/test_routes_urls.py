"""The tester's URL parser: what it accepts, and which part it blames for what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.routes import UrlError, parse_url


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "path"),
    [
        ("http://18.185.35.194:31211/engine", "http", "18.185.35.194", 31211, "/engine"),
        ("https://Shop.Example.com", "https", "shop.example.com", 443, "/"),
        ("shop.example.com/a?b=c", "http", "shop.example.com", 80, "/a"),
        ("http://[fd00::1]:8080/x", "http", "fd00::1", 8080, "/x"),
        ("http://user:pw@host/p#frag", "http", "host", 80, "/p"),
    ],
)
def test_parses(text, scheme, host, port, path):
    u = parse_url(text)
    assert (u.scheme, u.host, u.port, u.path) == (scheme, host, port, path)


def test_query_is_kept():
    assert parse_url("http://h/?a=1&b=x%20y").query == (("a", "1"), ("b", "x y"))


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("ftp://h/", "scheme"),
        ("http://h:99999/", "port"),
        ("http://h:abc/", "port"),
        ("http:///path", "host"),
        ("http://bad host/", "host"),
        ("http://[fd00::1/", "host"),
        ("http://fd00::1/", "host"),
        ("http://h/a b", "path"),
        ("", "url"),
        (None, "url"),
    ],
)
def test_errors_name_the_part(text, part):
    with pytest.raises(UrlError) as err:
        parse_url(text)
    assert err.value.part == part


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), st.none(), st.integers()))
def test_never_crashes(text):
    try:
        u = parse_url(text)
    except UrlError as err:
        assert err.part in {"url", "scheme", "host", "port", "path"}
    else:
        assert u.path.startswith("/")
        assert 0 < u.port < 65536
