"""Settings: the TOML file, then the environment on top; a broken file names itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8snet_tui.config import Settings, config_path
from k8snet_tui.errors import UsageError

FILE = """
theme = "high-contrast"
interval = 5
offline = false
metadata_url = "http://127.0.0.1:8169"
echo_urls = ["http://127.0.0.1:9/ip", 7]

[keymap]
"pane.services" = "4,f4"
"app.quit" = "q,ctrl+q"
"bad" = 3
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(FILE, encoding="utf-8")
    return path


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    s = Settings.load(env={}, path=tmp_path / "absent.toml")
    assert s == Settings()
    assert s.offline is False and s.no_color is False and s.source_path is None


def test_file_values(cfg: Path) -> None:
    s = Settings.load(env={}, path=cfg)
    assert s.theme == "high-contrast" and s.interval == 5.0 and s.offline is False
    assert s.metadata_url == "http://127.0.0.1:8169"
    assert s.echo_urls == ("http://127.0.0.1:9/ip",)
    assert dict(s.keymap) == {"pane.services": "4,f4", "app.quit": "q,ctrl+q"}
    assert s.source_path == str(cfg)


def test_env_wins_over_file(cfg: Path) -> None:
    env = {"K8SNET_OFFLINE": "1", "K8SNET_THEME": "ansi", "K8SNET_METADATA_URL": "http://127.0.0.2:1",
           "K8SNET_ECHO_URLS": " http://127.0.0.1:1/a , ,http://127.0.0.1:2/b ", "NO_COLOR": "1"}
    s = Settings.load(env=env, path=cfg)
    assert s.offline is True and s.theme == "ansi" and s.no_color is True
    assert s.metadata_url == "http://127.0.0.2:1"
    assert s.echo_urls == ("http://127.0.0.1:1/a", "http://127.0.0.1:2/b")
    assert dict(s.keymap) == {"pane.services": "4,f4", "app.quit": "q,ctrl+q"}  # env has no keymap


@pytest.mark.parametrize("value, offline", [("1", True), ("true", True), ("YES", True), ("on", True),
                                            ("0", False), ("false", False), ("", False)])
def test_offline_env_values(tmp_path: Path, value: str, offline: bool) -> None:
    path = tmp_path / "c.toml"
    path.write_text("offline = true\n")
    assert Settings.load(env={"K8SNET_OFFLINE": value}, path=path).offline is offline


def test_empty_no_color_is_ignored(tmp_path: Path) -> None:
    # no-color.org: set and not empty
    assert Settings.load(env={"NO_COLOR": ""}, path=tmp_path / "x").no_color is False


def test_nonsense_values_in_the_file_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('theme = 3\ninterval = -1\noffline = "yes"\nkeymap = "x"\necho_urls = "u"\n')
    s = Settings.load(env={}, path=path)
    assert (s.theme, s.interval, s.offline, dict(s.keymap), s.echo_urls) == ("default", 2.0, False, {}, ())


@pytest.mark.parametrize("text", ["theme = \n", "[keymap\n", 'a = "unterminated\n'])
def test_broken_toml_is_a_usage_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        Settings.load(env={}, path=path)
    assert str(path) in info.value.message and info.value.hint


def test_undecodable_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(UsageError) as info:
        Settings.load(env={}, path=path)
    assert str(path) in info.value.message


def test_config_path_resolution(tmp_path: Path) -> None:
    assert config_path({"K8SNET_CONFIG": "/x/y.toml"}) == Path("/x/y.toml")
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "k8snet" / "config.toml"


def test_load_uses_k8snet_config_from_env(cfg: Path) -> None:
    assert Settings.load(env={"K8SNET_CONFIG": str(cfg)}).theme == "high-contrast"
