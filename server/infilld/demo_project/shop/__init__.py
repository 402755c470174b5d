"""A tiny shop: the sample project `infilld demo` edits."""
