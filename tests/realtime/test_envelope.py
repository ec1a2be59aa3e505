"""A message's envelope (its ``type`` and ``id``) read without DRF when it is well formed:
the answer is DRF's ``Envelope``'s, whatever the message."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from realtime import protocol

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
