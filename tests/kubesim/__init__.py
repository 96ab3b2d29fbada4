"""A Kubernetes API server simulator for driving the real kubectl in tests.

Test infrastructure only: nothing under emb/ may import it. See README.md.
"""
