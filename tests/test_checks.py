"""A failure message says what was given: "received X" alone reads as such, never "expected null, received X"."""

import pytest

from aoai_conformance import checks
from aoai_conformance.checks import ConformanceFailure


@pytest.mark.parametrize(
    "kw, message",
    [
        ({}, "[p.x] broke"),
        ({"path": "$.a"}, "[p.x] broke; at $.a"),
        ({"received": 404}, "[p.x] broke; received 404"),
        ({"received": "text/html"}, "[p.x] broke; received 'text/html'"),
        ({"expected": "integer"}, "[p.x] broke; expected 'integer'"),
        ({"expected": 200, "received": 404}, "[p.x] broke; expected 200, received 404"),
        # an explicit None is a value: a null-vs-value comparison stays readable
        (
            {"expected": None, "received": {"reason": "x"}},
            '[p.x] broke; expected null, received {"reason": "x"}',
        ),
        ({"expected": "string", "received": None}, "[p.x] broke; expected 'string', received null"),
        ({"received": None}, "[p.x] broke; received null"),
        ({"expected": None}, "[p.x] broke; expected null"),
        ({"received": 0}, "[p.x] broke; received 0"),
        ({"received": False, "path": "$.ok"}, "[p.x] broke; at $.ok; received false"),
    ],
)
def test_message_names_only_the_parts_given(kw, message):
    assert str(ConformanceFailure("p.x", "broke", **kw)) == message


@pytest.mark.parametrize(
    "kw, expected, received",
    [
        ({}, None, None),
        ({"received": 404}, None, "404"),
        ({"expected": "integer"}, "'integer'", None),
        ({"expected": None, "received": 1}, "null", "1"),
    ],
)
def test_as_dict_keeps_its_keys_and_is_null_when_unset(kw, expected, received):
    d = ConformanceFailure("p.x", "broke", **kw).as_dict()
    assert set(d) == {"promise", "detail", "path", "expected", "received", "evidence"}
    assert (d["expected"], d["received"]) == (expected, received)


def test_unset_attributes_read_as_none_for_callers():
    f = ConformanceFailure("p.x", "broke", received=3)
    assert f.expected is None and f.received == 3
    assert checks.UNSET is not None and not checks.UNSET


def test_fail_and_expect_pass_the_parts_through():
    with pytest.raises(ConformanceFailure, match=r"^\[p\.y\] no; received 'z'$"):
        checks.expect(False, "p.y", "no", received="z")
    with pytest.raises(ConformanceFailure, match=r"^\[p\.y\] no; expected 1$"):
        checks.fail("p.y", "no", expected=1)
