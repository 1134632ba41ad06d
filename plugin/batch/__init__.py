"""Batches: many covers from a manifest, concurrent, resumable, never paid twice.

:mod:`.manifest` reads rows, :mod:`.checks` validates every row before anything is sent,
:mod:`.identity` and :mod:`.plan` decide from the journal what each row does, :mod:`.runner`
drives the jobs on an executor (:mod:`.executors`: threads here; :mod:`.dask_executor`: a Dask
cluster) within ``--max-cost`` (:mod:`.budget`), and :mod:`.report` writes the receipt.
:func:`~.api.cover_batch` is the Python face, ``minimax-cover batch`` the command.
"""
