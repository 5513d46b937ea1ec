"""Dispatch: visit requests, technicians, planning and routing, route sheets and field execution."""
