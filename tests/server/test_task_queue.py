"""A real task queue on mako_numba: huey's Redis storage and its own consumer.

huey keeps its queue in a Redis list (LPUSH to enqueue, BRPOP in its
workers) and its results in a hash (HSET, HGET/HDEL).  Here 3,000 jobs are
enqueued through huey's task decorator and run by huey's consumer with four
worker threads against mako_numba, and every result comes back.

huey's scheduler thread reads scheduled tasks with a Lua script (EVALSHA);
scripting is not in mako_numba yet, so that read fails, huey logs it and goes
on: no task here is scheduled, and the workers do not depend on it.
"""
import logging

import pytest

huey_api = pytest.importorskip("huey")

JOBS = 3000


def test_huey_workers_process_thousands_of_jobs(mako, caplog):
    huey = huey_api.RedisHuey("mako-test", port=mako.port, blocking=True, read_timeout=1)
    huey.flush()

    @huey.task()
    def add(a, b):
        return a + b

    results = [add(i, i) for i in range(JOBS)]
    assert huey.pending_count() == JOBS
    logging.getLogger("huey").setLevel(logging.CRITICAL)      # the scheduler's EVALSHA, above
    consumer = huey.create_consumer(workers=4, worker_type="thread", periodic=False)
    consumer.start()
    try:
        values = [r.get(blocking=True, timeout=60) for r in results]
    finally:
        consumer.stop(graceful=True)
    assert values == [2 * i for i in range(JOBS)]
    assert huey.pending_count() == 0
    assert huey.result_count() == 0         # each result was read once and removed (HGET, HDEL)
