//go:build tools

// Package tools keeps MetalLB's two commands in the module graph.
package tools

import (
	_ "go.universe.tf/metallb/controller"
	_ "go.universe.tf/metallb/speaker"
)
