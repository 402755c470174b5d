"""The Language Server Protocol glue: the only package that imports pygls and lsprotocol."""
