"""A local stand-in for an Azure OpenAI v1 resource (``python -m aoai_conformance.standin``).

It answers ``/openai/v1/...`` the way the Azure documentation's recorded examples look, so the suite's
``record`` and ``live`` modes run anywhere without an Azure resource::

    with StandIn() as s:
        client = openai.OpenAI(base_url=s.base_url, api_key=s.api_key)

``mutator(route, reply) -> reply`` sees every reply (a :class:`Reply`) just before it is serialised.
"""

from .common import DEFAULT_DEPLOYMENTS, Deployment
from .reply import DONE, Reply
from .server import RecordedRequest, StandIn, route_name

__all__ = ["StandIn", "Reply", "RecordedRequest", "Deployment", "DEFAULT_DEPLOYMENTS", "DONE", "route_name"]
