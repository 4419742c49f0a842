"""Code blocks out of the seed pages: fenced Markdown (000, 002) and rendered text (001).

Rendered text has no fences and no indentation, so a line is code or prose by the rules of the language whose
page section it sits in (see :func:`_is_code_start` and :func:`_rendered_blocks`); the rules are the package
docstring's "Extraction" list. Everything here is a pure function of the seed text: same text, same blocks.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

# Fence info strings -> language; anything else in a fence is the page's sample output, not code.
FENCE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "cmd": "shell",
    "console": "shell",
    "bash": "shell",
    "sh": "shell",
    "javascript": "javascript",
    "js": "javascript",
    "typescript": "typescript",
    "go": "go",
    "java": "java",
    "csharp": "csharp",
    "xml": "xml",
    "gradle": "gradle",
    "kotlin": "gradle",
}
OUTPUT = "output"

# Language sections of the rendered page, told apart by their install line (the page repeats every heading).
_SECTION_BY_INSTALL = (
    (re.compile(r"^dotnet add package "), "csharp"),
    (re.compile(r"^go get "), "go"),
    (re.compile(r"^(implementation\(|<artifactId>)"), "java"),
    (re.compile(r"^npm install "), "javascript"),
    (re.compile(r"^pip install "), "python"),
)
LANGUAGE_NAMES = {
    "csharp": ".NET",
    "go": "Go",
    "java": "Java",
    "javascript": "JavaScript",
    "python": "Python",
}
# The line that opens each language's part of the rendered page ("Source code | Package (npm) | Reference |").
_PART_START = re.compile(r"^(Library source code|Source code) ?\|")

_INSTALL = re.compile(r"^(pip|npm|go|dotnet|mvn|gradle|yarn|pnpm) (install|get|add)\b")
_GRADLE = re.compile(r"^implementation\(\"[\w.-]+:[\w.-]+:[\w.-]+\"\)$")


@dataclass(frozen=True)
class Block:
    seed: str  # file name of the seed
    start: int  # first code line, 1-based
    end: int  # last code line, inclusive
    language: str  # python, javascript, go, java, csharp, shell, xml, gradle, or "output" (sample output)
    section: str  # "<Language> > <heading> > <heading>", plus " [<tab>]" on the Markdown page
    code: str
    fence: str = ""  # the fence's info string (Markdown pages only)
    notes: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.seed[:3]}:{self.start}-{self.end}"

    @property
    def lines(self) -> list[str]:
        return self.code.split("\n")


def seed_files(seeds_dir: Path) -> dict[str, Path]:
    """The seeds by their three-digit prefix ("000", "001", "002")."""
    return {p.name[:3]: p for p in sorted(seeds_dir.glob("[0-9][0-9][0-9]_*.txt"))}


def extract(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    if re.search(r"^```", text, re.M):
        return fenced_blocks(path.name, text)
    return rendered_blocks(path.name, text)


# --- Markdown pages ------------------------------------------------------------------------------------------
_HEADING = re.compile(r"^(#{1,6}) (.*?)\s*$")
_TAB = re.compile(r"^# \[(.+?)\]\(#tab/[\w-]+\)\s*$")


def fenced_blocks(seed: str, text: str) -> list[Block]:
    lines = text.split("\n")
    blocks: list[Block] = []
    headings: dict[int, str] = {}
    tab = ""
    i = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        i = lines.index("---", 1) + 1 if "---" in lines[1:] else len(lines)
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            info = line[3:].strip().lower()
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            body = lines[i + 1 : j]
            first, last = 0, len(body)
            while first < last and not body[first].strip():
                first += 1
            while last > first and not body[last - 1].strip():
                last -= 1
            if first < last:
                section = " > ".join(["Python"] + [headings[k] for k in sorted(headings)])
                if tab:
                    section += f" [{tab}]"
                blocks.append(
                    Block(
                        seed,
                        i + 2 + first,
                        i + 1 + last,
                        FENCE_LANGUAGES.get(info, OUTPUT),
                        section,
                        "\n".join(body[first:last]),
                        fence=info,
                    )
                )
            i = j + 1
            continue
        tab_match = _TAB.match(line)
        if tab_match:
            tab = tab_match.group(1)
        elif line.strip() == "---":  # the end of a tab group
            tab = ""
        else:
            m = _HEADING.match(line)
            if m and len(m.group(1)) >= 2:
                level = len(m.group(1))
                headings = {k: v for k, v in headings.items() if k < level}
                headings[level] = m.group(2)
                tab = ""
        i += 1
    return blocks


# --- rendered text -------------------------------------------------------------------------------------------
def _parts(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first index, end index, language) of each language's part of the rendered page."""
    starts = [0] + [i for i, line in enumerate(lines) if _PART_START.match(line) and i > 0]
    parts = []
    for n, first in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        language = ""
        for line in lines[first:end]:
            for pattern, lang in _SECTION_BY_INSTALL:
                if pattern.match(line.strip()):
                    language = lang
                    break
            if language:
                break
        parts.append((first, end, language))
    return parts


def _strip_strings(line: str, comment: str) -> str:
    """The line with string literals emptied and the trailing comment cut, for bracket counting."""
    out = []
    quote = ""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
                out.append(c)
        elif c in "\"'`":
            quote = c
            out.append(c)
        elif line.startswith(comment, i):
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _depth_change(line: str, language: str) -> int:
    bare = _strip_strings(line, "#" if language == "python" else "//")
    return sum(bare.count(c) for c in "([{") - sum(bare.count(c) for c in ")]}")


def _python_statement(line: str) -> bool:
    """A complete Python line that is a statement of a program, not a heading that happens to parse."""
    s = line.strip()
    if s.startswith("#"):
        return True
    if re.match(r"^(try|else|finally)\s*:$|^(except|elif)\b.*:$", s):
        return True
    if s.endswith(":"):
        try:
            ast.parse(s + "\n    pass")
            return True
        except SyntaxError:
            return False
    try:
        tree = ast.parse(s)
    except SyntaxError:
        return False
    if len(tree.body) != 1:
        return False
    node = tree.body[0]
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return True
    # "chat.completions.create()" is the page's heading; an expression statement that is code calls something
    # with arguments ("print(x)").
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and bool(node.value.args or node.value.keywords)
    )


_CALL_OR_ASSIGN = re.compile(r"^[\w.$<>\[\], ]*?=?\s*(new\s+)?[\w.$<>]+\(")
_C_FAMILY_START = re.compile(
    r"^(using [\w.]+;|#pragma\b|import\b|package\b|//|func\b|const\b|let\b|var\b|await\b|for\b|if\b|else\b|"
    r"try\b|catch\b|return\b|public\b|private\b|class\b|\}|\{|\.)"
)


def _is_code_start(line: str, language: str, next_line: str) -> bool:
    """Whether a line that is not inside an open statement is code, for the language of its page part."""
    s = line.strip()
    if not s or s.startswith(("|", "- ")):
        return False
    if _INSTALL.match(s) or _GRADLE.match(s) or s.startswith("<"):
        return True
    if language == "python":
        if (
            _depth_change(s, language) > 0
        ):  # an open bracket: "client = OpenAI(" is code, prose never opens one
            return bool(re.match(r"^[\w.\[\]]+(\s*=\s*[\w.]+)?\s*\(|^[\w.]+\s*=", s))
        return _python_statement(s)
    if _C_FAMILY_START.match(s) or next_line.strip().startswith((".", "?? ")) or next_line.strip() == "{":
        return True
    if s.endswith((";", "{", "(", ",", "[", "=")):
        return True
    return s.endswith(")") and bool(_CALL_OR_ASSIGN.match(_strip_strings(s, "//")))


def _starts_program(line: str, language: str, block: list[str]) -> bool:
    """A line that opens a new program although no prose separates it from the code before it."""
    s = line.strip()
    if not block:
        return False
    prev = block[-1].strip()
    if _INSTALL.match(s) or _GRADLE.match(s):
        return not (_INSTALL.match(prev) or prev.startswith("#"))
    if s.startswith("<") and not prev.startswith("<"):
        return True
    if language in ("go", "java") and s.startswith("package "):
        return True
    if language == "csharp" and s.startswith("using ") and not prev.startswith("using "):
        return True
    if language in ("javascript", "python") and re.match(r"^(import|from) ", s):
        return not re.match(r"^(import|from) |^#|^//", prev)
    return False


def _block_language(code: list[str], part_language: str) -> str:
    first = code[0].strip()
    if all(_INSTALL.match(x.strip()) or x.strip().startswith("#") for x in code):
        return "shell"
    if _GRADLE.match(first):
        return "gradle"
    if first.startswith("<"):
        return "xml"
    return part_language


def _is_heading(line: str) -> bool:
    s = line.strip()
    return bool(re.match(r"^[A-Za-z]", s)) and len(s) <= 60 and not s.endswith((".", ":", "|"))


def rendered_blocks(seed: str, text: str) -> list[Block]:
    lines = text.split("\n")
    blocks: list[Block] = []
    for first, end, language in _parts(lines):
        blocks += _part_blocks(seed, lines, first, end, language)
    return blocks


def _part_blocks(seed: str, lines: list[str], first: int, end: int, language: str) -> list[Block]:
    """The blocks of one language's part of the rendered page: runs of code lines, prose between them."""
    runs: list[tuple[int, list[str], str]] = []  # (first index, lines, heading)
    headings: list[str] = []
    last_heading_at = -2
    current: list[str] = []
    depth = 0
    for i in range(first, end):
        line = lines[i]
        next_line = lines[i + 1] if i + 1 < end else ""
        # Inside open brackets, or a C-family statement carried on by a leading "." or "??": no prose line
        # starts with either.
        continuing = bool(current) and (
            depth > 0 or (language != "python" and line.strip().startswith((".", "?? ")))
        )
        shell_comment = (
            bool(current)
            and bool(_INSTALL.match(current[-1].strip()))
            and line.strip().startswith("#")
            and bool(_INSTALL.match(next_line.strip()))
        )
        if continuing or shell_comment or _is_code_start(line, language, next_line):
            if current and depth == 0 and _starts_program(line, language, current):
                current = []
            if not current:
                heading = " > ".join([LANGUAGE_NAMES.get(language, language)] + headings)
                runs.append((i, current, heading))
            current.append(line)
            depth = max(0, depth + _depth_change(line, "python" if language == "python" else "c"))
            continue
        current = []
        depth = 0
        if _is_heading(line) and not _PART_START.match(line):
            headings = (headings[-1:] if last_heading_at == i - 1 else []) + [line.strip()]
            last_heading_at = i
    return [
        Block(seed, start + 1, start + len(code), _block_language(code, language), heading, "\n".join(code))
        for start, code, heading in runs
    ]
