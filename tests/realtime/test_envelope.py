"""A message's envelope (its ``type`` and ``id``) read without DRF when it is well formed:
the answer is DRF's ``Envelope``'s, whatever the message."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from classrooms import live
from realtime import bus, protocol

KINDS = st.one_of(
    st.sampled_from(sorted(protocol.ACTIONS)),
    st.sampled_from([" ping", "ping ", "PING", "", "x" * 41, "nothing.such"]),
    st.text(max_size=45),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
IDS = st.one_of(
    st.from_regex(protocol.ID_PATTERN, fullmatch=True),
    st.sampled_from(["", " a", "a ", "a\n", "x" * 64, "x" * 65, "a/b", "ü"]),
    st.text(max_size=70),
    st.integers(),
    st.none(),
    st.floats(allow_nan=False),
)


def drf_answer(message: dict[str, Any]) -> tuple[str, str | None] | dict[str, Any]:
    checked = protocol.Envelope(data=message)
    if not checked.is_valid():
        return dict(checked.errors)
    return checked.validated_data["type"], checked.validated_data.get("id")


@given(kind=KINDS, client_id=IDS, has_kind=st.booleans(), has_id=st.booleans())
def test_the_envelope_is_read_as_drf_reads_it(
    kind: Any, client_id: Any, has_kind: bool, has_id: bool
) -> None:
    message: dict[str, Any] = {"strokes": []}
    if has_kind:
        message["type"] = kind
    if has_id:
        message["id"] = client_id
    assert protocol.envelope(message) == drf_answer(message)


def test_a_well_formed_envelope_is_read_without_drf(monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DRF was asked")

    monkeypatch.setattr(protocol, "Envelope", refuse)
    assert protocol.envelope({"type": "board.strokes", "id": "m-1.2:x_3"}) == (
        "board.strokes",
        "m-1.2:x_3",
    )
    assert protocol.envelope({"type": "ping"}) == ("ping", None)


# --- the strokes of ``board.strokes`` checked without building the serializer -----------------
COORDINATES = st.one_of(
    st.integers(min_value=-2, max_value=live.BOARD_SIZE + 2),
    st.floats(allow_nan=False, allow_infinity=False, max_value=1e6, min_value=-1e6),
    st.booleans(),
    st.text(max_size=3),
)
POINTS = st.lists(
    st.one_of(
        st.lists(COORDINATES, min_size=2, max_size=2),
        st.lists(COORDINATES, max_size=3),
        st.tuples(st.integers(0, 10), st.integers(0, 10)).map(list),
        st.integers(),
    ),
    max_size=4,
)
STROKES = st.fixed_dictionaries(
    {
        "color": st.one_of(st.sampled_from(["#1f6feb", "#ABCDEF", "#abc", "red", ""]), st.none()),
        "width": st.one_of(st.integers(-1, live.MAX_WIDTH + 1), st.floats(0, 5), st.booleans()),
        "points": st.one_of(POINTS, st.none(), st.text(max_size=2)),
    },
    optional={"extra": st.integers()},
)
PAYLOADS = st.one_of(
    st.fixed_dictionaries({"strokes": st.lists(STROKES, max_size=3)}),
    st.fixed_dictionaries(
        {"strokes": st.one_of(st.none(), st.text(max_size=3), st.just([]), STROKES)}
    ),
    st.fixed_dictionaries({"strokes": st.lists(STROKES, max_size=2), "other": st.integers()}),
    st.just({}),
)


@given(payload=PAYLOADS)
def test_strokes_are_checked_as_the_serializer_checks_them(payload: dict[str, Any]) -> None:
    """The fast way accepts only what ``BoardStrokes`` accepts, with the same data; whatever
    it leaves (None) goes to the serializer, which explains what is wrong."""
    action = protocol.ACTIONS["board.strokes"]
    assert action.fast is not None
    fast = action.fast(payload)
    schema = action.schema(data=payload)
    valid = schema.is_valid()
    if fast is not None:
        assert valid
        assert fast == dict(schema.validated_data)
    elif valid:  # left to the serializer though well formed: only with keys it ignores
        assert set(payload) != {"strokes"}


def test_a_colour_with_anything_after_it_is_refused_both_ways() -> None:
    action = protocol.ACTIONS["board.strokes"]
    assert action.fast is not None
    payload = {"strokes": [{"color": "#aabbcc\n", "width": 3, "points": [[1, 2]]}]}
    assert action.fast(payload) is None
    assert not action.schema(data=payload).is_valid()


def test_a_well_formed_batch_is_taken_the_fast_way() -> None:
    action = protocol.ACTIONS["board.strokes"]
    assert action.fast is not None
    strokes = [{"color": "#1f6feb", "width": 3, "points": [[1, 2], [3, 4]]}]
    assert action.fast({"strokes": strokes}) == {"strokes": strokes}


# --- an event's frame written around its data encoded once ------------------------------------
JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


@given(
    seq=st.integers(min_value=1, max_value=2**62),
    kind=st.one_of(st.sampled_from(sorted(protocol.ACTIONS)), st.text(max_size=12)),
    at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=6))])),
    data=st.dictionaries(st.text(max_size=6), JSON, max_size=4),
)
def test_the_frame_around_encoded_data_is_the_frame(
    seq: int, kind: str, at: datetime, data: dict[str, Any]
) -> None:
    """The live frame of a guarded event (its data encoded once, for the log and the frame)
    is the text a replay writes for the stored event."""
    assert bus._event_frame(seq, kind, at, bus.encode(data)) == bus.encode(
        {"seq": seq, "type": kind, "at": at.isoformat(), "data": data}
    )
