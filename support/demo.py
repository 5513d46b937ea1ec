"""Demo support data: the first-line group (round-robin, the helpdesk on duty), canned responses, knowledge-base
articles for the demo device models, and tickets in every state the queue shows. Made through the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import service as inventory
from inventory.models import DeviceCategory, DeviceModel
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen
from servicecenter.courses.models import Course, CourseStatus
from servicecenter.db import local_date
from support.models import Category, Priority, SupportGroup, TicketStatus
from support.service import canned, kb, swaps, tickets

CANNED = [
    ("Genstart tabletten", "Hej {citizen_name}\n\nPrøv at holde tænd/sluk-knappen på {device} inde i 10 sekunder, "
                           "vent et minut og tænd den igen. Ring til os, hvis den stadig ikke virker.\n\n"
                           "Venlig hilsen\nFælles Servicecenter"),
    ("Besøg aftalt", "Hej {citizen_name}\n\nVores tekniker kommer {visit_time} og skifter {device}. "
                     "Du skal ikke gøre noget andet end at være hjemme.\n\nVenlig hilsen\nFælles Servicecenter"),
    ("Venter på svar", "Hej {citizen_name}\n\nVi venter på at høre fra dig, før vi kan gå videre med sagen."),
]
ARTICLES = [
    (DeviceCategory.TABLET, Category.DEVICE_FAULT, "Tabletten starter ikke",
     "1. Sæt opladeren i og vent 15 minutter.\n2. Hold tænd/sluk-knappen inde i 10 sekunder.\n"
     "3. Starter den stadig ikke: bestil et ombytningsbesøg fra sagen.",
     "The tablet does not start",
     "1. Plug in the charger and wait 15 minutes.\n2. Hold the power button for 10 seconds.\n"
     "3. Still dead: escalate the ticket to a swap visit."),
    (DeviceCategory.TABLET, Category.CONNECTIVITY, "Tabletten har ingen forbindelse",
     "Spørg om flytilstand er slået til (flyet øverst på skærmen). Slå den fra. Genstart tabletten. "
     "Hjælper det ikke, tjek SIM-kortets status under Udstyr.",
     "The tablet has no connection",
     "Ask whether airplane mode is on (the plane at the top of the screen). Turn it off. Restart the tablet. "
     "If that does not help, check the SIM card's status under Equipment."),
    (DeviceCategory.PULSE_OXIMETER, Category.MISSING_MEASUREMENTS, "Iltmålingen kommer ikke frem",
     "Fingeren skal være varm og stille. Tabletten skal være tændt og inden for 2 meter. Parring: hold knappen "
     "på måleren inde, til lyset blinker blåt.",
     "The oxygen reading does not arrive",
     "The finger must be warm and still. The tablet must be on and within 2 metres. Pairing: hold the button on "
     "the meter until the light flashes blue."),
    (None, Category.HOW_TO, "Sådan forklarer du en måling i telefonen",
     "Tal langsomt, ét trin ad gangen, og bed borgeren sige, hvad der står på skærmen.",
     "How to talk a citizen through a measurement",
     "Speak slowly, one step at a time, and ask the citizen to read out what the screen says."),
]


def load_support_demo(session: Session, *, now: dt.datetime) -> dict[str, int]:
    if session.scalar(select(SupportGroup.id).limit(1)) is not None:
        return {"tickets": 0}
    helpdesk = session.scalar(select(User).where(User.role == Role.HELPDESK).order_by(User.id))
    coordinator = session.scalar(select(User).where(User.role == Role.COORDINATOR).order_by(User.id))
    if helpdesk is None or coordinator is None:
        return {"tickets": 0}
    group = tickets.save_group(session, None, name="1. linje", round_robin=True,
                               member_ids=[helpdesk.id, coordinator.id], actor=coordinator, now=now)
    tickets.save_group(session, None, name="2. linje (teknik)", round_robin=False, member_ids=[coordinator.id],
                       actor=coordinator, now=now)
    tickets.set_on_duty(session, group_id=group.id, user=helpdesk, on_duty=True, now=now)
    for title, body in CANNED:
        canned.save_canned(session, None, title=title, body=body, actor=coordinator, now=now)
    models = {m.category: m.id for m in session.scalars(select(DeviceModel))}
    for category, ticket_category, title_da, body_da, title_en, body_en in ARTICLES:
        if category is not None and category not in models:
            continue
        kb.save_article(session, None, device_model_id=models.get(category) if category else None,
                        category=ticket_category, title_da=title_da, body_da=body_da, title_en=title_en,
                        body_en=body_en, actor=coordinator, now=now)
    return {"tickets": _tickets(session, group, helpdesk, now)}


def _tickets(session: Session, group: SupportGroup, helpdesk: User, now: dt.datetime) -> int:
    """Tickets for the citizens with equipment at home: one breached (its tablet escalated to a swap visit), one
    breaching soon, one waiting on the customer, one resolved, and one unassigned new call."""
    active = session.scalars(select(Citizen).join(Course, Course.citizen_id == Citizen.id)
                             .where(Course.status == CourseStatus.ACTIVE).order_by(Citizen.id)).all()
    homes = [(c, d) for c in active for d in inventory.devices_in_home(session, citizen_id=c.id)
             if d.category == DeviceCategory.TABLET]
    if not homes:
        return 0
    (first, tablet), last = homes[0], homes[-1]
    plans = [
        (first, tablet, "Tabletten starter ikke", Category.DEVICE_FAULT, Priority.P2, dt.timedelta(hours=30), None),
        (last[0], last[1], "Målingerne kommer ikke frem", Category.MISSING_MEASUREMENTS, Priority.P3,
         dt.timedelta(hours=3, minutes=30), None),
        (first, None, "Datter spørger til besøget", Category.LOGISTICS, Priority.P4, dt.timedelta(hours=5),
         TicketStatus.WAITING_CUSTOMER),
        (last[0], None, "Hvordan vejer jeg mig?", Category.HOW_TO, Priority.P4, dt.timedelta(days=2),
         TicketStatus.RESOLVED),
        (first, None, "Ringer om sin adgangskode", Category.USER_ADMIN, Priority.P3, dt.timedelta(minutes=10),
         None),
    ]
    made = []
    for citizen, device, subject, category, priority, ago, status in plans:
        data = tickets.TicketData(subject=subject, category=category, priority=priority, group_id=group.id,
                                  citizen_id=citizen.id, device_id=device.id if device else None,
                                  requester_name=citizen.full_name, body=f"{subject}. Ringede selv.")
        ticket = tickets.create_ticket(session, data, actor=helpdesk, now=now - ago)
        made.append(ticket)
        if status is not None:
            tickets.add_message(session, ticket, "Vi har talt med borgeren.", public=True, actor=helpdesk,
                                now=now - ago + dt.timedelta(minutes=20))
            tickets.change_status(session, ticket, status, actor=helpdesk, now=now - ago + dt.timedelta(minutes=21))
        tickets.refresh_sla(session, ticket, now=now)
    swaps.escalate_to_swap(session, made[0], note="Genstart hjalp ikke", actor=helpdesk, now=now,
                           today=local_date(now))
    return len(plans)
