//go:build tools

// Package tools keeps kube-router's command in the module graph.
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
