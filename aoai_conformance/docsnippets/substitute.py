"""What changes between the page's text and the program that runs: the resource URL, the credentials, and the
scaffolding a language needs to start a fragment. Nothing else; each change is recorded in words that never
carry the stand-in's key or token (those reach the program through the environment only)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .extract import Block

# Any Azure OpenAI resource host of the page, its placeholders' typos ("YOUR-RESORCE-NAME", "YOUR-RESOURCE_NAME")
# and real-looking names ("france-central-test-001") alike.
RESOURCE_URL = re.compile(r"https://[A-Za-z0-9_-]+\.openai\.azure\.com")
# What the program reads instead of a secret written into its text.
TOKEN_ENV = "AOAI_DOCSNIPPETS_TOKEN"
# The environment variables the pages document (Python's env tab, Java's fromEnv, Go/C#/Java's key variables).
KEY_ENV = ("AZURE_OPENAI_API_KEY", "OPENAI_API_KEY")
URL_ENV = "OPENAI_BASE_URL"

JS_CREDENTIAL = (
    f"({{ getToken: async () => ({{ token: process.env.{TOKEN_ENV}, "
    "expiresOnTimestamp: Date.now() + 3600000 }) })"
)
JAVA_CREDENTIAL = (
    "((com.azure.core.credential.TokenCredential) context -> reactor.core.publisher.Mono.just("
    f'new com.azure.core.credential.AccessToken(System.getenv("{TOKEN_ENV}"), '
    "java.time.OffsetDateTime.now().plusHours(1))))"
)


@dataclass
class Prepared:
    code: str
    substitutions: list[str] = field(default_factory=list)
    main_class: str = ""  # Java: the class to start


def substitute_url(code: str, origin: str) -> tuple[str, list[str]]:
    """Every resource URL's scheme and host -> the stand-in's origin; the path is kept as the page wrote it."""
    notes = []
    out = []
    for n, line in enumerate(code.split("\n"), 1):
        for m in RESOURCE_URL.finditer(line):
            shown = re.sub(r":\d+$", ":<port>", origin)
            notes.append(f"url: {m.group(0)} -> {shown} (block line {n})")
        out.append(RESOURCE_URL.sub(origin, line))
    return "\n".join(out), notes


def substitute_credentials(code: str, language: str) -> tuple[str, list[str]]:
    notes = []
    if language == "javascript" and "new DefaultAzureCredential()" in code:
        code = code.replace("new DefaultAzureCredential()", JS_CREDENTIAL)
        notes.append(
            f"credential: new DefaultAzureCredential() -> a fixed-token TokenCredential (token from ${TOKEN_ENV})"
        )
    elif language == "java" and "new DefaultAzureCredentialBuilder().build()" in code:
        code = code.replace("new DefaultAzureCredentialBuilder().build()", JAVA_CREDENTIAL)
        notes.append(
            "credential: new DefaultAzureCredentialBuilder().build() -> a fixed-token TokenCredential lambda "
            f"(token from ${TOKEN_ENV})"
        )
    elif language == "python" and "DefaultAzureCredential" in code:
        notes.append(
            "credential: azure.identity.DefaultAzureCredential is bound to a fixed-token credential before the "
            "block runs (the block's text is unchanged)"
        )
    elif language == "go" and "azidentity.NewDefaultAzureCredential" in code:
        notes.append(
            "credential: module azidentity is replaced by a local one whose NewDefaultAzureCredential returns a "
            "fixed-token credential (the block's text is unchanged)"
        )
    return code, notes


def env_note(code: str) -> str:
    named = [v for v in (*KEY_ENV, URL_ENV) if v in code]
    return (
        "env: OPENAI_BASE_URL = the stand-in's v1 URL; AZURE_OPENAI_API_KEY, OPENAI_API_KEY = the stand-in's key"
        + (f" (the block reads {', '.join(named)})" if named else "")
    )


def prepare(block: Block, origin: str, java_index: dict[str, list[str]] | None = None) -> Prepared:
    code, notes = substitute_url(block.code, origin)
    code, cred = substitute_credentials(code, block.language)
    notes += cred
    notes.append(env_note(block.code))
    prepared = Prepared(code, notes)
    if block.language == "java":
        wrap_java(prepared, java_index or {})
    elif block.language == "javascript":
        notes.append("wrap: run as an ES module (.mjs), which gives import and top-level await")
    return prepared


# --- Java ----------------------------------------------------------------------------------------------------
_JAVA_LANG = frozenset(
    "String System Exception RuntimeException Object Integer Long Double Boolean Math Thread Override "
    "Iterable Runnable StringBuilder Character Byte Short Float Void Class Error Throwable".split()
)


def java_class_index(classpath: list[Path]) -> dict[str, list[str]]:
    """Simple class name -> fully qualified names of the top-level classes in the documented artifacts' jars."""
    index: dict[str, list[str]] = {}
    for jar in classpath:
        if jar.suffix != ".jar" or not jar.is_file():
            continue
        with zipfile.ZipFile(jar) as z:
            for name in z.namelist():
                if not name.endswith(".class") or "$" in name or name.startswith("META-INF"):
                    continue
                fq = name[:-6].replace("/", ".")
                if ".internal." in fq or ".implementation." in fq:
                    continue
                index.setdefault(fq.rsplit(".", 1)[-1], []).append(fq)
    return index


def _java_type_names(code: str) -> list[str]:
    bare = re.sub(r'"(\\.|[^"\\])*"', '""', code)
    bare = re.sub(r"//.*", "", bare)
    names: list[str] = []
    for m in re.finditer(r"(?<![\w.])([A-Z]\w*)\b", bare):
        if m.group(1) not in names and m.group(1) not in _JAVA_LANG:
            names.append(m.group(1))
    return names


def wrap_java(prepared: Prepared, index: dict[str, list[str]]) -> None:
    """A class with main around statements outside any class, and the imports an IDE adds mechanically: each
    type name that names exactly one class of the documented artifacts. An ambiguous or unknown name gets no
    import, and the compiler says so."""
    code = prepared.code
    package = re.search(r"^\s*package\s+([\w.]+)\s*;", code, re.M)
    declared = re.search(r"^\s*public\s+(?:final\s+)?class\s+(\w+)", code, re.M)
    if declared:
        prepared.main_class = (package.group(1) + "." if package else "") + declared.group(1)
        return
    imported = set(re.findall(r"^\s*import\s+[\w.]+\.(\w+)\s*;", code, re.M))
    imports = []
    ambiguous: dict[str, list[str]] = {}
    for name in _java_type_names(code):
        if name in imported:
            continue
        candidates = index.get(name, [])
        if len(candidates) == 1:
            imports.append(f"import {candidates[0]};")
        elif len(candidates) > 1:
            ambiguous[name] = candidates
    # An ambiguous name takes the package an unambiguous name of the same block came from, if just one fits.
    packages = {i[len("import ") : -1].rsplit(".", 1)[0] for i in imports}
    for name, candidates in ambiguous.items():
        fits = [c for c in candidates if c.rsplit(".", 1)[0] in packages]
        if len(fits) == 1:
            imports.append(f"import {fits[0]};")
        else:
            prepared.substitutions.append(
                f"wrap: no import for {name} (ambiguous: {', '.join(sorted(candidates)[:3])})"
            )
    body = "\n".join("        " + line for line in code.split("\n"))
    prepared.code = "\n".join(
        imports
        + [
            "",
            "public class Snippet {",
            "    public static void main(String[] args) throws Exception {",
            body,
            "    }",
            "}",
            "",
        ]
    )
    prepared.main_class = "Snippet"
    prepared.substitutions.append(
        "wrap: class Snippet with main(String[]) throws Exception around the statements"
    )
    if imports:
        prepared.substitutions.append(
            "wrap: imports resolved from the documented artifacts: " + " ".join(imports)
        )


# --- Python on the rendered page -----------------------------------------------------------------------------
def restore_indentation(block: Block, others: list[Block]) -> Block | None:
    """The rendered page drops leading whitespace, which Python needs. A Markdown page's block with the same
    lines once whitespace is ignored gives it back; without one the block cannot run as the page shows it."""

    def key(b: Block) -> list[str]:
        return [re.sub(r"\s+", "", line) for line in b.lines if line.strip()]

    mine = key(block)
    for other in others:
        if other.language == "python" and other.fence and key(other) == mine:
            return other
    return None
