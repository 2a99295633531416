"""The named ways control leaves the engine. Each carries its message.

Every `OptimizeError` is the user's to fix (a wrong name, a bad setting, a
provider that cannot be reached); the library raises them and only the command
line maps them to exit code 2 with their message on one line. Anything else
escaping the engine is an internal failure.
"""


class OptimizeError(Exception):
    """Bad usage or input, found by the library; the message says what to change."""


class UsageError(OptimizeError):
    """Bad command-line usage (a flag's value, flags that do not go together)."""


class BadSetting(OptimizeError):
    """An unknown setting, or a value of the wrong kind, naming where it came from."""


class TargetNotFound(OptimizeError):
    """No function of the repository matches the name."""


class AmbiguousTarget(OptimizeError):
    """Several functions match the name; the message lists them."""


class TargetNotImportable(OptimizeError):
    """The target's module does not import in the repository (its error, one line)."""


class WorkloadFailed(OptimizeError):
    """The tests or the benchmark command could not run on the unchanged repository."""


class BadRevision(OptimizeError):
    """A git revision that does not exist, or a folder that is not a git repository."""


class ProviderUnavailable(OptimizeError):
    """The model endpoint cannot be reached (names the URL)."""


class ProviderAuthError(OptimizeError):
    """The model provider refused the credentials, or none were given."""


class UnknownModel(OptimizeError):
    """The model provider does not know the model."""
