"""Article pages parsed, cleaned and normalized in other processes, leaving the crawl's to Scrapy.

A Scrapy crawl is one thread: every millisecond spent parsing a page is a millisecond the engine
does not download, schedule or export. Parsing, cleaning and normalizing an article page costs
about as much CPU as Scrapy's own handling of it, so a crawl that is not held back by politeness
(a backfill, a fast portal) runs at half of Scrapy's speed on one core while the other cores idle.

With ``NEWSSPIDER_EXTRACTION_PROCESSES = N`` (N > 0) the portal spider sends each article page's
bytes to one of N worker processes and awaits its finished record
(:func:`newsspider.extraction.finished_article`). The clean and normalize pipelines then have
nothing left to do and are not enabled; validation, dedupe, the feed and the database stay in
the crawl process, so what reaches them does not change.

A worker is ``python -m newsspider.extraction_pool`` talking length-prefixed pickles over its
stdin and stdout, read and written by the crawl's event loop (asyncio streams). That costs the
crawl process ~0.15 ms per page, where ``concurrent.futures`` cost ~0.45 ms in the GIL hand-offs
of its two helper threads (Scrapy itself spends ~2.6 ms on a page). A worker that dies (killed,
out of memory, a crash in a C library) or holds a page longer than ``PAGE_TIMEOUT`` (a page that
sends lxml or a regex into a near-endless loop) is killed and replaced, and the pages it held are
tried once more; a page that takes two workers down is left out, with its reason in the crawl's
failures file, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pickle
import signal
import struct
import sys
import traceback
from collections import deque
from logging import getLogger
from typing import IO, Any

from scrapy.settings import BaseSettings

from newsspider.extraction import PageContext, finished_article
from newsspider.items import Article
from newsspider.pipelines import EXTRACTION_PROCESSES as SETTING

__all__ = ["ExtractionFailed", "ExtractionPool", "extraction_processes"]

logger = getLogger(__name__)
_LENGTH = struct.Struct("<Q")
_PIPE_SIZE = 1 << 20  # Linux's default fs.pipe-max-size
_ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PAGE_TIMEOUT = 60.0  # seconds a page may spend in a worker, its wait behind the pages before it included


class ExtractionFailed(RuntimeError):
    """A page could not be extracted: it took two workers down, or raised what cannot be pickled."""


class _WorkerDied(Exception):
    """The worker holding a page exited before answering."""


def extraction_processes(settings: BaseSettings) -> int:
    """Return how many extraction processes the settings ask for; raise ValueError when they cannot work."""
    value = settings.get(SETTING) or 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"{SETTING} must be a whole number, 0 (pages parsed in the crawl process) or more")
    if count and settings.get("TWISTED_REACTOR") not in (None, _ASYNCIO_REACTOR):
        raise ValueError(f"{SETTING} needs Scrapy's asyncio reactor (TWISTED_REACTOR={_ASYNCIO_REACTOR})")
    return count


class ExtractionPool:
    """Worker processes that turn article pages into finished records, started when first needed."""

    def __init__(self, processes: int, *, page_timeout: float = PAGE_TIMEOUT) -> None:
        self.processes, self.page_timeout = processes, page_timeout
        self.restarts = 0  # workers started again after one died
        self._workers: list[_Worker] = []
        self._starting = asyncio.Lock()  # pages arriving together start the workers once

    async def article(self, body: bytes, url: str, declared_encoding: str, context: PageContext) -> Article:
        """Return the finished article of a page; raise NotAnArticle as ``finished_article`` does."""
        job = pickle.dumps((body, url, declared_encoding, context), protocol=pickle.HIGHEST_PROTOCOL)
        for attempt in (1, 2):
            worker = await self._least_busy()
            try:
                return await worker.run(job, self.page_timeout)
            except _WorkerDied:
                logger.error("an extraction process died holding %s (attempt %d of 2)", url, attempt)
        raise ExtractionFailed(f"{url} took two extraction processes down; left out")

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers started and not known dead."""
        return [worker.process.pid for worker in self._workers if worker.alive]

    async def close(self) -> None:
        """Stop the workers: each leaves when its stdin closes, after the pages it holds."""
        workers, self._workers = self._workers, []
        await asyncio.gather(*(worker.stop(self.page_timeout) for worker in workers))

    async def _least_busy(self) -> _Worker:
        """Return the worker with the fewest pages, replacing dead workers and starting missing ones."""
        if len(self._workers) < self.processes or not all(worker.alive for worker in self._workers):
            async with self._starting:
                alive = [worker for worker in self._workers if worker.alive]
                self.restarts += len(self._workers) - len(alive)
                while len(alive) < self.processes:
                    alive.append(await _Worker.start())
                self._workers = alive
        return min(self._workers, key=lambda worker: len(worker.waiting))


class _Worker:
    """One worker process and the pages it holds, answered in the order they were sent."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: deque[asyncio.Future[Article]] = deque()
        self.alive = True
        self._reader = asyncio.ensure_future(self._read_answers())

    @classmethod
    async def start(cls) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        return cls(process)

    async def run(self, job: bytes, timeout: float) -> Article:
        if not self.alive:
            raise _WorkerDied
        assert self.process.stdin is not None
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append(answer)
        self.process.stdin.write(_LENGTH.pack(len(job)) + job)
        with contextlib.suppress(ConnectionError):  # it died: the reader fails every page it held
            await self.process.stdin.drain()  # waits only while the worker is behind
        try:
            return await asyncio.wait_for(asyncio.shield(answer), timeout)
        except TimeoutError:
            logger.error("an extraction process held a page %.0f s; stopping it", timeout)
            self._kill()
            return await answer  # the reader fails it, and every page the worker held

    async def stop(self, timeout: float) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self._kill()
            await self.process.wait()
        await self._reader

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
            self.process.kill()

    async def _read_answers(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                (length,) = _LENGTH.unpack(await self.process.stdout.readexactly(_LENGTH.size))
                ok, value = pickle.loads(await self.process.stdout.readexactly(length))
                answer = self.waiting.popleft()
                if answer.cancelled():  # the crawl stopped waiting for this page
                    continue
                if ok:
                    answer.set_result(value)
                else:
                    answer.set_exception(value)
        except asyncio.IncompleteReadError:  # the worker exited: it was stopped, or it died
            self.alive = False
            while self.waiting:
                if not (answer := self.waiting.popleft()).cancelled():
                    answer.set_exception(_WorkerDied())


def _widen(pipe: IO[bytes]) -> None:
    """Let a pipe hold whole pages (Linux), so that one goes in one write, not in 64 KB pieces
    each waking the event loop."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or above fs.pipe-max-size
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer pages until ``requests`` ends: the worker side of :class:`ExtractionPool`."""
    while header := requests.read(_LENGTH.size):
        (length,) = _LENGTH.unpack(header)
        body, url, declared_encoding, context = pickle.loads(requests.read(length))
        try:
            answer: tuple[bool, Any] = (True, finished_article(body, url, declared_encoding, context))
        except Exception as error:  # the crawl process decides what it means
            answer = (False, error)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that cannot cross: its traceback does
            data = pickle.dumps((False, ExtractionFailed(f"{url}: {traceback.format_exc()}")))
        answers.write(_LENGTH.pack(len(data)) + data)
        answers.flush()


def _main() -> None:
    """Run as a worker: Ctrl-C is the crawl process's to handle, and stdout is the answer channel
    alone (anything printed goes to stderr, where the crawl's log is)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for pipe in (sys.stdin.buffer, answers):
        _widen(pipe)
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    _main()
