"""optimize: locate -> profile -> propose -> verify -> measure -> keep -> report."""
__version__ = "0.1.0"
