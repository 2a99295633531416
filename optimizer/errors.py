"""The few named ways control leaves the loop. Each carries its message."""


class UsageError(Exception):
    """Bad usage or input: the CLI prints the message on one line and exits 2."""

