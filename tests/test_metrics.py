"""`GET /metrics`: Prometheus text a real parser reads, with numbers that move as events flow."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sync_support import auth, future_weekday, recv, settings

from chatbot.config import REPO_ROOT
from sync.app import create_app

CONTRACT = {
    "sync_events",
    "sync_event_lag_seconds",
    "ws_clients",
    "webhook_deliveries",
    "webhook_backlog",
    "bookings",
    "http_request_duration_seconds",
}


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def _scrape(client: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await client.get("/metrics", headers=headers if headers is not None else auth("admin"))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(await resp.text())}
    return families


def _value(families: dict[str, Any], sample_name: str, **labels: str) -> float:
    name = sample_name.removesuffix("_total").removesuffix("_count").removesuffix("_sum")
    for sample in families[name].samples:
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    return 0.0


async def test_contract_names_and_types(client: Any) -> None:
    families = await _scrape(client)
    assert set(families) >= CONTRACT
    assert families["sync_event_lag_seconds"].type == "histogram"
    assert families["http_request_duration_seconds"].type == "histogram"
    assert families["sync_events"].type == "counter"
    assert families["ws_clients"].type == "gauge"
    assert families["webhook_backlog"].type == "gauge"


async def test_metrics_need_an_admin_token_unless_public(
    client: Any, seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
    for role, ident in (("patient", 1), ("dentist", 1), ("chatbot", 1)):
        resp = await client.get("/metrics", headers=auth(role, ident))
        assert resp.status == 403
        assert (await resp.json())["error"] == "forbidden"
    public = await aiohttp_client(
        create_app(settings(metrics_public=True), engine=seeded_engine, db_url=db_url)
    )
    assert "sync_events" in await _scrape(public, headers={})


async def test_lag_histogram_and_counters_move_when_events_flow(client: Any) -> None:
    ws = await client.ws_connect("/ws", headers=auth("admin"))
    await recv(ws)  # snapshot
    before = await _scrape(client)
    assert _value(before, "ws_clients", role="admin") == 1
    lag_before = _value(before, "sync_event_lag_seconds_count", channel="ws")

    starts = future_weekday(4, 10)
    body = {"dentist_id": 1, "treatment": "checkup", "starts_at": starts.isoformat()}
    created = await client.post("/api/appointments", json=body, headers=auth("patient", 1))
    assert created.status == 201
    taken = await client.post("/api/appointments", json=body, headers=auth("patient", 2))
    assert taken.status == 409
    assert (await recv(ws))["type"] == "appointment.created"

    after = await _scrape(client)
    assert _value(after, "sync_event_lag_seconds_count", channel="ws") == lag_before + 1
    assert _value(after, "sync_event_lag_seconds_sum", channel="ws") >= 0
    assert _value(after, "sync_events_total", type="appointment.created") == 1
    assert _value(after, "bookings_total", outcome="booked") == 1
    assert _value(after, "bookings_total", outcome="conflict") == 1
    route = {"method": "POST", "route": "/api/appointments"}
    assert _value(after, "http_request_duration_seconds_count", status="201", **route) == 1
    assert _value(after, "http_request_duration_seconds_count", status="409", **route) == 1
    stats = await (await client.get("/api/realtime/stats", headers=auth("admin"))).json()
    assert stats["counters"]["bookings"] == {"booked": 1.0, "conflict": 1.0}  # the same numbers
    assert stats["counters"]["sync_events"]["appointment.created"] == 1.0
    await ws.close()


async def test_grafana_dashboard_queries_only_exposed_metrics(client: Any) -> None:
    """The shipped dashboard must not chart a metric the app does not expose."""
    dashboard = json.loads((REPO_ROOT / "docs" / "ops" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for expr in exprs
        for name in re.findall(r"\b([a-z_]+)(?:\{|\[|\))", re.sub(r"by \([^)]*\)", "", expr))
        if name not in {"rate", "increase", "sum", "max", "by", "histogram_quantile"}
    }
    exposed = set(await _scrape(client))
    assert used and used <= exposed, used - exposed
    assert used >= CONTRACT
