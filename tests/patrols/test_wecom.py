"""WeCom group robots, against a local HTTP server standing in for WeCom's webhook: one
post per event (a new urgent hazard, its clearing), a 500 retried, no duplicate after a
job runs again."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from houhu.outbox.models import Job
from patrols.models import GridRobot, WecomPost, validate_wecom_webhook
from patrols.services import Step, report_transition
from tests.conftest import run_outbox
from tests.patrols.factories import build_grid, image_file, submit, transition, tree_data

pytestmark = pytest.mark.django_db


class FakeWecom:
    """A webhook that records each request body and answers the queued statuses (then 200)."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.statuses: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.bodies.append(body)
                status = fake.statuses.pop(0) if fake.statuses else 200
                answer = {"errcode": 0, "errmsg": "ok"} if status == 200 else {"errcode": -1}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def texts(self) -> list[str]:
        return [b["text"]["content"] for b in self.bodies]


@pytest.fixture
def wecom(settings):
    settings.PATROLS_WECOM_URL_PREFIXES = ["http://127.0.0.1:"]
    settings.HOUHU_SITE_URL = "https://ledger.example"
    fake = FakeWecom()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _grid_with_robot(url):
    g = build_grid()
    GridRobot.objects.create(district=g.district, webhook_url=url)
    return g


def test_an_urgent_hazard_and_its_clearing_are_posted_once_each_in_chinese(wecom):
    g = _grid_with_robot(wecom.url)
    # 3 m from the 10 kV line: inside its protection zone, so urgent.
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    assert report.in_zone
    assert wecom.bodies == []  # nothing before the commit: an outbox job
    run_outbox()
    assert len(wecom.bodies) == 1
    assert wecom.bodies[0]["msgtype"] == "text"
    text = wecom.texts[0]
    assert "树障" in text and g.district.name in text
    assert f"https://ledger.example/patrols/workspace/#report={report.pk}" in text

    transition(report=report, action="confirm", by=g.staff)
    run_outbox()
    assert len(wecom.bodies) == 1  # a confirmation is not announced
    report_transition(
        report=report,
        step=Step(action="clear", cleared_by="self", trees_removed=2, photos=(image_file(),)),
        by=g.staff,
    )
    run_outbox()
    assert len(wecom.bodies) == 2
    assert "已清除" in wecom.texts[1]
    assert WecomPost.objects.filter(posted_at__isnull=False).count() == 2


def test_a_500_is_retried_and_a_job_run_again_posts_nothing_more(wecom):
    g = _grid_with_robot(wecom.url)
    wecom.statuses = [500]
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    run_outbox()  # the post fails
    job = Job.objects.get(name="patrols.wecom_post")
    assert job.attempts == 1 and "500" in job.last_error
    assert job.run_after > timezone.now()  # backing off, not hammering WeCom
    assert WecomPost.objects.get().posted_at is None
    assert run_outbox() == 0  # not due yet

    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())  # the backoff has passed
    run_outbox()  # the retry
    assert len(wecom.bodies) == 2  # the refused attempt and the one that went through
    assert WecomPost.objects.get().posted_at is not None
    assert not Job.objects.filter(name="patrols.wecom_post").exists()

    # A worker retry of the same post (an old message redelivered): nothing posted again.
    from houhu.outbox.services import defer

    defer("patrols.wecom_post", payload={"post_id": WecomPost.objects.get().pk})
    run_outbox()
    assert len(wecom.bodies) == 2


def test_outside_the_zone_or_without_a_robot_nothing_is_posted(wecom):
    g = _grid_with_robot(wecom.url)
    far = tree_data(dy=560)  # 60 m from the line: outside the zone, not urgent
    report, _ = submit(reporter=g.villager, client_id=uuid.uuid4(), data=far)
    assert not report.in_zone
    GridRobot.objects.all().delete()
    submit(reporter=g.villager, client_id=uuid.uuid4(), data=tree_data())
    run_outbox()
    assert wecom.bodies == [] and not WecomPost.objects.exists()


def test_a_webhook_address_outside_wecom_is_refused(settings):
    validate_wecom_webhook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    for url in ("http://10.0.0.5/hook", "https://qyapi.weixin.qq.com.evil.cn/x", "file:///etc"):
        with pytest.raises(ValidationError):
            validate_wecom_webhook(url)
