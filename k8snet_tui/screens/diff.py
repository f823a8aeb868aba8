"""`:diff B`: what changed from the open state to snapshot B, in the lines `k8snet diff` prints.

B is read through the snapshot loader (never extracted, links never followed); its problems are
a notification. The comparison runs in a thread; the lines are the CLI's text (text/diff.py),
drawn as data in the what-if box's frame.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from textual.app import App

from k8snet_tui.domain.model import Observed
from k8snet_tui.errors import K8snetError
from k8snet_tui.present.diff import present_diff, summary
from k8snet_tui.present.whatif import WhatIfView
from k8snet_tui.screens.whatif import WhatIfScreen


def diff_view(observed: Observed, label: str, path: str) -> tuple[WhatIfView, tuple[str, ...]]:
    from k8snet_tui.snapshot_state import open_state
    from k8snet_tui.text import TextOptions, render

    other, other_label, problems = open_state(path, report=False)
    model = present_diff(observed, other, before_label=label, after_label=other_label)
    out = io.StringIO()
    render("diff", model, out, TextOptions(width=None))
    return WhatIfView(f"diff: {summary(model)}", tuple(out.getvalue().splitlines())), problems


def open_diff(app: App[Any], notify: Callable[..., object], observed: Observed, label: str, path: str) -> None:
    def work() -> None:
        try:
            view, problems = diff_view(observed, label, path)
        except K8snetError as exc:
            app.call_from_thread(notify, exc.message, title="diff", severity="warning")
            return
        if problems:
            app.call_from_thread(notify, f"{len(problems)} problem(s) in {path}: {problems[0]}", title="diff",
                                 severity="warning")
        app.call_from_thread(app.push_screen, WhatIfScreen(lambda _n: view, repeatable=False))

    app.run_worker(work, thread=True, exit_on_error=False, group="diff")
