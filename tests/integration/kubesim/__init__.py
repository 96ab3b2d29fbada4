"""Tests that drive the real kubectl against tests/kubesim."""
