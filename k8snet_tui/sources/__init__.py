"""k8snet_tui.sources"""
