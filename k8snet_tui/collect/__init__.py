"""k8snet_tui.collect"""
