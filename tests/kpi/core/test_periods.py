"""kpi.core.periods: financial-year quarters and months (docs/methods.md section 2; the one clock, HCP_TODAY: docs/cli.md).

Expected dates are worked by hand from the English financial year (1 April to 31 March) and a calendar.
"""

from datetime import date, datetime

import pytest

from kpi.core import periods as periods
from kpi.core.periods import Period, PeriodError, parse_period


@pytest.mark.parametrize(
    "text",
    ["2026-27 Q2", "2026/27 Q2", "2026-27Q2", "2026/27q2", "  2026 - 27  Q2 ", "2026-27 q2", "2026-27 Q02"],
)
def test_quarter_spellings_normalise(text):
    assert periods.normalise_period(text) == "2026-27 Q2"
    assert parse_period(text) == Period("Q", 2026, 2)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2024-25 M05", "2024-25 M05"),
        ("2024/25 m5", "2024-25 M05"),
        ("2024-25M12", "2024-25 M12"),
        ("2024-25 M01", "2024-25 M01"),
    ],
)
def test_month_spellings_normalise(text, code):
    assert periods.normalise_period(text) == code
    assert parse_period(text).kind == "M"


def test_century_boundary_year():
    assert parse_period("2099-00 Q4").code == "2099-00 Q4"
    assert parse_period("2099-00 Q4").end == date(2100, 3, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2026 Q2",
            "'2026 Q2' is not a period: write the financial year and quarter like '2026-27 Q2' (or a month "
            "like '2026-27 M05', M01 = April)",
        ),
        (
            "Q2 2026-27",
            "'Q2 2026-27' is not a period: write the financial year and quarter like '2026-27 Q2'",
        ),
        (
            "2026-2027 Q2",
            "'2026-2027 Q2' is not a period: write the financial year and quarter like '2026-27 Q2'",
        ),
        ("", "'' is not a period: write the financial year and quarter like '2026-27 Q2'"),
        (None, "'' is not a period: write the financial year and quarter like '2026-27 Q2'"),
        (
            "2026-27 H1",
            "'2026-27 H1' is not a period: write the financial year and quarter like '2026-27 Q2'",
        ),
        (
            "2026-28 Q2",
            "'2026-28 Q2' is not a financial year: the second year must follow the first, like '2026-27'",
        ),
        (
            "2026-26 Q1",
            "'2026-26 Q1' is not a financial year: the second year must follow the first, like '2026-27'",
        ),
        ("2026-27 Q5", "'2026-27 Q5' is not a period: quarters run Q1 to Q4"),
        ("2026-27 Q0", "'2026-27 Q0' is not a period: quarters run Q1 to Q4"),
        ("2026-27 M13", "'2026-27 M13' is not a period: months run M01 (April) to M12 (March)"),
        ("2026-27 M00", "'2026-27 M00' is not a period: months run M01 (April) to M12 (March)"),
    ],
)
def test_bad_periods_are_rejected_with_a_message(text, message):
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert str(raised.value).startswith(message)


def test_period_error_is_a_value_error():
    assert issubclass(PeriodError, ValueError)


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2026-27 Q1", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-27 Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-27 Q3", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-27 Q4", date(2027, 1, 1), date(2027, 3, 31)),
        ("2023-24 Q4", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-25 M01", date(2024, 4, 1), date(2024, 4, 30)),
        ("2024-25 M05", date(2024, 8, 1), date(2024, 8, 31)),
        ("2024-25 M09", date(2024, 12, 1), date(2024, 12, 31)),
        ("2024-25 M10", date(2025, 1, 1), date(2025, 1, 31)),
        ("2023-24 M11", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2024-25 M11", date(2025, 2, 1), date(2025, 2, 28)),
        ("2024-25 M12", date(2025, 3, 1), date(2025, 3, 31)),
    ],
)
def test_start_and_end_dates(code, start, end):
    period = parse_period(code)
    assert (period.start, period.end) == (start, end)


def test_financial_year_and_quarter_of_a_month():
    assert parse_period("2024-25 M05").financial_year == "2024-25"
    assert parse_period("2024-25 M05").quarter.code == "2024-25 Q2"
    assert parse_period("2024-25 M12").quarter.code == "2024-25 Q4"
    assert parse_period("2024-25 Q3").quarter.code == "2024-25 Q3"


def test_index_orders_quarters_across_years():
    codes = ["2022-23 Q3", "2022-23 Q4", "2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1"]
    indexes = [parse_period(code).index for code in codes]
    assert indexes == list(range(indexes[0], indexes[0] + len(codes)))
    assert sorted(parse_period(code) for code in reversed(codes)) == [parse_period(code) for code in codes]


def test_index_orders_months_and_round_trips():
    march, april = parse_period("2024-25 M12"), parse_period("2025-26 M01")
    assert april.index == march.index + 1
    assert periods.from_index(april.index, "M") == april
    assert periods.from_index(parse_period("2026-27 Q2").index) == parse_period("2026-27 Q2")


def test_previous_and_next_cross_the_year_end():
    assert parse_period("2026-27 Q1").previous().code == "2025-26 Q4"
    assert parse_period("2025-26 Q4").next().code == "2026-27 Q1"
    assert parse_period("2025-26 M01").previous().code == "2024-25 M12"


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2026, 4, 1), "2026-27 Q1"),
        (date(2026, 6, 30), "2026-27 Q1"),
        (date(2026, 11, 23), "2026-27 Q3"),
        (date(2027, 3, 31), "2026-27 Q4"),
        (date(2027, 1, 1), "2026-27 Q4"),
    ],
)
def test_quarter_of_a_day(day, code):
    assert periods.quarter_of(day).code == code


@pytest.mark.parametrize(
    ("code", "working_days", "due"),
    [
        # 2026-27 Q2 ends Wednesday 30 September 2026: 20 Monday-to-Friday days later is Wednesday 28 October.
        ("2026-27 Q2", 20, date(2026, 10, 28)),
        # 2025-26 Q2 ends Tuesday 30 September 2025 -> Tuesday 28 October 2025 (the sample's late return came 11 Nov).
        ("2025-26 Q2", 20, date(2025, 10, 28)),
        # 2024-25 Q1 ends Sunday 30 June 2024: the first working day is Monday 1 July; 20th is Friday 26 July.
        ("2024-25 Q1", 20, date(2024, 7, 26)),
        # 2025-26 Q3 ends Wednesday 31 December 2025 (bank holidays are not skipped: local rule).
        ("2025-26 Q3", 20, date(2026, 1, 28)),
        # 2024-25 Q4 ends Monday 31 March 2025: one working day -> Tuesday 1 April; five -> Monday 7 April.
        ("2024-25 Q4", 1, date(2025, 4, 1)),
        ("2024-25 Q4", 5, date(2025, 4, 7)),
    ],
)
def test_due_dates_count_working_days(code, working_days, due):
    assert periods.due_date(parse_period(code), working_days) == due


def test_add_working_days_skips_weekends():
    friday = date(2026, 11, 20)
    assert periods.add_working_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert periods.add_working_days(friday, 0) == friday
    saturday = date(2026, 11, 21)
    assert periods.add_working_days(saturday, 1) == date(2026, 11, 23)


def test_hcp_today_fixes_the_clock(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")
    assert periods.today() == date(2026, 11, 23)
    assert periods.now().date() == date(2026, 11, 23)
    assert isinstance(periods.now(), datetime)
    assert periods.latest_ended_quarter().code == "2026-27 Q2"
    assert periods.latest_ended_quarter(date(2026, 10, 1)).code == "2026-27 Q2"
    assert periods.latest_ended_quarter(date(2026, 9, 30)).code == "2026-27 Q1"


def test_hcp_today_with_a_time_fixes_the_clock_to_the_minute(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "2026-11-23T10:15")
    assert periods.now() == datetime(2026, 11, 23, 10, 15)
    assert periods.today() == date(2026, 11, 23)
    monkeypatch.setenv("HCP_TODAY", "2026-11-23")  # a date alone: the time of day runs
    assert periods.now().date() == date(2026, 11, 23)


def test_without_hcp_today_the_clock_is_real(monkeypatch):
    monkeypatch.delenv("HCP_TODAY", raising=False)
    assert periods.today() == date.today()
    monkeypatch.setenv("HCP_TODAY", "  ")
    assert periods.today() == date.today()


def test_a_bad_hcp_today_says_how_to_write_it(monkeypatch):
    monkeypatch.setenv("HCP_TODAY", "23/11/2026")
    with pytest.raises(
        PeriodError,
        match=r"^HCP_TODAY='23/11/2026' is not a date: write it as YYYY-MM-DD \(or YYYY-MM-DDTHH:MM to fix the time too\)$",
    ):
        periods.today()
