"""Errors any part of the connector may raise for the command line to report."""


class UsageError(Exception):
    """A request that names something the config does not have (a store, a market); exit code 2."""
