"""Support: the helpdesk ticket queue, SLA, queue views and the knowledge base."""
