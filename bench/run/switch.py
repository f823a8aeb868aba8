"""Pane switches on a snapshot, headless: key sent -> the next frame the compositor produces.

    python -m bench.run.switch SNAPSHOT [ROUNDS]      e.g. bench/.data/L/snapshot 5

Each pane is visited once first (so its model is kept, as after any first visit); then ROUNDS
rounds of `4 2 1 3 5 7 6`. Prints the median and p95 in ms of the first frame after the key, the
median per key, and how many frames each switch drew before the screen settled (no frame for
SETTLE_S) with the time to its last one: a switch whose first frame is fast but that draws three
more (focus, footer, a restyle) keeps the loop as busy as a slow one. A benchmark, never an
assertion: run it before and after a change, alternating, and say the load.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

SETTLE_S = 0.3  # no frame for this long after a switch: it has settled


def main() -> None:
    os.environ.setdefault("K8SNET_CONFIG", "/nonexistent/k8snet-bench.toml")
    os.environ.setdefault("K8SNET_OFFLINE", "1")
    from textual import events

    from k8snet_tui.app import make_app
    from k8snet_tui.cli import build_parser
    from k8snet_tui.config import Settings
    from k8snet_tui.runtime import choose_session

    snapshot, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
    settings = Settings.load()
    app = make_app(settings, choose_session(build_parser().parse_args(["--snapshot", snapshot]), settings),
                   start_pane="services")
    frame: dict = {"pending": None, "latency": None, "sent": None, "frames": []}
    original = app._display

    def display(screen, renderable):
        if renderable is not None and frame["pending"] is not None:
            frame["latency"] = time.perf_counter() - frame["pending"]
            frame["pending"] = None
        if renderable is not None and frame["sent"] is not None:
            frame["frames"].append(time.perf_counter() - frame["sent"])
        return original(screen, renderable)

    app._display = display
    latencies: dict[str, list[float]] = {}
    frames: list[int] = []  # frames drawn per switch until it settled
    last: list[float] = []  # key sent -> its last frame

    async def pilot(p) -> None:
        await p.pause()
        for key in "1234567":  # every pane built and drawn once
            await p.press(key)
            await p.pause()
            await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)
        for _ in range(rounds):
            for key in "4213576":
                frame["latency"], frame["pending"] = None, time.perf_counter()
                frame["sent"], frame["frames"] = frame["pending"], []
                event = events.Key(key, key)
                event.set_sender(app)
                app._driver.send_message(event)
                deadline = time.perf_counter() + 30
                while frame["latency"] is None and time.perf_counter() < deadline:
                    await asyncio.sleep(0.001)
                latencies.setdefault(key, []).append(frame["latency"] if frame["latency"] is not None else 30.0)
                while frame["frames"] and time.perf_counter() - frame["sent"] - frame["frames"][-1] < SETTLE_S:
                    await asyncio.sleep(0.01)
                frames.append(len(frame["frames"]))
                last.append(frame["frames"][-1] if frame["frames"] else 30.0)
                frame["sent"] = None
                await asyncio.sleep(0.15)
        app.exit(0)

    app.run(headless=True, size=(160, 50), auto_pilot=pilot)
    every = sorted(x for v in latencies.values() for x in v)
    print(f"n {len(every)}  median {statistics.median(every) * 1000:.1f} ms  "
          f"p95 {every[max(0, int(len(every) * 0.95) - 1)] * 1000:.1f} ms  per key (median ms): "
          + " ".join(f"{k}={statistics.median(v) * 1000:.1f}" for k, v in latencies.items()))
    ends = sorted(last)
    print(f"frames per switch: median {statistics.median(frames)} max {max(frames)} "
          f"(all: {' '.join(map(str, frames))}); to the last frame: median {statistics.median(ends) * 1000:.1f} ms  "
          f"p95 {ends[max(0, int(len(ends) * 0.95) - 1)] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
