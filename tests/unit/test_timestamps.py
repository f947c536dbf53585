"""Times become google.protobuf.Timestamp by integer arithmetic (api/converters.py);
they must agree with protobuf's own Timestamp.FromDatetime everywhere a Timestamp can go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from authtuna_grpc.api.converters import from_timestamp, to_timestamp

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))])
TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
)


@given(TIMES)
def test_to_timestamp_agrees_with_protobuf(value: datetime) -> None:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    assert to_timestamp(value) == expected


@given(TIMES)
def test_a_time_survives_the_round_trip(value: datetime) -> None:
    assert from_timestamp(to_timestamp(value), "t") == value


def test_the_extremes_of_the_timestamp_range() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert to_timestamp(first) == timestamp_pb2.Timestamp(seconds=-62_135_596_800)
    assert to_timestamp(last) == timestamp_pb2.Timestamp(seconds=253_402_300_799, nanos=999_999_000)
