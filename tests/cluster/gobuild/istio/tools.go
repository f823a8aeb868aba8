//go:build tools

// Package tools keeps Istio's pilot-agent (whose istio-iptables subcommand writes a sidecar
// pod's redirect rules) in the module graph.
package tools

import _ "istio.io/istio/pilot/cmd/pilot-agent"
