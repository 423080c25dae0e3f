"""The book's benchmarks (speed and accuracy tables). Run one as ``python benchmarks/NAME.py``
or ``python -m benchmarks.NAME``; what they share is in :mod:`benchmarks.common`."""
