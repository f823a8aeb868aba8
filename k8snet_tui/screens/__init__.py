"""k8snet_tui.screens"""
