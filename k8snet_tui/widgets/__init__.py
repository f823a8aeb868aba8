"""k8snet_tui.widgets"""
