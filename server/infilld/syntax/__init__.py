"""tree-sitter languages and queries loaded from grammars/, plus the cursor questions built on them.

A language without a grammar yields None everywhere; callers then use file-level completion.
"""

from infilld.syntax.extract import Definition, ImportRef, definitions, imports, references
from infilld.syntax.languages import (
    LanguageSpec,
    LanguageTable,
    LoadedLanguage,
    default_table,
    language_family,
    language_for_id,
    language_for_path,
    language_for_source,
)
from infilld.syntax.parsing import TreeCache, parse
from infilld.syntax.scopes import (
    FUNCTION_TYPES,
    Scope,
    char_to_byte,
    enclosing_scopes,
    identifiers_near,
    is_inside_string_or_comment,
)

__all__ = [
    "FUNCTION_TYPES",
    "Definition",
    "ImportRef",
    "LanguageSpec",
    "LanguageTable",
    "LoadedLanguage",
    "Scope",
    "TreeCache",
    "char_to_byte",
    "default_table",
    "definitions",
    "enclosing_scopes",
    "identifiers_near",
    "imports",
    "is_inside_string_or_comment",
    "language_family",
    "language_for_id",
    "language_for_path",
    "language_for_source",
    "parse",
    "references",
]
