"""One pane per lab topic (which ones, in which order: `k8snet_tui.registry`), plus the modals.

Nothing is imported here: the app loads a pane's module when it builds the pane (the first one
before the first frame, the others right after it), so starting never waits for all of them.
"""
