"""One warning flag per SLA target (the single ``at_risk_alerted`` let a
first-response warning silence the later resolution warning), the round of
work the flags belong to, and whether that round still waits for an answer."""

from django.db import migrations, models


def split_warning_flag(apps, schema_editor):
    TicketSla = apps.get_model("care", "TicketSla")
    for sla in TicketSla.objects.select_related("ticket").iterator():
        answered = sla.ticket.first_response_at is not None
        sla.awaiting_first_response = not answered
        sla.first_response_warned = sla.at_risk_alerted
        # Answered and still urgent: the warning given was the resolution's.
        # Otherwise it was the first answer's, and the resolution may still warn.
        sla.resolution_warned = sla.at_risk_alerted and answered and sla.urgency != ""
        sla.save(update_fields=["awaiting_first_response", "first_response_warned", "resolution_warned"])


class Migration(migrations.Migration):

    dependencies = [
        ("care", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketsla",
            name="first_response_warned",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="ticketsla",
            name="resolution_warned",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="ticketsla",
            name="cycle_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticketsla",
            name="awaiting_first_response",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(split_warning_flag, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="ticketsla",
            name="at_risk_alerted",
        ),
    ]
