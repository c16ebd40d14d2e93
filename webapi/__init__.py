"""Rassylka backend: settings, models, message rules, services, the HTTP API and its CLI."""
