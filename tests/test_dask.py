"""Ensembles on a Dask cluster: identical results, and a worker lost mid-batch costs nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import xarray as xr
from distributed import Client, LocalCluster

import sd_model

from .test_batch import lhs

pytestmark = pytest.mark.slow


@pytest.fixture
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_local_cluster_gives_identical_results(client):
    samples = lhs(3000, seed=11)
    local = sd_model.run_batch(samples)
    distributed = sd_model.run_batch(samples, client=client, chunk_size=500)
    xr.testing.assert_identical(local, distributed)


def test_killed_worker_mid_batch_still_complete_and_correct(client):
    samples = lhs(60_000, seed=12)
    local = sd_model.run_batch(samples, chunk_size=2000)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = {}

    def finished_chunks(dask_scheduler) -> int:
        return sum(task.state == "memory" for task in dask_scheduler.tasks.values())

    def kill_once_under_way():
        deadline = time.monotonic() + 120
        while client.run_on_scheduler(finished_chunks) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        killed["chunks done"] = client.run_on_scheduler(finished_chunks)
        os.kill(victim, signal.SIGKILL)
        killed["at"] = time.monotonic()

    killer = threading.Thread(target=kill_once_under_way)
    killer.start()
    distributed = sd_model.run_batch(samples, client=client, chunk_size=2000)
    finished = time.monotonic()
    killer.join()
    assert "at" in killed and killed["at"] < finished, "the worker must die while the batch runs"
    assert 1 <= killed["chunks done"] < 30, killed
    assert victim not in client.run(os.getpid).values()
    xr.testing.assert_identical(local, distributed)


def test_sensitivity_on_the_cluster_matches_local(client):
    import sensitivity

    options = dict(params="levers", outputs=["employment_rate"], years="2025", n=8, seed=4, progress=False)
    local = sensitivity.morris(**options)
    remote = sensitivity.morris(client=client, **options)
    xr.testing.assert_identical(local.drop_attrs(), remote.drop_attrs())
