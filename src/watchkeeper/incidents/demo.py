"""Demo categories and incidents for ``watchkeeper demo``: a desk with work in every state.

Incidents are created and moved through the actions, so they have history like real ones.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.accounts.models import SupportGroup, User
from watchkeeper.cmdb.models import ConfigurationItem
from watchkeeper.core.choices import Channel
from watchkeeper.incidents import actions
from watchkeeper.incidents.choices import HoldReason, ResolutionCode
from watchkeeper.incidents.models import Category, Incident

CATEGORIES: dict[str, tuple[str, list[str]]] = {
    "Hardware": ("Service Desk", ["Laptop", "Desktop", "Printer"]),
    "Software": ("Applications", ["Installation", "Crash", "Licence"]),
    "Network": ("Network", ["VPN", "Wi-Fi", "Wired LAN"]),
    "Database": ("Database", ["Performance", "Backup and restore", "Replication"]),
    "Access": ("Service Desk", ["Password reset", "New account", "Permissions"]),
    "E-mail": ("Applications", ["Mailbox", "Calendar", "Spam"]),
}


def load_categories(groups: dict[str, SupportGroup]) -> dict[str, Category]:
    """Categories with their default groups; subcategories keyed ``"Parent/Child"``."""
    found: dict[str, Category] = {}
    for name, (group_name, children) in CATEGORIES.items():
        parent = Category.objects.create(name=name, default_group=groups[group_name])
        found[name] = parent
        for child in children:
            found[f"{name}/{child}"] = Category.objects.create(name=child, parent=parent)
    return found


def _report(
    people: dict[str, User], cats: dict[str, Category], caller: str, text: str, cat: str, **kw: Any
) -> Incident:
    category, _, _ = cat.partition("/")
    by = kw.pop("by", caller)
    return actions.create_incident(
        caller=people[caller],
        short_description=text,
        acting_user=people[by],
        channel=kw.pop("channel", Channel.PORTAL if by == caller else Channel.PHONE),
        category=cats[category],
        subcategory=cats[cat],
        **kw,
    )


def load_incidents(
    groups: dict[str, SupportGroup], people: dict[str, User], cats: dict[str, Category]
) -> list[Incident]:
    """A handful of incidents: new, in progress, on hold, resolved, closed, canceled, major."""
    services = {ci.name: ci for ci in ConfigurationItem.objects.services()}
    adam, nina, paul, ivy = (people[name] for name in ("adam", "nina", "paul", "ivy"))
    made = []

    new = _report(
        people,
        cats,
        "rita",
        "Laptop screen flickers",
        "Hardware/Laptop",
        urgency=2,
        description="Since this morning the screen **flickers** when on battery.",
    )
    made.append(new)

    erp = _report(
        people,
        cats,
        "rita",
        "ERP invoice screen shows an error",
        "Software/Crash",
        service=services.get("ERP"),
        urgency=1,
        description="Error `E-4711` when I open *Invoices > Approve*.",
    )
    actions.assign(erp, group=groups["Applications"], assignee=paul, acting_user=adam)
    actions.start_work(erp, acting_user=paul)
    actions.add_work_note(erp, body="Looks like the patch from Friday.", acting_user=paul)
    actions.add_comment(erp, body="We are looking at it; a fix is on the way.", acting_user=paul)
    made.append(erp)

    vpn = _report(
        people,
        cats,
        "rita",
        "VPN disconnects every ten minutes",
        "Network/VPN",
        service=services.get("Remote access (VPN)"),
        urgency=2,
    )
    actions.assign(vpn, group=groups["Network"], assignee=nina, acting_user=adam)
    actions.start_work(vpn, acting_user=nina)
    actions.put_on_hold(vpn, reason=HoldReason.AWAITING_VENDOR, acting_user=nina)
    made.append(vpn)

    password = _report(
        people,
        cats,
        "rita",
        "Password expired",
        "Access/Password reset",
        by="adam",
        assignment_group=groups["Service Desk"],
        assignee=adam,
    )
    actions.resolve(
        password,
        code=ResolutionCode.SOLVED_REMOTELY_PERMANENTLY,
        notes="Password reset on the phone.",
        acting_user=adam,
    )
    made.append(password)

    mailbox = _report(people, cats, "rita", "Shared mailbox Finance is missing", "E-mail/Mailbox")
    actions.assign(mailbox, group=groups["Applications"], assignee=paul, acting_user=adam)
    actions.resolve(
        mailbox,
        code=ResolutionCode.SOLVED_PERMANENTLY,
        notes="Access granted again.",
        acting_user=paul,
    )
    actions.close(mailbox, acting_user=people["rita"])
    made.append(mailbox)

    printer = _report(people, cats, "rita", "Printer on floor 2 out of toner", "Hardware/Printer")
    actions.cancel(printer, reason="Found a spare cartridge.", acting_user=people["rita"])
    made.append(printer)

    outage = _report(
        people,
        cats,
        "oscar",
        "E-mail down for all staff",
        "E-mail/Mailbox",
        by="ivy",
        channel=Channel.PHONE,
        service=services.get("E-mail"),
        impact=1,
        urgency=1,
    )
    actions.assign(outage, group=groups["Applications"], assignee=paul, acting_user=ivy)
    actions.start_work(outage, acting_user=paul)
    actions.declare_major(
        outage, reason="No one can send or receive mail.", manager=ivy, acting_user=ivy
    )
    actions.post_major_update(
        outage,
        body="Mail servers restarting; next update in 30 minutes.",
        recipients=["management@example.org"],
        acting_user=ivy,
    )
    made.append(outage)
    return made
