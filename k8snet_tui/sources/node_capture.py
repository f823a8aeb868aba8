"""Every node's state for `k8snet capture`, read through the node agents a few at a time.

At most `concurrency` nodes are read at once and at most that many states are held before the
snapshot writer has written them: a capture of a thousand nodes needs the memory of a few.
Each read has its own deadline (the exec timeout); a node that fails is a line in the report,
never the end of the capture. Progress goes to stderr, one line per node.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from k8snet_tui.domain.model import NodeState, Observed, name_of
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.sources.node_exec import APPLY_HINT, NodeStateResult
from k8snet_tui.sources.ports import ApiFailure

CONCURRENCY = 8
NODE_TIMEOUT = 30.0
# A node name becomes a directory name: only what the API server allows for one (a DNS subdomain).
_NODE_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")


def _stderr(line: str) -> None:
    print(f"k8snet capture: {line}", file=sys.stderr, flush=True)


def _timed(read: Callable[[str], NodeStateResult], name: str) -> tuple[NodeStateResult, float]:
    t0 = time.monotonic()
    try:
        result = read(name)
    except Exception as exc:  # a fault of one node's read must not end the others
        result = NodeStateResult(name, error=f"reading node {name} failed: {clean(str(exc))[:300]}")
    return result, time.monotonic() - t0


def iter_node_states(read: Callable[[str], NodeStateResult], names: Sequence[str], *,
                     concurrency: int = CONCURRENCY,
                     progress: Callable[[str], None] | None = _stderr) -> Iterator[NodeStateResult]:
    """Each node's result as it completes; never more than `concurrency` read or held at once."""
    total = len(names)
    if not total:
        return
    queue = iter(names)
    pending: set[Future[tuple[NodeStateResult, float]]] = set()
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, total)), thread_name_prefix="k8snet-node") as pool:
        def submit_next() -> None:
            name = next(queue, None)
            if name is not None:
                pending.add(pool.submit(_timed, read, name))

        for _ in range(max(1, concurrency)):
            submit_next()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                pending.discard(fut)
                result, seconds = fut.result()
                done += 1
                if progress is not None:
                    what = "ok" if result.ok else "failed"
                    progress(f"node state {done}/{total}: {result.node} {what} ({seconds:.1f} s)")
                submit_next()
                yield result


def agent_node_states(session: Any, observed: Observed, *, concurrency: int = CONCURRENCY,
                      timeout: float = NODE_TIMEOUT, progress: Callable[[str], None] | None = _stderr
                      ) -> tuple[Iterator[tuple[str, NodeState]], list[str]]:
    """(the states of the cluster's nodes not already in `observed`, lines for the report).

    The iterator reads lazily, as the snapshot writer asks; the lines fill as it goes.
    """
    from k8snet_tui.sources.live_api import LiveApi
    from k8snet_tui.sources.node_exec import AgentReader

    lines: list[str] = []
    source = getattr(session, "source", None)
    if not isinstance(source, LiveApi):
        return iter(()), lines
    reader = AgentReader(source, timeout=timeout)
    try:
        agents = reader.agents()
    except ApiFailure as exc:
        lines.append(f"  other nodes' state is not in the snapshot: {reader.list_error(exc)}")
        return iter(()), lines
    if not agents:
        lines.append(f"  only this node's state is in the snapshot: no node agent runs; {APPLY_HINT} "
                     "to capture every node's")
        return iter(()), lines
    # The cluster's nodes, and those the agents run on (a user who may not list Nodes has these).
    names = sorted(({name_of(n) for n in observed.cluster.of("Node")} | set(agents)) - set(observed.nodes))
    for bad in [n for n in names if not _NODE_NAME.match(n)]:
        lines.append(f"  node {clean(bad)!r}: not a valid node name; its state is not captured")
    names = [n for n in names if _NODE_NAME.match(n)]

    def states() -> Iterator[tuple[str, NodeState]]:
        for result in iter_node_states(reader.read, names, concurrency=concurrency, progress=progress):
            if result.error:
                lines.append(f"  node {result.node}: {result.error}")
            if result.state is not None:
                for err in result.state.errors:
                    lines.append(f"  node {result.node}: {err}")
                yield result.node, replace(result.state, node=result.node)

    return states(), lines


__all__ = ["agent_node_states", "iter_node_states"]
