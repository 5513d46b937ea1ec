"""Every model module, imported once so Base.metadata is complete (Alembic and tests use it)."""

from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import LoginAttempt, User, UserSession
from servicecenter.citizens.models import Citizen, ContactPerson
from servicecenter.courses.models import Course, CourseEvent, Handover, Programme
from servicecenter.db import Base
from servicecenter.idempotency import IdempotencyKey
from servicecenter.jobs import JobRun
from servicecenter.organisations.models import Cluster, Organisation
from servicecenter.outbox.models import OutboxMessage
from servicecenter.queue import QueuedJob
from servicecenter.ratelimit import RateLimitHit
from servicecenter.training.models import StaffCompetence, TrainingRecord

__all__ = ["AuditEvent", "Base", "Citizen", "Cluster", "ContactPerson", "Course", "CourseEvent", "Handover",
           "IdempotencyKey", "JobRun", "LoginAttempt", "Organisation", "OutboxMessage", "Programme", "QueuedJob",
           "RateLimitHit", "StaffCompetence", "TrainingRecord", "User", "UserSession"]
