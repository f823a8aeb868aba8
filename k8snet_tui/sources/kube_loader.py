"""The kubernetes client's kubeconfig loading, fed bounded data and running plugins contained.

Two changes to how `kubernetes.config.load_kube_config` works, made by subclassing (nothing of
the client is patched):
- the files are read by `kubeconfig.load_kubeconfig_file` (size and alias expansion bounded)
  and merged here the way kubectl merges them; the client never opens them itself;
- exec credential plugins run through `exec_plugin` (stdin /dev/null, stderr captured, a
  deadline, their own process group), and a failure is kept on the loader as a `PluginFailure`
  instead of being `logging.error`ed (which would print over the TUI).

Imported only when the first API request is made (it loads the kubernetes client).
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from typing import Any

from kubernetes.config.config_exception import ConfigException
from kubernetes.config.dateutil import parse_rfc3339
from kubernetes.config.exec_provider import ExecProvider
from kubernetes.config.kube_config import ConfigNode, FileOrData, KubeConfigLoader

from k8snet_tui.sources.exec_plugin import PluginFailure, failure, plugin_timeout, run_plugin
from k8snet_tui.sources.kubeconfig import load_kubeconfig_file

EXEC_INFO_EXTENSION = "client.authentication.k8s.io/exec"
RENEW_BEFORE = datetime.timedelta(minutes=5)  # as the client does: renew 5 minutes ahead
RETRY_FAILED = 30.0  # seconds before a failed renewal runs the plugin again


class ContainedExecProvider(ExecProvider):
    """The client's ExecProvider (it parses the exec config), running the plugin contained."""

    def exec_info(self, previous_response: Any = None) -> dict[str, Any]:
        spec: dict[str, Any] = {"interactive": False}  # it never gets a terminal from us
        if previous_response:
            spec["response"] = previous_response
        if self.cluster is not None and isinstance(self.cluster.value, dict):
            cluster = dict(self.cluster.value)
            for ext in cluster.get("extensions") or []:
                if isinstance(ext, dict) and ext.get("name") == EXEC_INFO_EXTENSION:
                    cluster["config"] = ext.get("extension")
                    break
            spec["cluster"] = cluster
        return {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": spec}

    def run(self, previous_response: Any = None) -> dict[str, Any]:
        argv = [str(a) for a in self.args]
        env = {**self.env, "KUBERNETES_EXEC_INFO": json.dumps(self.exec_info(previous_response))}
        timeout = plugin_timeout()
        result = run_plugin(argv, env, self.cwd or os.getcwd(), timeout)
        if not result.ok:
            raise failure(argv, result, timeout)
        try:
            doc = json.loads(result.stdout)
        except ValueError:
            raise failure(argv, result, timeout, "printed no ExecCredential JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("status"), dict):
            raise failure(argv, result, timeout, "printed JSON without a status object")
        if doc.get("apiVersion") != self.api_version:
            raise failure(argv, result, timeout,
                          f"answered in apiVersion {doc.get('apiVersion')!r}, not {self.api_version!r}")
        status: dict[str, Any] = doc["status"]
        return status


class ContainedKubeConfigLoader(KubeConfigLoader):
    """KubeConfigLoader whose exec plugins are contained; `plugin_failure` says why the last
    plugin run gave no credential (None after a run that did)."""

    plugin_failure: PluginFailure | None = None
    _failed_at = 0.0
    _plugin_lock = threading.Lock()

    def _fresh(self) -> bool:
        expiry = self.__dict__.get("expiry")
        if "token" not in self.__dict__ or expiry is None:
            return False
        return bool(expiry - RENEW_BEFORE > datetime.datetime.now(tz=datetime.UTC))

    def _load_from_exec_plugin(self) -> bool | None:
        user, cluster = self._user, self._cluster
        if user is None or cluster is None or "exec" not in user:
            return None
        # Every watcher's request may find the token expired at once: one plugin run renews it.
        with self._plugin_lock:
            if self._fresh():
                return True
            # A renewal that just failed (a plugin hanging for its whole deadline) is not tried
            # again by each request in turn: the old token goes out, the error stays known.
            if self.plugin_failure is not None and time.monotonic() - self._failed_at < RETRY_FAILED:
                return None
            base_path = self._get_base_path(cluster.path)
            try:
                status = ContainedExecProvider(user["exec"], base_path, cluster).run()
            except PluginFailure as exc:
                self.plugin_failure, self._failed_at = exc, time.monotonic()
                return None
            except ConfigException as exc:  # a malformed exec section
                self.plugin_failure = PluginFailure(f"credential plugin failed: {exc}",
                                                    "fix the user's exec section in the kubeconfig")
                self._failed_at = time.monotonic()
                return None
            return self._use_status(status, base_path)

    def _use_status(self, status: dict[str, Any], base_path: str) -> bool | None:
        if "token" in status:
            self.token = f"Bearer {status['token']}"
        elif "clientCertificateData" in status and "clientKeyData" in status:
            for attr, key in (("cert_file", "clientCertificateData"), ("key_file", "clientKeyData")):
                setattr(self, attr, FileOrData(status, None, data_key_name=key, file_base_path=base_path,
                                               base64_file_content=False,
                                               temp_file_path=self._temp_file_path).as_file())
        else:
            self.plugin_failure = PluginFailure(
                "credential plugin failed: its ExecCredential holds neither a token nor a client "
                "certificate and key", "compare with what kubectl does with the same kubeconfig")
            return None
        if "expirationTimestamp" in status:
            self.expiry = parse_rfc3339(status["expirationTimestamp"])
        self.plugin_failure = None
        return True


def merged_config(paths: tuple[str, ...]) -> ConfigNode:
    """The kubeconfig files merged as kubectl merges them (the first of each name wins), each
    entry remembering its file so that relative certificate paths resolve next to it."""
    merged: dict[str, Any] | None = None
    first_path = paths[0] if paths else ""
    for path in paths:
        doc = load_kubeconfig_file(path)
        if merged is None:
            merged = {**doc, "clusters": [], "contexts": [], "users": []}
        for section in ("clusters", "contexts", "users"):
            entries = doc.get(section)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    continue
                if any(e.value.get("name") == entry["name"] for e in merged[section]):
                    continue
                merged[section].append(ConfigNode(f"{path}/{section}[{entry['name']}]", entry, path))
        if "current-context" not in merged and isinstance(doc.get("current-context"), str):
            merged["current-context"] = doc["current-context"]
    if merged is None:
        raise ConfigException("no kubeconfig file to read")
    return ConfigNode(first_path, merged, first_path)


def load_into(client_configuration: Any, paths: tuple[str, ...], context: str | None) -> ContainedKubeConfigLoader:
    """Configure `client_configuration` from the kubeconfig files; returns the loader, whose
    `plugin_failure` the caller checks (the token refresh hook keeps using it)."""
    loader = ContainedKubeConfigLoader(config_dict=merged_config(paths), active_context=context or None,
                                       config_base_path=None)
    loader.load_and_set(client_configuration)
    return loader
