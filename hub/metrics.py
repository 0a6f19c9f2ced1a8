"""Prometheus metrics of the hub, in the default registry (served at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "storepulse_hub_events_total",
    "Events seen by ingest, by outcome (committed, duplicate, dead_lettered).",
    ["outcome"],
)
DEAD_LETTERS = Counter(
    "storepulse_hub_dead_letters_total",
    "Dead-letter records written, by kind (batch, event, conflict, status) and reason.",
    ["kind", "reason"],
)
DEAD_LETTERS_DROPPED = Counter(
    "storepulse_hub_dead_letters_dropped_total",
    "Dead letters not written: their gateway had used its daily byte cap, by kind.",
    ["kind"],
)
BATCH_SECONDS = Histogram(
    "storepulse_hub_batch_seconds",
    "Time to commit one event batch.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
STATUS_UPDATES = Counter("storepulse_hub_status_updates_total", "Gateway status messages applied.")
CACHE_DELTAS = Counter("storepulse_hub_cache_deltas_total", "Cache deltas published to stores.")
STAFF_UNKNOWN = Counter(
    "storepulse_hub_staff_unknown_total",
    "Projected events whose till staff_id names no staff record: kept as sent and flagged "
    "(staff_unknown), resolved when a staff member gets that code.",
)
IDENTITY_RACES = Counter(
    "storepulse_hub_identity_races_total",
    "Batches that lost an identifier to a concurrent worker and resolved again.",
)
STREAM_EVENTS = Counter(
    "storepulse_hub_stream_events_total",
    "Committed events a stream consumer took, by outcome (applied, dead_lettered).",
    ["consumer", "outcome"],
)
STREAM_ROUND_SECONDS = Histogram(
    "storepulse_hub_stream_round_seconds",
    "Time of one round of a stream consumer (up to max_events events, one transaction).",
    ["consumer"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STREAM_LAG_EVENTS = Gauge(
    "storepulse_hub_stream_lag_events",
    "Committed (acked) events a stream consumer has not applied yet.",
    ["consumer"],
)
STREAM_LAG_SECONDS = Gauge(
    "storepulse_hub_stream_lag_seconds",
    "Age of the oldest committed event a stream consumer has not applied yet.",
    ["consumer"],
)
STREAM_FAILURES = Counter(
    "storepulse_hub_stream_failures_total",
    "Rounds of a stream consumer that failed (storage or otherwise) and were retried.",
    ["consumer"],
)
ROLLUP_DAYS_REFRESHED = Counter(
    "storepulse_hub_rollup_days_refreshed_total",
    "Days of events_daily refreshed because late events touched them (TimescaleDB).",
)
TIMESCALE_JOB_FAILURES = Gauge(
    "storepulse_hub_timescale_job_failures",
    "Failed runs of a TimescaleDB background job, as job_stats counts them (read at scrape).",
    ["job"],
)
TIMESCALE_JOB_FAILING = Gauge(
    "storepulse_hub_timescale_job_failing",
    "1 while a TimescaleDB background job's last run failed (read at scrape).",
    ["job"],
)
CACHE_SNAPSHOT_REQUESTS = Counter(
    "storepulse_hub_cache_snapshot_requests_total",
    "Statuses asking for a cache snapshot, by what came of them: served, current (the "
    "gateway was not stale by then), coalesced (a request of that gateway already waited).",
    ["outcome"],
)
CACHE_SNAPSHOTS = Counter(
    "storepulse_hub_cache_snapshots_total",
    "Cache snapshots, by outcome (sent: every part taken by the broker; failed).",
    ["outcome"],
)
CACHE_SNAPSHOT_PARTS = Counter(
    "storepulse_hub_cache_snapshot_parts_total", "Parts of the cache snapshots sent."
)
CACHE_SNAPSHOT_SECONDS = Histogram(
    "storepulse_hub_cache_snapshot_seconds",
    "Time to read a cache snapshot and hand all its parts to the broker.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60),
)
MQTT_CONNECTED = Gauge(
    "storepulse_hub_mqtt_connected", "1 while the hub's MQTT link (this process) is up."
)
MQTT_DISCONNECTS = Counter(
    "storepulse_hub_mqtt_disconnects_total", "Times a hub MQTT link went down."
)
MQTT_OVERSIZE = Counter(
    "storepulse_hub_mqtt_oversize_refused_total",
    "Messages the hub did not publish: larger than the link's max message size.",
    ["channel"],
)
