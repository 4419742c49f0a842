"""The documentation's own code, run as written (issue 14, item 2): ``python -m aoai_conformance.docsnippets``.

Every code block of the seed pages is extracted from the seed text (never retyped), install lines are resolved
against the registries, and each program runs against a fresh local stand-in. A block that does not resolve,
compile or run is a documentation finding: listed, with its evidence, in ``known.toml``; anything else that
fails is a new failure (exit 1).

Extraction
    * Markdown pages (000, 002): every fenced block; the fence names the language (``cmd`` is a shell line;
      ``json``, ``markdown``, ``text`` and bare fences hold the page's sample output). Lines are the fence's
      inside, blank edges trimmed. The section is the ``##``/``###`` headings plus the tab (``[API Key]``).
    * Rendered text (001): no fences and no indentation. The page is cut into its language parts at the
      "Source code |" lines; a part's language is the one its install line names (``dotnet add``, ``go get``,
      Maven/Gradle, ``npm install``, ``pip install``). A line inside open brackets, or a C-family line that
      starts with ``.`` or ``??``, continues its statement. Otherwise it starts code if it is an install line,
      an XML line, a Gradle ``implementation(...)`` line, or, by the part's language: Python, a comment, a
      compound statement's header, or a line ``ast`` parses as an import, an assignment or a call *with
      arguments* (the page's headings ``chat.completions.create()`` and ``... - streaming`` are not); C#, Go,
      Java and JavaScript, a line opening with a keyword of the language (``using``, ``import``, ``package``,
      ``const``, ``await``, ...), a brace, a comment, or ending in ``; { ( , [ =`` or a call's ``)``. Any
      other line is prose and ends the block. Code lines with no prose between them are one block, unless a
      line opens a new program (``package``, a first ``using``/``import``/``from`` after statements).
    * Same text, same blocks: ids are ``<seed prefix>:<first line>-<last line>``.

Running (only the resource URL and the credentials change; every change is recorded, secret-free)
    * URL: ``https://<anything>.openai.azure.com`` (placeholders, their typos, real-looking hosts) -> the
      stand-in's origin, the path as written. Go talks to it through HTTPS (azcore sends no bearer token over
      plain HTTP), with a throwaway certificate.
    * Credentials: ``DefaultAzureCredential`` -> a credential with a fixed token: Python binds
      ``azure.identity.DefaultAzureCredential`` before the block runs; JavaScript and Java replace the
      constructor expression; Go replaces module azidentity with a local one. The key variables the pages
      document (``AZURE_OPENAI_API_KEY``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``) point at the stand-in.
      The token and key reach programs through the environment only.
    * Wrapping, the least a language needs to start a piece of a program, and nothing an author would have to
      invent: JavaScript runs as an ES module (import, top-level await); Java statements outside a class get a
      class with ``main`` and the imports an IDE would add (a type name naming exactly one class of the
      documented artifacts, or one in the package another of the block's names came from). Names a block uses
      but never defines (``client``, ``completion``, an import the page left out) are never supplied: such a
      block is a "fragment".
    * Rendered Python lost its indentation; a block that needs it takes it from the Markdown page's block with
      the same lines (recorded), else it is "not run".
    * A block "ran" when it exits 0 and the stand-in answered every request it made with 2xx. Each request
      says which credential it carried (the stand-in's key or token, named, never shown).
    * Nothing leaves loopback: Python and Go runs get HTTP(S)_PROXY pointing at a closed local port (the
      stand-in excepted through NO_PROXY), Java runs the JVM's proxy properties to the same effect, and
      azure-identity's extra "GET https://www.example.com" (Java's AuthenticationUtil) is answered in-process
      by the Java driver's HTTP client. Node 20's fetch ignores proxy variables: JavaScript blocks are held to
      loopback by the URL substitution alone (the pages' JavaScript names no other host).
"""
