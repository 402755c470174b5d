"""The pure core: prompt layout, post-processing, context selection and the completion engine.

Nothing here imports pygls or llama_cpp; the engine talks to a model through `infilld.backends.base`.
"""
