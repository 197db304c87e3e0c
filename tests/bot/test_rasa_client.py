"""The bot's Rasa client over several Rasa servers (RASA_URL comma-separated): round robin,
a message retried on another server when the first cannot have answered it, and a server that
failed taken back once its health probe answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from bot.rasa_client import RasaClient, RasaReply, RasaUnavailable, rasa_urls
from scripts.stack import free_port
from trust import verify

SECRET = "client-test-secret"
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeRasa:
    """A REST webhook that answers with ``answer`` and counts what it was sent."""

    name: str
    answer: Answer | None = None
    bodies: list[dict[str, object]] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        if self.answer is not None:
            return await self.answer(request)
        return web.json_response([{"text": f"{self.name}: {body['message']}"}])

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa")


@asynccontextmanager
async def serving(rasa: FakeRasa, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``rasa`` on 127.0.0.1 (``port`` or a free one) for the ``async with`` block."""
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    app.router.add_get("/", rasa.root)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port or free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def client_over(
    *servers: FakeRasa | str, timeout: float = 5, probe: float = 60, pause: float = 0.0
) -> AsyncIterator[RasaClient]:
    """A started client over ``servers`` (each served for the block, or a URL as given)."""
    async with AsyncExitStack() as stack:
        urls = [
            server if isinstance(server, str) else await stack.enter_async_context(serving(server))
            for server in servers
        ]
        client = RasaClient(
            ",".join(urls),
            timeout=timeout,
            secret=SECRET,
            probe_every=probe,
            cut_off_pause=pause,
        )
        await client.start()
        stack.push_async_callback(client.close)
        yield client


def texts(replies: list[RasaReply]) -> list[str]:
    return [reply.text for reply in replies]


def test_rasa_url_may_list_several_servers() -> None:
    assert rasa_urls("http://a:5005/, http://b:5005") == ["http://a:5005", "http://b:5005"]
    assert rasa_urls("http://a:5005") == ["http://a:5005"]
    with pytest.raises(ValueError):
        rasa_urls(" , ")


async def test_messages_take_the_servers_in_turn() -> None:
    one, two = FakeRasa("one"), FakeRasa("two")
    async with client_over(one, two) as client:
        answers = [texts(await client.send("7", f"m{i}", {"update_id": i})) for i in range(4)]
    assert answers == [["one: m0"], ["two: m1"], ["one: m2"], ["two: m3"]]


async def test_a_server_that_is_gone_costs_nothing_but_a_retry_on_the_other() -> None:
    alive = FakeRasa("alive")
    dead = f"http://127.0.0.1:{free_port()}"
    async with client_over(dead, alive) as client:
        answers = [texts(await client.send("7", f"m{i}", {"update_id": i})) for i in range(3)]
    assert answers == [["alive: m0"], ["alive: m1"], ["alive: m2"]]
    assert len(alive.bodies) == 3


async def _bad_gateway(request: web.Request) -> web.Response:
    return web.json_response({"error": "no server"}, status=503)


async def _silence(request: web.Request) -> web.Response:
    return web.json_response([])


async def _cut_off(request: web.Request) -> web.StreamResponse:
    """The server dies mid-turn: the connection closes with no answer."""
    assert request.transport is not None
    request.transport.close()
    return web.Response()


@pytest.mark.parametrize("failure", [_bad_gateway, _silence, _cut_off])
async def test_a_message_the_first_server_failed_is_answered_once_by_the_other(
    failure: Answer,
) -> None:
    failing, healthy = FakeRasa("failing", answer=failure), FakeRasa("healthy")
    async with client_over(failing, healthy) as client:
        replies = await client.send("7", "白沙多少钱", {"update_id": 41})
    assert texts(replies) == ["healthy: 白沙多少钱"]
    assert (len(failing.bodies), len(healthy.bodies)) == (1, 1)
    # Each attempt carries a valid signature of its own (a retry is not a replay).
    for body in (*failing.bodies, *healthy.bodies):
        metadata = body["metadata"]
        assert isinstance(metadata, dict)
        assert verify(SECRET, metadata, sender="7", text="白沙多少钱").ok


async def _unauthorized(request: web.Request) -> web.Response:
    return web.json_response({"error": "bad signature"}, status=401)


async def test_an_answer_every_server_would_give_is_not_retried() -> None:
    refusing, other = FakeRasa("refusing", answer=_unauthorized), FakeRasa("other")
    async with client_over(refusing, other) as client:
        with pytest.raises(RasaUnavailable, match="401"):
            await client.send("7", "你好", {"update_id": 1})
    assert other.bodies == []


async def test_when_every_server_fails_the_caller_hears_rasa_is_unavailable() -> None:
    silent = FakeRasa("silent", answer=_silence)
    dead = f"http://127.0.0.1:{free_port()}"
    async with client_over(silent, dead) as client:
        with pytest.raises(RasaUnavailable):
            await client.send("7", "你好", {"update_id": 1})
        assert await client.healthy()


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.json_response([{"text": "too late"}])


async def test_all_attempts_share_one_timeout() -> None:
    slow, other = FakeRasa("slow", answer=_slow), FakeRasa("other")
    async with client_over(slow, other, timeout=0.5) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(RasaUnavailable):
            await client.send("7", "你好", {"update_id": 1})
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 1.5
    assert other.bodies == []


async def test_a_restarted_server_takes_traffic_again_once_its_probe_answers() -> None:
    steady, returning = FakeRasa("steady"), FakeRasa("returning")
    port = free_port()
    async with client_over(f"http://127.0.0.1:{port}", steady, probe=0.1) as client:
        await client.send("7", "m0", {"update_id": 0})  # finds the first server gone
        assert [r.up for r in client.replicas] == [False, True]
        async with serving(returning, port):
            await asyncio.sleep(0.5)
            assert [r.up for r in client.replicas] == [True, True]
            for i in (1, 2):
                await client.send("7", f"m{i}", {"update_id": i})
    assert (len(returning.bodies), len(steady.bodies)) == (1, 2)


async def test_a_turn_cut_off_mid_way_is_sent_again_only_after_a_pause() -> None:
    """The dead server's lock ticket must expire well before the retry's (Rasa 3.6 lock trap)."""
    cut, healthy = FakeRasa("cut", answer=_cut_off), FakeRasa("healthy")
    async with client_over(cut, healthy, pause=0.4) as client:
        started = asyncio.get_running_loop().time()
        replies = await client.send("7", "确认", {"update_id": 5})
        elapsed = asyncio.get_running_loop().time() - started
    assert texts(replies) == ["healthy: 确认"]
    assert elapsed >= 0.4


async def test_a_refused_connection_is_tried_elsewhere_at_once() -> None:
    healthy = FakeRasa("healthy")
    async with client_over(f"http://127.0.0.1:{free_port()}", healthy, pause=5) as client:
        started = asyncio.get_running_loop().time()
        await client.send("7", "你好", {"update_id": 6})
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 1


async def test_a_single_server_cut_off_mid_turn_is_reported_without_the_pause() -> None:
    """The pause only spaces a retry on another server; with none left it would only delay
    the "backend down" notice (and the retry job) by that much."""
    cut = FakeRasa("cut", answer=_cut_off)
    async with client_over(cut, pause=5) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(RasaUnavailable):
            await client.send("7", "确认", {"update_id": 8})
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 1
