"""The gRPC API (service trust_monitor.v1.TrustMonitor) and its generated stubs."""
