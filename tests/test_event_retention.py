from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import B2bCommon


@tagged("post_install", "-at_install")
class TestEventRetention(B2bCommon):
    """The daily clean-up deletes the events that went through, once old."""

    def _event(self, direction, state, age_days):
        event = self.env["b2b.event"].create(
            {
                "direction": direction,
                "connection_id": self.connection.id,
                "event_type": "request.created",
                "idempotency_key": f"msg_{direction}_{state}_{age_days}",
                "state": state,
                "payload": "{}",
            }
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE b2b_event SET write_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=age_days), event.id],
        )
        event.invalidate_recordset(["write_date"])
        return event

    def _events(self, age_days):
        return {
            (direction, state): self._event(direction, state, age_days)
            for direction, states in (
                ("inbound", ("received", "done", "failed")),
                ("outbound", ("pending", "sent", "failed", "abandoned")),
            )
            for state in states
        }

    def test_old_events_that_went_through_are_deleted(self):
        Event = self.env["b2b.event"]
        self.assertEqual(
            self.env["res.config.settings"].create({}).b2b_event_retention_days,
            90,
            "90 days at installation",
        )
        self.assertTrue(getattr(type(Event)._gc_events, "_autovacuum", False))
        old = self._events(91)
        recent = self._events(89)
        self.assertEqual(Event._gc_events(), 2)
        gone = old[("inbound", "done")] + old[("outbound", "sent")]
        self.assertFalse(gone.exists())
        kept = Event.concat(*recent.values()) + Event.concat(
            *(event for key, event in old.items() if event not in gone)
        )
        self.assertEqual(len(kept), 12)
        self.assertEqual(kept.exists(), kept)

    def test_retention_follows_the_setting_and_zero_keeps_all(self):
        Event = self.env["b2b.event"]
        self.env["res.config.settings"].create(
            {"b2b_event_retention_days": 0}
        ).execute()
        self.assertFalse(
            self.env["ir.config_parameter"].get_param(
                "b2b_dropship.event_retention_days"
            )
        )
        old = self._events(400)
        self.assertEqual(Event._gc_events(), 0)
        self.env["res.config.settings"].create(
            {"b2b_event_retention_days": 365}
        ).execute()
        self.assertEqual(Event._gc_events(), 2)
        self.assertEqual(
            Event.search([("id", "in", [event.id for event in old.values()])]).mapped(
                "state"
            ),
            ["abandoned", "failed", "pending", "failed", "received"],
        )
