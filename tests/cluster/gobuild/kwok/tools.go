//go:build tools

// Package tools keeps kwok's command in the module graph.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
