"""Hooks the aoai-conformance plugin offers to other pytest plugins (conftest.py files, -p modules)."""


def pytest_aoai_standin_started(standin):
    """The plugin started the bundled stand-in for ``--target standin`` (live or record).

    A plugin may adjust it, e.g. set ``standin.mutator`` to break one promise at a time (how the own tests
    show that a suite fails when the service deviates), ``standin.require_credentials = False`` or
    ``standin.embeddings_refuse_entra = False``.
    """
