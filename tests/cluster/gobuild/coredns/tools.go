//go:build tools

// Package tools keeps the CoreDNS command in the module graph.
package tools

import _ "github.com/coredns/coredns"
