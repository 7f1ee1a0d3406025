"""Placeholder: the simulator helper replaces this with the real fixtures."""
