"""Every tunable default of the client, in one short module (units in the names)."""

from __future__ import annotations

#: Runware's REST endpoint; ``RUNWARE_API_URL`` overrides it.
RUNWARE_API_URL = "https://api.runware.ai/v1"
#: MiniMax's platform API; ``MINIMAX_API_URL`` overrides it.
MINIMAX_API_URL = "https://api.minimax.io"

API_KEY_ENV = "RUNWARE_API_KEY"
API_URL_ENV = "RUNWARE_API_URL"
MINIMAX_API_KEY_ENV = "MINIMAX_API_KEY"
MINIMAX_API_URL_ENV = "MINIMAX_API_URL"
#: Overrides the user config dir (where ``config.json`` with ``runware_api_key`` may live).
CONFIG_DIR_ENV = "MINIMAX_COVER_CONFIG_DIR"
#: Overrides the user data dir (task journal, downloads cache).
DATA_DIR_ENV = "MINIMAX_COVER_DATA_DIR"

#: (connect, read) timeouts in seconds for ordinary calls (async submits, polls, uploads).
DEFAULT_TIMEOUT_S = (10.0, 60.0)
#: Read timeout for a ``sync`` submit, which holds the request open for the whole generation.
SYNC_READ_TIMEOUT_S = 900.0
#: Retries for retryable failures (429, 5xx on reads, connection errors before sending).
DEFAULT_MAX_RETRIES = 4
RETRY_BASE_DELAY_S = 1.0
RETRY_MAX_DELAY_S = 30.0
#: A Retry-After above this is not waited for: the error is raised instead.
MAX_RETRY_AFTER_S = 120.0

#: getResponse polling of uploads: first interval, growth factor, cap, and the overall deadline.
#: Tasks are collected by the process's collector (:mod:`.runware.collector`): its first poll
#: comes POLL_INITIAL_INTERVAL_S after the submit's answer; no gap exceeds POLL_MAX_INTERVAL_S.
POLL_INITIAL_INTERVAL_S = 1.0
POLL_BACKOFF_FACTOR = 1.5
POLL_MAX_INTERVAL_S = 2.0
POLL_DEADLINE_S = 1200.0
#: The collector's pace: once a second while nothing tells when a task ends; every
#: COLLECT_NEAR_GAP_S around its expected end (COLLECT_OVERDUE_POLLS times past it); never two
#: POSTs of one endpoint closer than COLLECT_MIN_GAP_S; COLLECT_LEAD_S after the expected end.
COLLECT_IDLE_GAP_S = 1.0
COLLECT_NEAR_GAP_S = 0.3
COLLECT_MIN_GAP_S = 0.2
COLLECT_LEAD_S = 0.05
COLLECT_OVERDUE_POLLS = 4
#: Sleeps are cut into slices of at most this, so interrupts are seen within a second.
SLEEP_SLICE_S = 0.5

#: Largest result file accepted from a URL (a 6-minute WAV at 48 kHz stereo is ~70 MB); inline
#: (base64, data URI) results are decoded with the same cap.
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
DOWNLOAD_CHUNK_BYTES = 256 * 1024

#: Whole-exchange deadline (connect, send, wait, read the answer) of a call or one result
#: download; a ``sync`` submit adds its read timeout to it. A slow trickle cannot hold a call.
EXCHANGE_DEADLINE_S = 600.0
#: An answer or download averaging fewer bytes per second than this, measured once it has
#: run RATE_WINDOW_S, is abandoned.
MIN_TRANSFER_RATE_BPS = 4096.0
RATE_WINDOW_S = 10.0
#: Largest API answer read, its long strings (inline audio) excepted: those are spooled to a
#: temporary file, each capped like a download, never held in memory.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: Strings of an API answer longer than this go to a temporary file (``SpooledText``).
SPOOL_TEXT_BYTES = 256 * 1024
#: JSON nested deeper than this is not an answer of the protocol.
MAX_ANSWER_DEPTH = 64

#: Unknown-outcome recovery: getResponse answers that do not know the task before giving up.
RECOVERY_MAX_MISSES = 3
#: mediaStorage uploads answered without a mediaUUID are polled (getResponse) this long at most.
UPLOAD_POLL_DEADLINE_S = 200.0
#: Further attempts at a result download after a dropped or truncated transfer or a 5xx.
DOWNLOAD_RETRIES = 1

#: MiniMax platform: the model of both cover calls (``music-cover-free`` is the free tier).
MINIMAX_COVER_MODEL = "music-cover"
#: (connect, read) timeouts of MiniMax's preprocess call and of a (synchronous) generation.
MINIMAX_PREPROCESS_TIMEOUT_S = (10.0, 180.0)
MINIMAX_GENERATION_TIMEOUT_S = (10.0, 600.0)
