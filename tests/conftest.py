"""Shared pytest setup for the symlens unit tests."""

import os

import pytest
import torch

# symlens.io records the git commit with `git rev-parse` / `git status`; in tests these must
# not take git's optional index lock (other processes may be committing in this checkout).
os.environ.setdefault("GIT_OPTIONAL_LOCKS", "0")


@pytest.fixture(autouse=True)
def _flush_denormals():
    """The mixture densities underflow into denormals, which are 5-20x slower on a CPU."""
    torch.set_flush_denormal(True)
    yield
