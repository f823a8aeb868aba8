"""Issue 9, exec credential plugins: a kubeconfig whose user runs a small script (as cloud CLIs do)
that prints an ExecCredential. Its token expires: the client runs it again and the lists keep
working; its first token is rejected (401): the watcher reloads credentials, the plugin runs
again and the watcher carries on; it fails: the error shows the plugin's stderr, in the CLI
(exit 2, no traceback) and from LiveApi.
"""

from __future__ import annotations

import sys
import textwrap
import time

import pytest
import yaml

from k8snet_tui import cli
from k8snet_tui.collect.store import Store
from k8snet_tui.errors import KubeconfigError
from k8snet_tui.sources.kinds import BY_NAME

from .test_hardening_helpers import Watchers, live_api, store_diff, wait_for

pytestmark = pytest.mark.cluster

PLUGIN = textwrap.dedent('''
    import datetime, json, pathlib, sys
    state = pathlib.Path(sys.argv[1])
    runs = state / "runs"
    n = len(runs.read_text().splitlines()) if runs.exists() else 0
    with runs.open("a") as f:
        f.write("run\\n")
    mode = (state / "mode").read_text().strip()
    token = (state / "token").read_text().strip()
    if mode == "fail":
        sys.stderr.write("k8snet-test-plugin: the SSO session expired; run `k8snet-login` again\\n")
        sys.exit(1)
    if mode == "bad-first" and n == 0:
        token = "not-a-valid-token"
    status = {"token": token}
    ahead = float((state / "ahead").read_text()) if (state / "ahead").exists() else 0
    if ahead:
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=ahead)
        status["expirationTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                      "status": status}))
''')


@pytest.fixture
def plugin(lab_cluster, tmp_path):
    """(kubeconfig path, state dir): set state/mode ("ok", "bad-first", "fail") and state/ahead."""
    state = tmp_path / "plugin-state"
    state.mkdir()
    (state / "token").write_text(lab_cluster.admin_token)
    (state / "mode").write_text("ok")
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    kc = tmp_path / "exec.kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "lab", "cluster": {"server": lab_cluster.server,
                                                   "certificate-authority": str(lab_cluster.ca_file)}}],
        "users": [{"name": "sso", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
            "args": [str(script), str(state)], "interactiveMode": "Never"}}}],
        "contexts": [{"name": "sso@lab", "context": {"cluster": "lab", "user": "sso"}}],
        "current-context": "sso@lab"}))
    return kc, state


def runs(state) -> int:
    path = state / "runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_expiring_token_is_renewed_and_lists_keep_working(lab_cluster, plugin):
    kc, state = plugin
    # The kubernetes client renews a token 5 minutes before it expires: 303 s ahead means the
    # token counts as expired 3 s from now.
    (state / "ahead").write_text("303")
    api = live_api(kc)
    services = BY_NAME["Service"]
    t0 = time.monotonic()
    seen_runs = []
    ok = 0
    while time.monotonic() - t0 < 8:
        page = api.list_page(services, None)
        assert any(s["metadata"]["name"] == "website" for s in page.items)
        ok += 1
        seen_runs.append(runs(state))
        time.sleep(0.25)
    print(f"{ok} lists, plugin runs over time: {seen_runs}")
    assert seen_runs[0] == 1, "the plugin runs once when the credentials are loaded"
    assert runs(state) >= 2, "the plugin never ran again after its token expired"
    assert runs(state) <= 5, f"the plugin ran {runs(state)} times for {ok} requests: once per expiry is enough"


def test_token_expiring_in_seconds_still_works(lab_cluster, plugin):
    """A provider that hands out very short tokens: every request is authorised (the client
    re-runs the plugin whenever less than 5 minutes are left, i.e. before each request)."""
    kc, state = plugin
    (state / "ahead").write_text("5")
    api = live_api(kc)
    for _ in range(4):
        assert api.list_page(BY_NAME["Node"], None).items
    assert 2 <= runs(state) <= 1 + api.requests


def test_rejected_token_reloads_credentials_and_the_watcher_carries_on(lab_cluster, plugin):
    kc, state = plugin
    (state / "mode").write_text("bad-first")
    store = Store()
    api = live_api(kc)
    with Watchers(api, store, ("Service",), watch_seconds=30, sleep_cap=0.5) as run:
        wait_for(lambda: not store_diff(lab_cluster, store, ("Service",)) and store.count("Service"), 15,
                 "the store to equal the API after the 401")
        watcher = run.by_kind("Service")
        assert "401" in watcher.last_error, watcher.last_error
        assert runs(state) == 2, f"the plugin ran {runs(state)} times: once, and once more after the 401"
        assert store.snapshot().stale_since is None
        assert not run.errors, run.errors


FAIL_TEXT = "the SSO session expired; run `k8snet-login` again"


def test_failing_plugin_shows_its_stderr_in_the_cli(lab_cluster, plugin, capsys, monkeypatch, tmp_path):
    kc, state = plugin
    (state / "mode").write_text("fail")
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    rc = cli.main(["show", "services", "--kubeconfig", str(kc)])
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    assert FAIL_TEXT in err, err
    assert "Traceback" not in err + out
    assert err.count("\n") <= 3, err  # one message and a hint, not a log dump


def test_failing_plugin_shows_its_stderr_from_live_api(lab_cluster, plugin):
    kc, state = plugin
    (state / "mode").write_text("fail")
    with pytest.raises(KubeconfigError) as info:
        live_api(kc).list_page(BY_NAME["Service"], None)
    assert FAIL_TEXT in str(info.value)
    assert "credential plugin failed" in str(info.value)


RENEWAL = textwrap.dedent('''
    import sys, time
    from k8snet_tui.sources.kinds import BY_NAME
    from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
    from k8snet_tui.sources.live_api import LiveApi
    from k8snet_tui.errors import KubeconfigError
    kc, state = sys.argv[1], sys.argv[2]
    choice = resolve_kubeconfig(kc, env={})
    api = LiveApi(choice, check_context(choice, None))
    assert api.list_page(BY_NAME["Service"], None).items
    open(state + "/mode", "w").write("fail")
    time.sleep(2.0)  # inside the 5-minute renewal window now
    try:
        api.list_page(BY_NAME["Service"], None)
        print("second list: ok")
    except KubeconfigError as exc:
        print("second list: KubeconfigError")
''')


def test_plugin_failing_at_renewal_prints_nothing_over_the_screen(lab_cluster, plugin, tmp_path):
    """The token was fine, then the plugin fails when the client renews it. The kubernetes
    client then `logging.error`s the plugin's message on the root logger; in the app (which
    configures no logging) that lands on the terminal, over the TUI. Run in a fresh process:
    pytest's own log capture would hide it."""
    import subprocess

    kc, state = plugin
    (state / "ahead").write_text("301")
    proc = subprocess.run([sys.executable, "-c", RENEWAL, str(kc), str(state)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "second list:" in proc.stdout
    assert runs(state) >= 2, "the plugin was not run again at renewal"
    assert FAIL_TEXT not in proc.stderr, f"the plugin's failure went to the terminal: {proc.stderr!r}"
    assert "Traceback" not in proc.stderr
