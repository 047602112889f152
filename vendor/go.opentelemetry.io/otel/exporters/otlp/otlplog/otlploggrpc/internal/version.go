// Copyright The OpenTelemetry Authors
// SPDX-License-Identifier: Apache-2.0

package internal

// Version is the current release version of the OpenTelemetry otlploggrpc
// exporter in use.
const Version = "0.21.0"
