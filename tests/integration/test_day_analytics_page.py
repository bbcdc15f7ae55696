"""The analytics page from a day's real payments in moto's table: created ones read through the
due index (open), their creation-day entries (GSI2: closed, failed) and the paid-day shards
(GSI3: paid), paid ones through the paid-day shards, then the page in the reports bucket."""

from __future__ import annotations

from paymux.services.day_analytics import write_day_analytics
from paymux.store.reports import ReportStore
from tests.integration.conftest import World
from tests.integration.test_reconcile import today
from tests.integration.test_refunds import paid_payment
from tests.unit.test_day_analytics import Tables


def test_the_days_payments_make_the_page(world: World):
    day = today(world)
    paid_payment(world, 1000)
    paid_payment(world, 25_000)
    _, closed = world.create(amount=300)
    assert world.close(closed["id"])[0] == 200
    world.create(amount=700)  # still open

    reports = ReportStore(world.d.s3, world.d.settings.bucket)
    key = write_day_analytics(world.d, reports, day)

    assert key == f"reports/{day}/analytics.html"
    stored = world.d.s3.get_object(Bucket=world.d.settings.bucket, Key=key)
    assert stored["ContentType"] == "text/html; charset=utf-8"
    parsed = Tables()
    parsed.feed(stored["Body"].read().decode())
    assert parsed.tables["success-rate"] == [["wechat.native", "4", "2", "0", "1", "1", "50.0 %"]]
    amounts = {r[0]: r[1:] for r in parsed.tables["amounts"]}
    assert amounts["10.00–50.00"] == ["1", "10.00"] and amounts["100.00–500.00"] == ["1", "250.00"]
    hours = parsed.tables["hours"]
    assert sum(int(r[1]) for r in hours) == 4 and sum(int(r[2]) for r in hours) == 2
