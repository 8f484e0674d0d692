"""The demo agency's field services (``csoapi seed-demo``): two permit zones and a few
permits (one a portal can renew now, one revoked), defect reports for public works, the
week's assignments, outreach (community events and two Neighborhood Watch groups), and who is
on duty now (the sergeant and one CSO). Every name, phone and address of a person here is
made up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from csoapi.core.context import RequestContext
from csoapi.users.models import User

# (kind, zone, plate, holder, first day, last day: days from today)
DEMO_PERMITS = [
    ("residential", "A", "DEMO101", ("Avery Sample", "100 Demo St"), -300, 20),
    ("visitor", "A", "DEMO102", ("Blake Example", "102 Demo St"), -3, 10),
    ("contractor", "B", "DEMO103", ("Casey Placeholder", "7 Test Ave"), -20, 69),
    ("residential", "B", "DEMO104", ("Drew Fictional", "9 Test Ave"), -100, 200),
]
DEMO_DEFECTS = [
    ("parking_meter", "1200 3RD AVE", "Meter 1200-14 takes coins but shows no time"),
    ("sign", "300 W MARKET ST", "No-parking sign bent flat by a truck"),
    ("streetlight", "4400 PARK BLVD", "Light out in front of the bus stop"),
]


def _at(today: date, days: int, hour: int, ctx: RequestContext) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=ctx.settings.tz)


def seed_field(
    session: Session, ctx: RequestContext, people: dict[str, User], acting: type
) -> dict[str, int]:
    """``acting(ctx, user)`` is ``demo.as_principal``: each record is made by the role that
    makes it in life (records issues permits, CSOs file defects and outreach)."""
    today = datetime.now(ctx.settings.tz).date()
    permits = _seed_permits(session, acting(ctx, people["RECORDS"]), today)
    defects = _seed_defects(session, acting(ctx, people["CSO"]))
    assignments = _seed_assignments(session, acting(ctx, people["SERGEANT"]), people, today)
    outreach = _seed_outreach(session, acting(ctx, people["CSO"]), people, today)
    _sign_on(session, acting(ctx, people["SERGEANT"]), [people["SERGEANT"], people["CSO"]])
    return {"permits": permits, "defects": defects, "assignments": assignments} | outreach


def _seed_permits(session: Session, ctx: RequestContext, today: date) -> int:
    from csoapi.permits.schemas import Holder, PermitCreate, RevokeBody, ZoneCreate
    from csoapi.permits.service import PermitService

    svc = PermitService(session, ctx)
    svc.create_zone(ZoneCreate(code="A", name="Zone A: Midtown residential"))
    svc.create_zone(ZoneCreate(code="B", name="Zone B: Old Town"))
    made = []
    for kind, zone, plate, (name, address), first, last in DEMO_PERMITS:
        data = PermitCreate(
            kind=kind,
            zone=zone,
            plate=plate,
            plate_state="CA",
            holder=Holder(name=name, address=address, phone="916-555-0100"),
            valid_from=today + timedelta(days=first),
            valid_to=today + timedelta(days=last),
        )
        made.append(svc.issue(data))
    svc.revoke(made[-1].id, RevokeBody(reason="Holder moved out of the zone"), None)
    return len(made)


def _seed_defects(session: Session, ctx: RequestContext) -> int:
    from csoapi.defects.schemas import DefectCreate, DefectLocation
    from csoapi.defects.service import DefectService

    svc = DefectService(session, ctx)
    for kind, address, description in DEMO_DEFECTS:
        svc.report(
            DefectCreate(
                kind=kind, location=DefectLocation(address=address), description=description
            )
        )
    return len(DEMO_DEFECTS)


def _seed_assignments(
    session: Session, ctx: RequestContext, people: dict[str, User], today: date
) -> int:
    from csoapi.assignments.schemas import AssignmentCreate
    from csoapi.assignments.service import AssignmentService

    svc = AssignmentService(session, ctx)
    plans = [
        ("special_event", "Farmers market traffic", 2, 7, 12, [people["CSO"].id], ["Cones (30)"]),
        ("escort", "Funeral escort, Demo Chapel", 3, 10, 12, [people["CSO2"].id], ["Unit 12"]),
        ("radar_trailer", "Radar trailer, Park Blvd", 1, 8, 17, [people["CSO2"].id], ["Trailer 2"]),
    ]
    for kind, title, day, start, end, staff, equipment in plans:
        svc.create(
            AssignmentCreate(
                kind=kind,
                title=title,
                starts_at=_at(today, day, start, ctx),
                ends_at=_at(today, day, end, ctx),
                location="Demo City",
                staff=staff,
                equipment=equipment,
            )
        )
    return len(plans)


def _seed_outreach(
    session: Session, ctx: RequestContext, people: dict[str, User], today: date
) -> dict[str, int]:
    from csoapi.outreach.schemas import Contact, EventCreate, FollowUp, GroupCreate, MeetingCreate
    from csoapi.outreach.service import OutreachService
    from csoapi.outreach.watch import WatchService

    events = OutreachService(session, ctx)
    cso, cso2 = people["CSO"].id, people["CSO2"].id
    plan = [
        ("school_visit", "Bike safety at Demo Elementary", -12, 90, True, "held"),
        ("community_meeting", "Midtown parking town hall", -5, 35, False, "held"),
        ("youth_event", "Teen job fair table", 9, None, True, "planned"),
    ]
    for kind, title, day, attendance, youth, status in plan:
        events.create(
            EventCreate(
                kind=kind,
                title=title,
                starts_at=_at(today, day, 15, ctx),
                location="Demo Community Center",
                partners=["Demo Parks and Recreation"],
                attendance=attendance,
                youth_focus=youth,
                materials=["Flyers"],
                follow_ups=[FollowUp(task="Send the slides", due_on=today + timedelta(days=14))],
                staff=[cso, cso2],
                status=status,
            )
        )
    watch = WatchService(session, ctx)
    groups = [
        ("Demo Heights Watch", "Oak St to Elm St, 1st Ave to 5th Ave", cso),
        ("Old Town Block Watch", "Market St, 100-900 blocks", cso2),
    ]
    for name, area, liaison in groups:
        g = watch.create(
            GroupCreate(
                name=name,
                area=area,
                beat="521",
                liaison_id=liaison,
                contacts=[Contact(name="Pat Placeholder", phone="916-555-0199")],
            )
        )
        watch.log_meeting(
            g.id,
            MeetingCreate(
                held_at=_at(today, -7, 18, ctx), attendance=14, summary="Porch-light campaign"
            ),
        )
    return {"outreach events": len(plan), "Watch groups": len(groups)}


def _sign_on(session: Session, ctx: RequestContext, staff: list[User]) -> None:
    """The sergeant signs on, and signs a CSO on (``GET /staff?on_duty=true``)."""
    from csoapi.users.service import UserService

    for person in staff:
        UserService(session, ctx).set_duty(person.id, True)
