"""The objects the code at the cursor calls members of, and the types they were declared with.

After `bridge.` the model has to name one of `Bridge`'s members, and a small model guesses a
plausible one (`release` for `releaseCall`) unless the block shows them. This module reads, from
the text alone, which receivers (`x` in `x.`, `x->`, `x::`) the cursor's line uses, and the type
each was declared with nearest above the cursor (`Bridge bridge`, `bridge: Bridge`, `b *Bridge`,
`b := &Bridge{`, `x = new Bridge(`, `InputInterface $input`). A capitalised receiver is a type
itself (`Logger.error`, `Span::new`). Context selection then shows those types' members (for
Rust, the methods of the `impl` blocks this module finds, and the traits they implement). Plain
regular expressions, no parse: it runs on every selection, and a wrong guess only costs a few
tokens of block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

# `x.`, `x->`, `x::`, `$x->` followed by the cursor or a member name. `this`/`self` are the
# current class, whose members the file already shows.
_RECEIVER = re.compile(r"(?<![\w$])(\$?[A-Za-z_]\w*)\s*(?:\.|->|::)(?=\s*(?:[A-Za-z_]\w*|$))")
SCAN_ABOVE = 12_000  # characters: a long method and its class's fields, in most files
SCAN_BELOW = 4_000
MAX_HEADER_CHARS = 200_000  # a class's header is read whole: its fields are where it ends
MAX_RECEIVERS = 6
MAX_MENTIONS = 200
MAX_LINE_CHARS = 1_000
# The objects that are the current class or its base (`self.`, `this.`, `super().`, `$this->`,
# `parent::`): never a receiver of another type. The file shows the class's own members; the
# inherited ones live in the base classes' files.
OWN_OBJECTS = frozenset({"this", "self", "super", "$this", "parent", "static", "cls"})
_OWN_RECEIVER = re.compile(
    r"(?<![\w$.])(?:"
    + "|".join(re.escape(name) for name in sorted(OWN_OBJECTS, key=len, reverse=True))
    + r")(?:\(\s*\))?\s*(?:\.|->|::)\s*\w*$"
)
_TYPE = r"(?:[A-Za-z_]\w*\.)?([A-Z]\w*)"  # a capitalised type, maybe package-qualified
_GENERIC = r"(?:<[^<>;(){}=]*(?:<[^<>;(){}=]*>[^<>;(){}=]*)?>)?"  # List<Map<K, V>>, one level deep


def receivers_near(text: str, offset: int, lines_above: int = 10) -> list[str]:
    """Receivers used at the cursor first, then on the lines above it, nearest first, each once."""
    line_start = text.rfind("\n", 0, offset) + 1
    found: list[str] = []
    # Only the end of a long line: in minified code the receivers near the cursor are what count.
    cursor_line = text[max(line_start, offset - MAX_LINE_CHARS) : offset]
    for match in reversed(list(_RECEIVER.finditer(_code(cursor_line)))):
        _add(found, match.group(1))
    start = line_start
    for _ in range(lines_above):
        if start == 0:
            break
        prev = text.rfind("\n", 0, start - 1) + 1
        for match in reversed(list(_RECEIVER.finditer(_code(text[prev : start - 1])))):
            _add(found, match.group(1))
        start = prev
    return found


def calls_own_member(text: str, offset: int) -> bool:
    """Whether the cursor follows a member access on the current class or its base (`self.`,
    `this.get`, `super().`, `$this->`, `parent::`): what comes next may be inherited."""
    line_start = text.rfind("\n", 0, offset) + 1
    return _OWN_RECEIVER.search(text[max(line_start, offset - MAX_LINE_CHARS) : offset]) is not None


# A class header's base list: `class A(B, Generic[T], metaclass=M):` (Python), `class A<T>
# extends B<T> implements I` (JS/TS, Java, PHP), `class A : public B` (C++), `class A : B, I`
# (C#), `interface I extends J, K` (TS, Java). Only the names, never the generic arguments.
_CLASS_HEAD = re.compile(r"\b(?:class|struct|interface|record)\s+[A-Za-z_$][\w$]*")
_GENERIC_ARGS = re.compile(r"<[^<>]*>|\[[^\[\]]*\]")
_BASE_WORDS = frozenset({"public", "protected", "private", "virtual", "internal", "final"})
# Go has no bases but embeds: `type Server struct { *Base; sync.Mutex; name string }` promotes
# Base's and Mutex's methods to Server, as an interface's embedded interfaces' are to it.
_GO_TYPE_BODY = re.compile(r"^\s*type\s+\w+(?:\[[^\]]*\])?\s+(?:struct|interface)\s*\{(.*)\}", re.S)
_GO_EMBEDDED = re.compile(r"\*?(?:\w+\.)?(\w+)(?:\[[^\]]*\])?(?:\s+`[^`]*`)?")


def base_names(signature: str) -> list[str]:
    """The names of the classes and interfaces a class header says it extends, in order, each
    without its module qualifier or type arguments (`pkg.Base[T]` -> Base), or those a Go
    struct or interface embeds. `object` and keyword arguments (`metaclass=`) are not bases."""
    go = _GO_TYPE_BODY.match(signature)
    if go is not None:
        embedded = (
            _GO_EMBEDDED.fullmatch(f.split("//")[0].strip())
            for f in re.split(r"[\n;]", go.group(1))
        )
        return list(dict.fromkeys(m.group(1) for m in embedded if m is not None))
    head = _CLASS_HEAD.search(signature)
    if head is None:
        return []
    rest = signature[head.end() :]
    for _ in range(3):  # generic arguments nest: strip the innermost first
        rest = _GENERIC_ARGS.sub("", rest)
    rest = rest.lstrip()
    if rest.startswith("("):  # Python
        close = rest.find(")")
        listed = rest[1:close] if close != -1 else rest[1:]
    elif (extends := re.match(r"(?:\([^)]*\)\s*)?extends\b([^{]*)", rest)) is not None:
        listed = re.split(r"\bimplements\b|\bwhere\b", extends.group(1))[0]
    elif rest.startswith(":"):  # C++ and C#
        listed = re.split(r"[{;]|\bwhere\b", rest[1:])[0]
    else:
        return []
    names: list[str] = []
    for part in listed.split(","):
        if "=" in part:
            continue  # metaclass=ABCMeta, total=False
        words = [w for w in re.findall(r"[A-Za-z_$][\w$.]*", part) if w not in _BASE_WORDS]
        if not words:
            continue
        name = words[0].rpartition(".")[2].rpartition("::")[2]
        if name and name != "object" and name not in names:
            names.append(name)
    return names


# `use Greets, Other\\Logs;` or `use Counts { count as protected; }` in a PHP class body.
_PHP_TRAIT_USE = re.compile(r"^\s*use\s+([\\\w\s,]+?)\s*[;{]")


def php_trait_names(body: Iterable[str]) -> list[str]:
    """The traits a PHP class body uses (`use A\\Greets, Logs;` -> Greets, Logs), from the lines
    before its first method: traits come first by convention, and a method's body cannot hold a
    `use` line (a closure's `use ($x)` follows its parameters)."""
    names: list[str] = []
    for line in body:
        if "function " in line:
            break
        if (m := _PHP_TRAIT_USE.match(line)) is not None:
            for part in m.group(1).split(","):
                name = part.strip().rpartition("\\")[2]
                if name and name not in names:
                    names.append(name)
    return names


# `impl<T: Into<String>> fmt::Display for Ledger<T> {`, `unsafe impl Send for Ledger {`: the
# trait (if any) and the type, each by its last path segment, generic arguments left out.
_RUST_IMPL = re.compile(
    r"^(?P<indent>\s*)(?:unsafe\s+)?impl\b(?:\s*<[^{]*?>)?\s+"
    r"(?:(?P<trait>[\w:]+)(?:<[^{]*?>)?\s+for\s+)?&?(?:mut\s+)?(?P<type>[\w:]+)"
)


class RustImpl(NamedTuple):
    """An `impl` block: the type it gives methods to, the trait it implements ("" for an
    inherent impl), and its lines (0-based, inclusive)."""

    type: str
    trait: str
    start: int
    end: int


def rust_impl_blocks(lines: Sequence[str]) -> list[RustImpl]:
    """The `impl` blocks of a Rust file. A block ends at the first later line that is only `}`
    at the `impl` line's indentation (rustfmt's layout). An unformatted block ends, at the
    latest, on the line before the next `impl` at its indentation or shallower, so it never
    takes over the methods of the impls after it."""
    heads = [(i, m) for i, line in enumerate(lines) if (m := _RUST_IMPL.match(line)) is not None]
    found: list[RustImpl] = []
    for k, (i, m) in enumerate(heads):
        indent = m.group("indent")
        closer = indent + "}"
        last = next(
            (j - 1 for j, n in heads[k + 1:] if len(n.group("indent")) <= len(indent)),
            len(lines) - 1,
        )  # fmt: skip
        end = next(
            (j for j in range(i, last + 1) if lines[j].rstrip() == closer
             or (j == i and lines[i].rstrip().endswith("{}"))),
            last,
        )  # fmt: skip
        trait = (m.group("trait") or "").rpartition("::")[2]
        found.append(RustImpl(m.group("type").rpartition("::")[2], trait, i, end))
    return found


def _code(line: str) -> str:
    """The line, or "" for a comment line (`// ... bodies.` names no receiver)."""
    return "" if line.lstrip().startswith(("//", "#", "/*", "*", "--")) else line


def _add(found: list[str], name: str) -> None:
    if name not in OWN_OBJECTS and name not in found:
        found.append(name)


def _declaration_patterns(name: str) -> list[re.Pattern[str]]:
    bare = re.escape(name.lstrip("$"))
    var = rf"\$?{bare}" if name.startswith("$") else bare
    return [
        # Java, C#, C/C++, PHP, TS-less typed languages: `Bridge bridge`, `Bridge *b`,
        # `final List<Bridge> b` takes List, `InputInterface $input`.
        re.compile(rf"\b{_TYPE}{_GENERIC}(?:\[\])*\s*[*&]*\s+{var}\b(?!\s*\()"),
        # TS, Python, Rust, Kotlin-like annotations: `bridge: Bridge`, `b: &mut Bridge`, and
        # Python's forward reference `client: "MCPClient"`. Not a docstring's argument list
        # (`registry: The tool registry to use.`): a type is not followed by another word.
        re.compile(
            rf"(?<![\w$]){var}\s*\??:\s*(?:&\s*(?:mut\s+)?|\*)?[\"']?{_TYPE}(?!\w)(?!\s+\w)"
        ),
        # Go: `b *Bridge`, `var b Bridge`, and `p *parser` (an unexported type: only behind a
        # pointer, where a lower-case word after a name cannot be anything else).
        re.compile(rf"(?<![\w$]){var}\s+\*?{_TYPE}\b"),
        re.compile(rf"(?:\(|,|\bvar)\s*{var}\s+\*([a-z_]\w*)\b"),
        # Construction: `x = new Bridge(`, `b := &hcl.Body{`, `s = S {`, and unqualified
        # `x = Bridge(` or `Bridge::new(`. Not `x = obj.Method(`: a call's result is unknown.
        re.compile(rf"(?<![\w$]){var}\s*(?::=|=)\s*new\s+{_TYPE}"),
        re.compile(rf"(?<![\w$]){var}\s*(?::=|=)\s*&?{_TYPE}{_GENERIC}\s*\{{"),
        re.compile(rf"(?<![\w$]){var}\s*(?::=|=)\s*([A-Z]\w*){_GENERIC}\s*(?:\(|::)"),
    ]


def declared_type(text: str, offset: int, name: str, *, scan_above: int = SCAN_ABOVE) -> str | None:
    """The type `name` was declared with: the declaration nearest above `offset`, else the
    nearest below it (a field declared at the end of a class); a capitalised name is its own
    type. Only the lines that mention the name, within `scan_above` characters above the cursor
    and SCAN_BELOW below it, are read, so a selection in a long file stays cheap."""
    if name[:1].isupper():
        return name  # a type's own members: `Logger.error(`, `Span::new(`
    patterns = _declaration_patterns(name)
    mention = re.compile(rf"(?<![\w$]){re.escape(name)}\b")
    start = max(0, offset - scan_above)
    above = [m.start() for m in mention.finditer(text, start, offset)]
    below = [m.start() for m in mention.finditer(text, offset, offset + SCAN_BELOW)]
    seen: set[int] = set()
    # Nearest above first, then nearest below; a name used on hundreds of lines is looked for
    # on the nearest MAX_MENTIONS of them only.
    for at in [*reversed(above), *below][:MAX_MENTIONS]:
        line_start = text.rfind("\n", 0, at) + 1
        if line_start in seen:
            continue
        seen.add(line_start)
        line_end = text.find("\n", at)
        line = text[line_start : line_end if line_end != -1 else len(text)]
        if len(line) > MAX_LINE_CHARS:
            continue  # minified code: a 1 MB line took 125 ms of regex and declares nothing
        for pattern in patterns:
            match = pattern.search(line)
            if match is not None:
                return match.group(1)
    return None


def receiver_types(
    text: str,
    offset: int,
    *,
    lines_above: int = 0,
    limit: int = 2,
    headers: Sequence[str] = (),
) -> list[str]:
    """The declared types of the receivers on the cursor's line (and `lines_above` lines above
    it), in receivers_near's order; the first MAX_RECEIVERS receivers are looked at. The lines
    above are off by default: on the development set, a type named there (an exception class
    assigned two lines up) was copied into a line that needed another one.

    `headers`: texts where a receiver not declared in `text` may be (a C++ class's header, for
    `prog_->` in its .cc file), read whole up to MAX_HEADER_CHARS each."""
    types: list[str] = []
    for name in receivers_near(text, offset, lines_above)[:MAX_RECEIVERS]:
        found = declared_type(text, offset, name)
        for header in headers if found is None else ():
            end = min(len(header), MAX_HEADER_CHARS)
            found = declared_type(header, end, name, scan_above=MAX_HEADER_CHARS)
            if found is not None:
                break
        if found is not None and found not in types:
            types.append(found)
            if len(types) == limit:
                break
    return types


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def words(names: Iterable[str]) -> set[str]:
    """The lower-case words of identifiers (`releaseCall`, `release_call` -> release, call)."""
    return {w.lower() for name in names for w in _WORD.findall(name) if len(w) > 2}


def rank_members(members: Sequence[str], near: set[str], typed: str = "") -> list[int]:
    """Member indices, most relevant first: those starting with what is typed after the dot,
    then by words shared with the code near the cursor (prefixes count: `log` and `logging`),
    then in source order."""

    def shared(member: str) -> int:
        return sum(
            1 for w in words([member]) if any(w.startswith(n) or n.startswith(w) for n in near)
        )

    order = sorted(
        range(len(members)),
        key=lambda i: (
            not (typed and members[i].startswith(typed)),
            -shared(members[i]),
            i,
        ),
    )
    return order


__all__ = [
    "OWN_OBJECTS",
    "base_names",
    "calls_own_member",
    "declared_type",
    "php_trait_names",
    "rank_members",
    "receiver_types",
    "receivers_near",
    "words",
]
