"""The CMDB forms: typed attribute fields per class, error keys, and finding the other item."""

from __future__ import annotations

from watchkeeper.accounts.choices import Role
from watchkeeper.cmdb.actions import update_ci
from watchkeeper.cmdb.choices import CiClass, CiStatus
from watchkeeper.cmdb.forms import CiForm, RelationForm, field_for_error


def common(**values: object) -> dict[str, object]:
    data = {"name": "db-01", "ci_class": CiClass.DATABASE, "status": CiStatus.IN_SERVICE,
            "environment": "production", "criticality": "high"}  # fmt: skip
    data.update(values)
    return data


def test_the_form_asks_for_the_chosen_classes_attributes(db):
    # when forms are made for a database, a backup job, and a class that does not exist
    database = CiForm(common())
    job = CiForm(initial={"ci_class": CiClass.BACKUP_JOB})
    unknown = CiForm(common(ci_class="spaceship"))

    # then each asks for its class's attributes, typed, the required ones required
    assert [f.name for f in database.attribute_fields()] == [
        "attr_engine",
        "attr_version",
        "attr_port",
    ]
    assert database.fields["attr_port"].widget.input_type == "number"
    assert job.fields["attr_schedule"].required
    assert "cron" in job.fields["attr_schedule"].help_text
    assert unknown.chosen_class == CiClass.BUSINESS_SERVICE
    assert not unknown.is_valid() and "ci_class" in unknown.errors


def test_values_carry_the_attributes_that_have_a_value(db):
    # given a filled database form with one attribute left empty
    form = CiForm(common(attr_engine="PostgreSQL", attr_port="5432", attr_version="", hostname=""))

    # when it is checked
    assert form.is_valid(), form.errors

    # then the action gets the typed attributes, empty ones left out, and no owner
    values = form.values()
    assert values["attributes"] == {"engine": "PostgreSQL", "port": 5432}
    assert values["owner"] is None and values["ip_address"] is None
    assert values["hostname"] == ""


def test_the_owner_is_found_by_username_or_e_mail(make_user):
    # given a service owner
    owner = make_user("oscar", Role.SERVICE_OWNER)

    # then the owner field takes the username or the e-mail address, and names an unknown one
    assert CiForm(common(owner="OSCAR")).is_valid()
    form = CiForm(common(owner="oscar@example.org"))
    assert form.is_valid() and form.values()["owner"] == owner
    wrong = CiForm(common(owner="nobody"))
    assert not wrong.is_valid() and "nobody" in wrong.errors["owner"][0]


def test_errors_of_the_action_find_their_field(db):
    # given a server form
    form = CiForm(common(ci_class=CiClass.SERVER))

    # then attribute errors go beside the generated field, unknown keys to the top
    assert field_for_error(form, "attributes.cpu_count") == "attr_cpu_count"
    assert field_for_error(form, "name") == "name"
    assert field_for_error(form, "attributes.engine") is None
    assert field_for_error(form, "__all__") is None


def test_the_edit_form_is_filled_from_the_item_and_offers_only_allowed_moves(make_ci, make_user):
    # given a retired server with attributes, owned by someone
    owner = make_user("oscar", Role.SERVICE_OWNER)
    ci = make_ci("old-01", CiClass.SERVER, owner=owner, attributes={"cpu_count": 4})
    update_ci(ci, {"status": CiStatus.RETIRED}, acting_user=None)

    # when its edit form is made
    form = CiForm.for_item(ci)

    # then it shows the item as it is, with its version, and a retired item may only be planned
    assert form.initial["attr_cpu_count"] == 4
    assert form.initial["owner"] == "oscar"
    assert form.initial["version"] == ci.version == 2
    assert [value for value, _ in form.fields["status"].choices] == ["planned", "retired"]


def test_the_other_item_is_found_by_number_or_unique_name(make_ci):
    # given two items named alike in different classes, and a third
    make_ci("mail", CiClass.APPLICATION)
    make_ci("mail", CiClass.BUSINESS_SERVICE)
    server = make_ci("srv-01", CiClass.SERVER)

    def other(text: str) -> RelationForm:
        form = RelationForm({"type": "runs_on", "direction": "source", "other": text})
        form.is_valid()
        return form

    # then a number (as the suggestions show it) or a unique name finds the item
    assert other(f"{server.number} srv-01").cleaned_data["other"] == server
    assert other("SRV-01").cleaned_data["other"] == server
    assert other(server.number.lower()).cleaned_data["other"] == server
    # and an unknown number, an unknown name and an ambiguous name are explained
    assert "No configuration item CI0999999" in other("CI0999999").errors["other"][0]
    assert "No configuration item is named" in other("nothing").errors["other"][0]
    assert "give the number" in other("mail").errors["other"][0]


def test_the_direction_reads_with_the_items_name(make_ci):
    # given a server
    server = make_ci("srv-01", CiClass.SERVER)

    # then the direction choices read with its name, and the other field asks for suggestions
    form = RelationForm(ci=server)
    labels = [label for _, label in form.fields["direction"].choices]
    assert labels[0].startswith("srv-01 … the other item")
    assert labels[1].startswith("The other item … srv-01")
    assert form.fields["other"].widget.attrs["list"] == "ci-options"
    assert form.fields["other"].widget.attrs["hx-get"] == "/cmdb/suggest/"
