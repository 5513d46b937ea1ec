"""The append-only audit log: every change, and every view or search of citizen data."""
