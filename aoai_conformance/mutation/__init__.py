"""Mutation runs: the suite tests itself (python -m aoai_conformance.mutation)."""
