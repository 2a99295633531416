"""The few named ways control leaves the loop. Each carries its message."""


class UsageError(Exception):
    """Bad usage or input: the CLI prints the message on one line and exits 2."""


class BudgetSpent(Exception):
    """The model budget is used up; the loop stops proposing and reports."""
