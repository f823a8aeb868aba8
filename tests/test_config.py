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


# -- bad values: one message naming the key and what it accepts, and the default kept -----------

def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return Settings.load(env=env or {}, path=path)


@pytest.mark.parametrize("text, key, allowed", [
    ('theme = "nope"', "theme", "default, high-contrast, ansi"),
    ('theme = 3', "theme", "default, high-contrast, ansi"),
    ('interval = "fast"', "interval", "a number of seconds"),
    ('interval = -1', "interval", "a number of seconds"),
    ('interval = true', "interval", "a number of seconds"),
    ('offline = "yes"', "offline", "true or false"),
    ('echo_urls = "http://127.0.0.1/"', "echo_urls", "a list of URLs"),
    ('keymap = "q"', "keymap", "a table"),
])
def test_a_bad_value_is_named_with_what_is_allowed_and_the_default_kept(tmp_path, text, key, allowed):
    s = _load(tmp_path, text)
    assert len(s.problems) == 1, s.problems
    problem = s.problems[0]
    assert f"{key} = " in problem and allowed in problem and "using the default" in problem
    assert str(tmp_path / "config.toml") in problem
    defaults = Settings()
    assert (s.theme, s.interval, s.offline, s.echo_urls, dict(s.keymap)) == \
        (defaults.theme, defaults.interval, defaults.offline, defaults.echo_urls, dict(defaults.keymap))


def test_good_values_next_to_a_bad_one_still_apply(tmp_path):
    s = _load(tmp_path, 'theme = "ansi"\ninterval = "fast"\n')
    assert s.theme == "ansi" and s.interval == 2.0 and len(s.problems) == 1


def test_an_unknown_setting_is_named_with_the_known_ones(tmp_path):
    s = _load(tmp_path, 'colour = "red"\n')
    assert len(s.problems) == 1 and "'colour'" in s.problems[0] and "theme, interval" in s.problems[0]


def test_a_bad_theme_in_the_environment_is_reported_too(tmp_path):
    s = Settings.load(env={"K8SNET_THEME": "neon"}, path=tmp_path / "absent.toml")
    assert s.theme == "default" and len(s.problems) == 1 and "K8SNET_THEME='neon'" in s.problems[0]


def test_unknown_keymap_ids_are_dropped_and_named(tmp_path):
    s = _load(tmp_path, '[keymap]\n"app.quit" = "q,ctrl+q"\n"app.nope" = "x"\n')
    checked = s.with_keymap_checked({"app.quit", "app.help"})
    assert dict(checked.keymap) == {"app.quit": "q,ctrl+q"}
    assert len(checked.problems) == 1 and "'app.nope'" in checked.problems[0] and "app.help" in checked.problems[0]
    assert s.with_keymap_checked({"app.quit", "app.nope"}) is s
