"""Typed page decoders made by many threads at once: at a live start every kind's watcher
decodes its first page at the same moment, and msgspec making the same nested types' decoding
plans in two threads at once crashed the whole process (a segfault in the test cluster's run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RACE = """
import sys, threading
sys.setswitchinterval(1e-6)  # hand the GIL over as often as it can: the race shows at once
from k8snet_tui.sources import snapshot_decode as sd
from k8snet_tui.sources.allowlist import ALLOWED
page = b'{"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a","namespace":"b"}}]}'
kinds = list(ALLOWED) * 3
barrier = threading.Barrier(len(kinds))
def run(kind):
    barrier.wait()
    sd.decode_page(page, kind, "v1")
threads = [threading.Thread(target=run, args=(k,)) for k in kinds]
for t in threads: t.start()
for t in threads: t.join()
print("decoded", len(threads))
"""


def test_decoders_made_in_many_threads_at_once_do_not_crash():
    # A fresh process each time (each makes its decoders once); without the lock 14 of 20 such
    # processes died with SIGSEGV, so three in a row passing by luck is about 3 in 100.
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
        assert done.stdout.startswith("decoded ")
