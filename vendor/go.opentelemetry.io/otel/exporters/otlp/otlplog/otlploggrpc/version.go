// Copyright The OpenTelemetry Authors
// SPDX-License-Identifier: Apache-2.0

package otlploggrpc

// Version is the current release version of the OpenTelemetry OTLP over gRPC logs exporter in use.
func Version() string {
	return "0.14.0"
}
