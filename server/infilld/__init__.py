"""infilld: local, offline AI code completion and code actions over the Language Server Protocol."""

__version__ = "0.1.0"
