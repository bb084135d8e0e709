"""Adapters: one sub-package per technology, each implementing ports of bookiji_core."""
