"""Organisations (region, municipalities, hospitals, GP clinics, contractor) and hospital clusters."""
