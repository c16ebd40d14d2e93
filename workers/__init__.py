"""Background jobs: scheduling, fan-out, rate-limited sending and reports."""
