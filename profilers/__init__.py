"""Profile a workload and rank the repository's own functions by the time spent in them."""
from .hotspots import rank
from .sampling import Profile, profile

__all__ = ["Profile", "profile", "rank"]
