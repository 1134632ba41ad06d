"""The task journal (SQLite): every submitted task, so a paid result is never lost."""
