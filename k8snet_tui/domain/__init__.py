"""k8snet_tui.domain"""
