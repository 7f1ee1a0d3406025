"""Shared test configuration.

Every test talks only to 127.0.0.1. The simulator fixtures (`cmfutures_simulator`,
`cmfutures_configuration`) come from the package's own pytest plugin, the same one users get.
"""
