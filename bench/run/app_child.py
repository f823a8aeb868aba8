"""The app, headless, in its own process: start-up, rows loaded, key latency, table filter.

`python -m bench.run.app_child MODE ...` prints one JSON line. Times are wall-clock
(`time.time()`) so the parent can measure from before it spawned this process: imports count.
"""

from __future__ import annotations

import time

T_EXEC = time.time()  # as early as this module can note it (the parent notes the spawn time)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402


def _peak_rss_kib() -> int:
    # VmHWM, not ru_maxrss: after fork+exec ru_maxrss still carries the parent's high-water mark.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _env() -> None:
    os.environ.setdefault("K8SNET_CONFIG", "/nonexistent/k8snet-bench.toml")
    os.environ.setdefault("K8SNET_OFFLINE", "1")


def _tables(app):
    from k8snet_tui.widgets.resource_table import ResourceTable

    try:
        return list(app.current_pane.query(ResourceTable))
    except Exception:
        return []


def _hook_first_frame(app, marks: dict) -> None:
    """Note when the compositor first hands a full frame to the (headless) driver."""
    original = app._display

    def display(screen, renderable):
        if renderable is not None and "first_paint" not in marks:
            marks["first_paint"] = time.time()
        return original(screen, renderable)

    app._display = display


def _hook_first_rows(marks: dict) -> None:
    """Note when a table is first handed rows (a first screenful, or the whole table)."""
    from k8snet_tui.widgets.resource_table import ResourceTable

    for name in ("set_rows", "set_prepared"):
        original = getattr(ResourceTable, name, None)  # set_prepared: not in older trees
        if original is None:
            continue

        def hooked(table, rows, _original=original):
            _original(table, rows)
            if table.row_count and "first_rows" not in marks:
                marks["first_rows"] = time.time()
                marks["first_rows_count"] = table.row_count

        setattr(ResourceTable, name, hooked)


def mode_start(a: argparse.Namespace) -> dict:
    """What `k8snet --snapshot PATH` does, headless: first paint, then (if a table shows) all rows."""
    _env()
    from k8snet_tui.app import make_app
    from k8snet_tui.cli import build_parser
    from k8snet_tui.config import Settings
    try:  # what `k8snet` itself runs: a big snapshot read while the app starts (older trees: before it)
        from k8snet_tui.runtime import tui_session as choose_session
    except ImportError:
        from k8snet_tui.runtime import choose_session  # type: ignore[assignment]

    t_imports = time.time()
    args = build_parser().parse_args(["--snapshot", a.snapshot])
    settings = Settings.load()
    session = choose_session(args, settings)
    t_session = time.time()
    marks: dict = {}
    app = make_app(settings, session, start_pane="services")
    shown = getattr(app, "_show_read_snapshot", None)
    if shown is not None:  # a snapshot read in the background: when the app learnt the read ended

        def read_shown() -> None:
            marks.setdefault("session_read", time.time())
            shown()

        app._show_read_snapshot = read_shown  # type: ignore[method-assign]
    _hook_first_frame(app, marks)
    _hook_first_rows(marks)

    async def pilot(p) -> None:
        marks["ready"] = time.time()
        await p.pause()
        marks["settled"] = time.time()
        deadline = time.time() + a.timeout
        rows = 0
        while time.time() < deadline:
            tables = _tables(app)
            rows = max((t.row_count for t in tables), default=0)
            marks.setdefault("tables", len(tables))

            if not tables or not a.expect_rows or rows >= a.expect_rows:
                break
            await asyncio.sleep(0.02)
        marks["rows"] = rows
        marks["rows_done"] = time.time()
        marks["rss_at_rows_kib"] = _rss_kib()
        if a.settle:  # the hidden panes mount after a big snapshot's rows: count them in the peak
            for _ in range(3):
                await app.workers.wait_for_complete()
                await p.pause(0.2)
            marks["settled_all"] = time.time()
        app.exit(0)

    app.run(headless=True, size=(160, 50), auto_pilot=pilot)
    return {"t_exec": T_EXEC, "t_imports": t_imports, "t_session": t_session, **marks,
            "peak_rss_kib": _peak_rss_kib(), "modules": len(sys.modules)}


class FakeLive:
    """A LiveSession look-alike: a real Store whose version bumps as a thread applies updates."""

    mode = "live"
    banner = ""
    label = "LIVE bench"

    def __init__(self, store, nodes, local_node: str):
        self.store = store
        self._nodes = nodes
        self._local = local_node

    @property
    def version(self) -> int:
        return self.store.version

    # The rest of the Session protocol: no background work (the bench's thread is the writer),
    # no logs, node state from the snapshot. Without these the app ends at mount and every
    # "key latency" is the time to a frame of a dead app (the ~1 s p95 seen from 09:34 to 13:00).
    watchers = ()
    poller = None
    pod_logs = None

    def node_state(self, name: str, *, refresh: bool = False):
        from k8snet_tui.sources.node_exec import NodeStateResult

        state = self._nodes.get(name)
        if state is None:
            return NodeStateResult(name, error=f"no state of node {name} in the bench snapshot", reason="snapshot")
        return NodeStateResult(name, state=state, fetched_at=state.captured_at or 0.0, source="snapshot")

    def cached_node_state(self, name: str):
        return self.node_state(name)

    def observed(self):
        from k8snet_tui.domain.model import Observed

        return Observed(cluster=self.store.snapshot(), nodes=self._nodes, local_node=self._local, mode="live")

    def with_namespace(self, namespace):
        self.store.set_namespace(namespace)


def mode_latency(a: argparse.Namespace) -> dict:
    """Key presses while a store takes `rate` updates/s; loop lag probed every 5 ms."""
    _env()
    import copy

    from k8snet_tui.app import make_app
    from k8snet_tui.collect.store import Store
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.snapshot import load_snapshot

    snap = load_snapshot(a.snapshot)
    store = Store()
    for kind, objs in snap.cluster.objects.items():
        store.replace_kind(kind, objs)
    session = FakeLive(store, snap.nodes, snap.local_node)
    app = make_app(Settings(offline=True), session, start_pane="services")
    pods = list(snap.cluster.of("Pod"))
    stop = threading.Event()
    applied = [0]

    def updater() -> None:
        # `rate` MODIFIED pod events per second, in 100 batches of rate/100 (as a watch delivers them).
        per_tick = a.rate // 100
        i = 0
        nxt = time.perf_counter()
        while not stop.is_set():
            for _ in range(per_tick):  # rate 0: a baseline with no updates
                pod = copy.copy(pods[i % len(pods)])
                meta = dict(pod["metadata"])
                meta["resourceVersion"] = str(2_000_000 + i)
                pod["metadata"] = meta
                store.apply("Pod", "MODIFIED", pod)
                i += 1
            applied[0] = i
            nxt += 0.01
            time.sleep(max(0.0, nxt - time.perf_counter()))

    lags: list[float] = []
    key_lat: list[float] = []
    collections: list[tuple[int, float]] = []  # (generation, seconds) of each collection while keys run
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif not stop.is_set() and "duration_s" not in stalls and probe_on[0]:
            collections.append((info["generation"], time.perf_counter() - gc_started[0]))

    probe_on = [False]
    gc.callbacks.append(on_gc)
    stalls: dict = {}
    frame = {"pending": None, "latency": None}
    original = app._display

    def display(screen, renderable):
        # Keypress-to-frame: the first frame the compositor produces after the key was sent.
        if renderable is not None and frame["pending"] is not None:
            frame["latency"] = time.perf_counter() - frame["pending"]
            frame["pending"] = None
        return original(screen, renderable)

    app._display = display

    async def probe() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t0 - 0.005)

    def send(key: str) -> None:
        # What Pilot.press does, minus its CPU-idle waits (which a busy updater thread inflates).
        from textual import events

        char = {"slash": "/", "escape": None}.get(key, key)
        ev = events.Key(key, char)
        ev.set_sender(app)
        app._driver.send_message(ev)

    async def pilot(p) -> None:
        await p.pause()
        probe_task = asyncio.create_task(probe())
        probe_on[0] = True
        th = threading.Thread(target=updater, daemon=True)
        t_start = time.perf_counter()
        th.start()
        keys = ["e", "e", "3", "4", "slash", "escape", "1", "4"]
        k = 0
        while time.perf_counter() - t_start < a.seconds:
            await asyncio.sleep(0.1)
            key = keys[k % len(keys)]
            k += 1
            frame["latency"] = None
            frame["pending"] = time.perf_counter()
            send(key)
            deadline = time.perf_counter() + 30
            while frame["latency"] is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            key_lat.append(frame["latency"] if frame["latency"] is not None else 30.0)
        stalls["duration_s"] = time.perf_counter() - t_start
        stop.set()
        th.join()
        await probe_task
        app.exit(0)

    app.run(headless=True, size=(160, 50), auto_pilot=pilot)
    if app.return_code:  # a crashed app still draws frames: its "latencies" would mean nothing
        return {"error": f"the app ended with code {app.return_code} during the latency run"}
    gc.callbacks.remove(on_gc)
    lags_ms = sorted(x * 1000 for x in lags)
    full = [d for g, d in collections if g == 2]
    return {"key_latency_ms": [round(x * 1000, 3) for x in key_lat], "max_loop_lag_ms": round(max(lags_ms), 2),
            "gc_collections": len(collections), "gc_full_collections": len(full),
            "gc_longest_ms": round(max((d for _, d in collections), default=0.0) * 1000, 1),
            "gc_total_ms": round(sum(d for _, d in collections) * 1000, 1),
            "p99_loop_lag_ms": round(lags_ms[int(len(lags_ms) * 0.99)], 2), "lag_samples": len(lags_ms),
            "updates": applied[0], "updates_per_s": round(applied[0] / stalls["duration_s"]),
            "store_version": store.version, "peak_rss_kib": _peak_rss_kib()}


def mode_table(a: argparse.Namespace) -> dict:
    """A ResourceTable alone with the Services rows of a snapshot: rows loaded, then filter."""
    _env()
    from textual.app import App

    from k8snet_tui.domain.services import build_services_view
    from k8snet_tui.sources.snapshot import load_snapshot
    from k8snet_tui.widgets.resource_table import ResourceTable

    snap = load_snapshot(a.snapshot)
    view = build_services_view(snap.cluster, None)
    rows = [(r.key, (r.namespace, r.name, r.type, r.cluster_ip, r.ports, f"{r.ready}/{r.total}"))
            for r in view.rows][: a.rows]
    marks: dict = {"rows": len(rows)}

    class TableApp(App):
        def compose(self):
            yield ResourceTable(["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "PORTS", "ENDPOINTS"], id="t")

    app = TableApp()

    async def pilot(p) -> None:
        table = app.query_one(ResourceTable)
        await p.pause()
        t0 = time.perf_counter()
        table.set_rows(rows)
        marks["set_rows_s"] = time.perf_counter() - t0
        await p.pause()
        marks["set_rows_painted_s"] = time.perf_counter() - t0
        assert table.row_count == len(rows), table.row_count
        # An update that changes one cell of every 100th row (a watch burst), by difference.
        changed = [(k, cells[:5] + ("9/9",) if i % 100 == 0 else cells) for i, (k, cells) in enumerate(rows)]
        t0 = time.perf_counter()
        table.set_rows(changed)
        await p.pause()
        marks["update_1pct_s"] = time.perf_counter() - t0
        narrow, widen = [], []
        for needle in a.filters:
            t0 = time.perf_counter()
            table.set_filter(needle)
            await p.pause()
            narrow.append(time.perf_counter() - t0)
            marks.setdefault("filtered_rows", []).append(table.row_count)
            t0 = time.perf_counter()
            table.set_filter("")
            await p.pause()
            widen.append(time.perf_counter() - t0)
            assert table.row_count == len(rows)
        marks["filter_narrow_s"] = narrow
        marks["filter_clear_s"] = widen
        app.exit(0)

    app.run(headless=True, size=(160, 50), auto_pilot=pilot)
    return {**marks, "peak_rss_kib": _peak_rss_kib()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["start", "latency", "table"])
    ap.add_argument("--snapshot", default="lab")
    ap.add_argument("--expect-rows", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--settle", action="store_true", help="start: after the rows, wait for the app's workers")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--filters", nargs="*", default=["svc-0012", "team-007", "nodeport"])
    a = ap.parse_args()
    result = {"start": mode_start, "latency": mode_latency, "table": mode_table}[a.mode](a)
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
