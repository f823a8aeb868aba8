"""A big memoised build's objects leave the collector's young generations when it ends."""

from __future__ import annotations

import gc

from k8snet_tui.domain import model
from k8snet_tui.domain.model import ClusterState


def test_a_big_build_is_frozen_and_a_small_one_is_not() -> None:
    gc.collect()
    gc.unfreeze()
    try:
        small = ClusterState().memo(lambda _c: [[i] for i in range(1_000)])
        assert gc.get_freeze_count() == 0 and len(small) == 1_000
        big = ClusterState().memo(lambda _c: [[i] for i in range(model.FREEZE_AFTER + 10_000)])
        assert gc.get_freeze_count() >= model.FREEZE_AFTER  # the build's lists, out of the young generations
        assert gc.is_tracked(big[0]) and big[-1] == [model.FREEZE_AFTER + 9_999]
        assert gc.isenabled()
    finally:
        gc.unfreeze()
