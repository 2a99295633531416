"""A tiny log-processing library with the slow spots real code has."""
