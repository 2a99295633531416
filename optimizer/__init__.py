"""optimize: locate -> profile -> capture -> propose -> verify -> measure -> keep -> report.

The engine is `Session` (session.py); `optimize run` is `run.run` over one."""
__version__ = "0.1.0"

__all__ = ["Session", "__version__"]


def __getattr__(name):   # lazy: `optimize --help` must not import the engine
    if name == "Session":
        from .session import Session

        return Session
    raise AttributeError(name)
