"""Where the test snapshots live."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
# The lab's own printed output (Kubernetes 1.24 era, on AWS), assembled by hand: see its README.
LAB_PRINTED = TESTS / "fixtures" / "lab-printed"
