"""Reliability and security suite: faults, load, bad input, fork safety, TLS, secret hygiene."""
