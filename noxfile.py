"""nox sessions: `nox -s replay` is the main job (offline, with reports); `nox -s tests` the project's own tests;
`nox -s lint` ruff and mypy. The three run by default."""

import nox

nox.options.sessions = ["lint", "replay", "tests"]
nox.options.reuse_existing_virtualenvs = True

# Pinned: a new ruff or mypy release must not turn a green tree red by itself. The same pins are in .ci/run.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"


def _install(session: nox.Session, extras: str = "") -> None:
    session.install("-e", f".{extras}")


@nox.session
def replay(session: nox.Session) -> None:
    """The main job: replay the bundled cassettes offline under every auth mode; writes reports/."""
    _install(session)
    session.run("aoai-conformance", "run", "-n", "auto", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests: they prove the suites, the engine and the tooling right."""
    _install(session, "[test]")
    session.run("pytest", "tests", "-n", "auto", *session.posargs)


@nox.session
def record(session: nox.Session) -> None:
    """Re-record cassettes live (default: against the bundled stand-in) and replay them once to prove them."""
    _install(session)
    args = session.posargs or ["--target", "standin"]
    session.run("aoai-conformance", "run", "--mode", "record", "--client", "sync", *args)
    session.run("aoai-conformance", "run", "--mode", "replay", *args)


@nox.session
def live(session: nox.Session) -> None:
    """Run live against the target from the environment (AZURE_OPENAI_*) or --target; writes no cassettes."""
    _install(session)
    session.run("aoai-conformance", "run", "--mode", "live", *session.posargs)


@nox.session
def schemas(session: nox.Session) -> None:
    """Regenerate schemas/ from ../shared/specs (byte-identical for the same input)."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.schemagen", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Rebuild the reports from a results.json without re-running tests."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.report", *(session.posargs or ["reports/results.json"]))


@nox.session
def mutation(session: nox.Session) -> None:
    """The suite tests itself: mutate the bundled cassettes one change at a time, replay, report caught/total."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.mutation", *session.posargs)


@nox.session
def sdk_matrix(session: nox.Session) -> None:
    """Replay the bundled cassettes through several versions of each SDK (python, node, go, java; a driver is
    built per version): reports/sdk_matrix/matrix.{md,html,json}. E.g. -- --sdk node,go --versions node=6.25.0."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.sdkmatrix", *session.posargs)


@nox.session
def thirdparty(session: nox.Session) -> None:
    """Run the suite live against real OpenAI-compatible servers (aimock, llama.cpp, LiteLLM, infinity)."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.thirdparty", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint, import order, format) over the repository; mypy (basic mode, pyproject.toml) over the package."""
    _install(session)  # mypy reads the dependencies' types (openai, pytest, azure-identity)
    session.install(RUFF, MYPY)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "aoai_conformance")


@nox.session
def docsnippets(session: nox.Session) -> None:
    """Run the documentation's own code blocks (../shared/seeds) as written against the stand-in and resolve the
    install lines: reports/docsnippets/docsnippets.{md,json}. Exit 1 on a failure known.toml does not list."""
    _install(session)
    session.run("python", "-m", "aoai_conformance.docsnippets", *session.posargs)


@nox.session(python=False)
def drivers(session: nox.Session) -> None:
    """Build the other SDKs' drivers (drivers/PROTOCOL.md): npm ci, go build, mvn package, each pinned. A missing
    toolchain fails its build with one line naming the fix; the others still build."""
    import glob

    failed = []
    for build in sorted(glob.glob("drivers/*/build")):
        try:
            session.run(build, external=True)
        except nox.command.CommandFailed:
            failed.append(build)
    if failed:
        session.error(f"not built: {', '.join(failed)} (see the line each printed)")
