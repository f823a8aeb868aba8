"""`python -m k8snet_tui.probe`: the same as `k8snet probe`."""

from k8snet_tui.probe import main

raise SystemExit(main())
