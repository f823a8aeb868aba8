//go:build tools

// Package tools keeps kube-proxy v1.30 in the module graph.
package tools

import _ "k8s.io/kubernetes/cmd/kube-proxy"
