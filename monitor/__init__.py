"""Trust Monitor: continuous MultiTrust-style trust probing of multimodal LLM endpoints."""

__version__ = "0.1.0"
