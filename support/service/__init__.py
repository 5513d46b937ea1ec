"""Support services (no Flask): tickets, queues, calls, swaps, the knowledge base, canned responses, figures."""
