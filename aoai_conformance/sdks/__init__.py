"""Every SDK the documentation covers (issue 14): the same documented calls through Node, Go and Java.

- :mod:`.server`: one local server on 127.0.0.1 where every call has its own scope (``/p/<token>/openai/v1/``)
  and its own source (a cassette's answers in order, the stand-in, a fault script, or the real target), with
  every attempt logged;
- :mod:`.driver`: a driver process per SDK (``drivers/PROTOCOL.md``): hello, one request in, one result out;
- :mod:`.coverage`: what each SDK's section of the documentation covers (calls, auth modes), its retry policy
  and its error class per status, each citing its section;
- :mod:`.harness`: the ``aoai`` fixture's harness for another SDK: the suites' calls go through the driver and
  come back as the same Exchange / StreamExchange the layers judge.
"""
