"""k8snet: a keyboard-driven terminal explorer of Kubernetes networking."""

__version__ = "0.1.0"
