"""HTTP plumbing shared by every backend: sessions, retry policy, timeouts with a total deadline
and a minimum rate, bounded streaming of answers (JSON) and downloads."""
