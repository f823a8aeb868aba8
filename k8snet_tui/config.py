"""Settings from the config file and the environment, and the user's keymap.

The file is TOML at `$K8SNET_CONFIG` or `$XDG_CONFIG_HOME/k8snet/config.toml`
(`~/.config/k8snet/config.toml`). Environment variables win over the file. Example:

    theme = "high-contrast"         # or "default"
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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from k8snet_tui.errors import UsageError


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("K8SNET_CONFIG"):
        return Path(env["K8SNET_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "k8snet" / "config.toml"


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
        if isinstance(doc.get("theme"), str):
            updates["theme"] = doc["theme"]
        interval = doc.get("interval")
        if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval > 0:
            updates["interval"] = float(doc["interval"])
        if isinstance(doc.get("offline"), bool):
            updates["offline"] = doc["offline"]
        if isinstance(doc.get("metadata_url"), str):
            updates["metadata_url"] = doc["metadata_url"]
        if isinstance(doc.get("echo_urls"), list):
            updates["echo_urls"] = tuple(u for u in doc["echo_urls"] if isinstance(u, str))
        if isinstance(doc.get("keymap"), dict):
            updates["keymap"] = {str(k): str(v) for k, v in doc["keymap"].items() if isinstance(v, str)}
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
            updates["theme"] = env["K8SNET_THEME"]
        if "NO_COLOR" in env and env["NO_COLOR"] != "":
            updates["no_color"] = True
        return replace(self, **updates)
