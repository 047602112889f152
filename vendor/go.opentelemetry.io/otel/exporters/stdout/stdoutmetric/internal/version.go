// Copyright The OpenTelemetry Authors
// SPDX-License-Identifier: Apache-2.0

package internal // import "go.opentelemetry.io/otel/exporters/stdout/stdoutmetric/internal"

// Version is the current release version of the OpenTelemetry stdoutmetric
// exporter in use.
const Version = "1.42.0"
