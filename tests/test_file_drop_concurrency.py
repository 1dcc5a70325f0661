"""Two imports of the same file racing in two real database transactions.

The records they need are committed first and removed at the end
(``RaceCase``).
"""

import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from .channels_common import RaceCase, wait_until_blocked
from .test_csv_import import csv_file


@tagged("post_install", "-at_install")
class TestFileDropConcurrency(RaceCase):
    def _remove_more(self, env):
        env["b2b.file.drop"].search(
            [("connection_id", "=", self.connection_id)]
        ).unlink()

    def _store(self, cr, name, content):
        env = api.Environment(cr, SUPERUSER_ID, {})
        connection = env["b2b.connection"].browse(self.connection_id)
        return env["b2b.file.drop"]._b2b_store(connection, name, content, "upload")

    def test_same_file_stored_by_two_imports_at_once_names_the_first(self):
        content = csv_file("RACE-1")
        results = {}
        started = threading.Event()

        def second_import():
            with self.registry.cursor() as cr:
                results["pid"] = cr._cnx.get_backend_pid()
                # its snapshot is taken before the first import commits
                cr.execute("SELECT 1")
                started.set()
                with mute_logger("odoo.sql_db"):
                    drop = self._store(cr, "again.csv", content)
                results["second"] = drop.read(
                    ["state", "duplicate_of_id", "error_summary"]
                )[0]
                # committed when the cursor closes

        first_cr = self.registry.cursor()
        try:
            first = self._store(first_cr, "first.csv", content)
            first.env.flush_all()
            thread = threading.Thread(target=second_import)
            thread.start()
            self.assertTrue(started.wait(10))
            self.assertTrue(
                wait_until_blocked(self.registry, results["pid"]),
                "the second import did not wait for the first one's file",
            )
            first_date = first.create_date
            first_cr.commit()
        finally:
            first_cr.close()
        thread.join(30)
        self.assertFalse(thread.is_alive())
        second = results["second"]
        self.assertEqual(second["state"], "duplicate")
        # named, not linked: the second transaction cannot reference a row
        # committed after it began
        self.assertFalse(second["duplicate_of_id"])
        self.assertIn("first.csv", second["error_summary"])
        self.assertIn(str(first_date), second["error_summary"])
