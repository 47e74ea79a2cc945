"""Browser tests of the CS tool page (headless Chromium against the real app and database)."""
