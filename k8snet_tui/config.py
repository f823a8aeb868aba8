"""Settings from the config file and the environment, and the user's keymap.

The file is TOML at `$K8SNET_CONFIG` or `$XDG_CONFIG_HOME/k8snet/config.toml`
(`~/.config/k8snet/config.toml`). Environment variables win over the file. A value that is
wrong (a theme that does not exist, an interval that is not a number) is reported in
`Settings.problems`, one line naming the key and what it accepts, and the default is kept:
a typo in the config must never stop the app from starting. Example:

    theme = "high-contrast"         # or "default", "ansi" (16 colours)
    interval = 2.0                  # node poll period, seconds
    metadata_url = "http://127.0.0.1:8169"
    echo_urls = ["https://example.invalid/ip"]
    offline = false

    [keymap]                        # binding id = keys (comma-separated)
    "pane.services" = "4,f4"
    "app.quit" = "q,ctrl+q"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from k8snet_tui.errors import UsageError


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("K8SNET_CONFIG"):
        return Path(env["K8SNET_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "k8snet" / "config.toml"


THEME_NAMES = ("default", "high-contrast", "ansi")
THEME_HELP = {
    "default": "Textual's dark colours, for a terminal of many colours",
    "high-contrast": "yellow, cyan and white on black, for a projector",
    "ansi": "only the terminal's own 16 colours and background",
}
KNOWN_KEYS = ("theme", "interval", "offline", "metadata_url", "echo_urls", "keymap")


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    theme: str = "default"
    interval: float = 2.0
    offline: bool = False
    metadata_url: str | None = None
    echo_urls: tuple[str, ...] = ()
    keymap: Mapping[str, str] = field(default_factory=dict)
    no_color: bool = False
    source_path: str | None = None  # the config file that was read, if any
    problems: tuple[str, ...] = ()  # one line per bad value, each naming the key and what it accepts

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
        env = os.environ if env is None else env
        path = path or config_path(env)
        settings = cls()
        if path.is_file():
            settings = settings._merge_file(path)
        return settings._merge_env(env)

    def _merge_file(self, path: Path) -> Settings:
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read the config file {path}: {exc}",
                             hint="fix the file or point K8SNET_CONFIG at another one") from None
        updates: dict[str, Any] = {"source_path": str(path)}
        problems: list[str] = []

        def bad(key: str, value: object, accepts: str) -> None:
            problems.append(f"{path}: {key} = {value!r} is not valid: {accepts}; using the default")

        for key in doc:
            if key not in KNOWN_KEYS:
                problems.append(f"{path}: unknown setting {key!r} (known: {', '.join(KNOWN_KEYS)}); ignored")
        if "theme" in doc:
            if isinstance(doc["theme"], str) and doc["theme"].strip().lower() in THEME_NAMES:
                updates["theme"] = doc["theme"].strip().lower()
            else:
                bad("theme", doc["theme"], f"one of {', '.join(THEME_NAMES)}")
        if "interval" in doc:
            interval = doc["interval"]
            if isinstance(interval, (int, float)) and not isinstance(interval, bool) and 0 < interval <= 3600:
                updates["interval"] = float(interval)
            else:
                bad("interval", interval, "a number of seconds between 0 and 3600, e.g. 2.0")
        if "offline" in doc:
            if isinstance(doc["offline"], bool):
                updates["offline"] = doc["offline"]
            else:
                bad("offline", doc["offline"], "true or false")
        if "metadata_url" in doc:
            if isinstance(doc["metadata_url"], str):
                updates["metadata_url"] = doc["metadata_url"]
            else:
                bad("metadata_url", doc["metadata_url"], "a URL in quotes")
        if "echo_urls" in doc:
            if isinstance(doc["echo_urls"], list):
                updates["echo_urls"] = tuple(u for u in doc["echo_urls"] if isinstance(u, str))
            else:
                bad("echo_urls", doc["echo_urls"], "a list of URLs in quotes")
        if "keymap" in doc:
            if isinstance(doc["keymap"], dict):
                updates["keymap"] = {str(k): v for k, v in doc["keymap"].items() if isinstance(v, str)}
                for k, v in doc["keymap"].items():
                    if not isinstance(v, str):
                        bad(f"keymap.{k}", v, 'keys in quotes, comma-separated, e.g. "4,f4"')
            else:
                bad("keymap", doc["keymap"], 'a table: [keymap] then "binding.id" = "keys"')
        updates["problems"] = self.problems + tuple(problems)
        return replace(self, **updates)

    def _merge_env(self, env: Mapping[str, str]) -> Settings:
        updates: dict[str, Any] = {}
        if "K8SNET_OFFLINE" in env:
            updates["offline"] = _truthy(env["K8SNET_OFFLINE"])
        if env.get("K8SNET_METADATA_URL"):
            updates["metadata_url"] = env["K8SNET_METADATA_URL"]
        if env.get("K8SNET_ECHO_URLS"):
            updates["echo_urls"] = tuple(u.strip() for u in env["K8SNET_ECHO_URLS"].split(",") if u.strip())
        if env.get("K8SNET_THEME"):
            if env["K8SNET_THEME"].strip().lower() in THEME_NAMES:
                updates["theme"] = env["K8SNET_THEME"].strip().lower()
            else:
                theme = env["K8SNET_THEME"]
                updates["problems"] = (*self.problems, f"K8SNET_THEME={theme!r} is not valid: one of "
                                       f"{', '.join(THEME_NAMES)}; using the default")
        if "NO_COLOR" in env and env["NO_COLOR"] != "":
            updates["no_color"] = True
        return replace(self, **updates)

    def with_keymap_checked(self, known_ids: set[str]) -> Settings:
        """Drop keymap entries whose binding id does not exist, with a problem line for each."""
        unknown = sorted(k for k in self.keymap if k not in known_ids)
        if not unknown:
            return self
        where = self.source_path or "the config"
        sample = ", ".join(sorted(known_ids)[:8])
        problems = tuple(f"{where}: keymap {k!r} is not a binding id (ids: {sample}, ...; "
                         "? lists the keys); ignored" for k in unknown)
        keymap = {k: v for k, v in self.keymap.items() if k in known_ids}
        return replace(self, keymap=keymap, problems=self.problems + problems)
