"""The stream operators: events reordered, dropped, duplicated, renumbered, a delta that disagrees, no [DONE];
and the payload operators applied to the event that carries what they change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .answer import Answer, Event
from .payload import PayloadOp, _walk, break_usage_sum, drop_content_filter, schema_name


# --- stream operators ------------------------------------------------------------------------------------
def _data_positions(events: list[Event]) -> list[int]:
    return [i for i, e in enumerate(events) if isinstance(e.data, dict)]


def _middle(events: list[Event]) -> int | None:
    pos = _data_positions(events)
    return pos[len(pos) // 2] if len(pos) >= 3 else None


def _label(e: Event) -> str:
    d = e.data if isinstance(e.data, dict) else {}
    return d.get("type") or d.get("object") or "event"


def reorder_events(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    pos = _data_positions(ev)
    if len(pos) < 4:
        return None
    k = len(pos) // 2
    a, b = pos[k - 1], pos[k]
    ev[a], ev[b] = ev[b], ev[a]
    return ans.with_events(ev), f"swapped data events {k - 1} and {k} ({_label(ev[b])} <-> {_label(ev[a])})"


def drop_event(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    m = _middle(ev)
    if m is None:
        return None
    gone = ev.pop(m)
    return ans.with_events(ev), f"dropped the middle data event ({_label(gone)})"


def duplicate_event(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    m = _middle(ev)
    if m is None:
        return None
    ev.insert(m, ev[m])
    return ans.with_events(ev), f"duplicated the middle data event ({_label(ev[m])})"


def break_sequence(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    pos = [i for i in _data_positions(ev) if isinstance(ev[i].data.get("sequence_number"), int)]
    if len(pos) < 4:
        return None
    k = len(pos) // 2
    a, b = pos[k - 1], pos[k]
    sa, sb = ev[a].data["sequence_number"], ev[b].data["sequence_number"]
    ev[a] = ev[a].with_data({**ev[a].data, "sequence_number": sb})
    ev[b] = ev[b].with_data({**ev[b].data, "sequence_number": sa})
    return ans.with_events(ev), f"swapped sequence_number {sa} and {sb} (events stay in place)"


def delta_disagrees(ans: Answer) -> tuple[dict, str] | None:
    """A text delta says something the final text does not (only streams that carry a final text)."""
    ev = ans.events
    deltas = [i for i in _data_positions(ev) if ev[i].data.get("type") == "response.output_text.delta"]
    if not deltas:
        return None
    i = deltas[len(deltas) // 2]
    old = ev[i].data.get("delta", "")
    ev[i] = ev[i].with_data({**ev[i].data, "delta": old + "~"})
    return ans.with_events(ev), f"output_text.delta {old!r} -> {old + '~'!r} (final text unchanged)"


def remove_done(ans: Answer) -> tuple[dict, str] | None:
    ev = ans.events
    if not any(e.done for e in ev):
        return None
    return ans.with_events([e for e in ev if not e.done]), "removed data: [DONE]"


def _stream_payload_op(op: PayloadOp) -> Callable[[Answer], tuple[dict, str] | None]:
    """Apply a payload operator to the stream: the middle data event (or, for usage and content filters, the
    events that carry them)."""

    def apply(ans: Answer) -> tuple[dict, str] | None:
        ev = ans.events
        if op is drop_content_filter:
            changed, notes = False, []
            out = []
            for e in ev:
                res = drop_content_filter(e.data, "") if isinstance(e.data, dict) else None
                if res is None:
                    out.append(e)
                    continue
                changed = True
                data = res[0]
                # Azure's prompt-filter-only prelude chunk is nothing but filter results: it goes entirely.
                if data.get("object") == "" and not data.get("choices"):
                    notes.append("the prompt_filter_results prelude chunk")
                    continue
                notes.append(res[1].removeprefix("dropped "))
                out.append(e.with_data(data))
            if not changed:
                return None
            return ans.with_events(out), "dropped " + "; ".join(dict.fromkeys(notes))
        candidates = _data_positions(ev)
        if op is break_usage_sum:  # the event that carries the usage
            candidates = [i for i in candidates if _has_usage(ev[i].data)][-1:]
        else:
            m = _middle(ev)
            candidates = [m] if m is not None else []
        for i in candidates:
            name = schema_name(ev[i].data, event=True)
            if name is None:
                continue
            res = op(ev[i].data, name)
            if res is None:
                continue
            ev[i] = ev[i].with_data(res[0])
            return ans.with_events(
                ev
            ), f"data event {_data_positions(ev).index(i)} ({_label(ev[i])}): {res[1]}"
        return None

    return apply


def _has_usage(data: Any) -> bool:
    return any(p and p[-1] == "usage" and isinstance(v, dict) and "total_tokens" in v for p, v in _walk(data))
