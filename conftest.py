"""Root conftest: keeps data folders out of collection. The machinery is the aoai_conformance plugin
(registered through the pytest11 entry point), so an installed wheel behaves like this checkout."""

collect_ignore = ["cassettes", "schemas", "reports", "bench", ".nox", ".venv"]
