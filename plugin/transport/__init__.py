"""HTTP plumbing shared by every backend: sessions, retry policy, bounded downloads."""
