"""k8snet_tui.probe"""
