# Copyright 2026 B2B Dropship
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_user = cls.env.ref("b2b_dropship.group_b2b_user")
        cls.group_manager = cls.env.ref("b2b_dropship.group_b2b_manager")

    def test_groups_belong_to_the_b2b_dropship_category(self):
        self.assertRecordValues(
            self.group_user + self.group_manager,
            [{"name": "User"}, {"name": "Manager"}],
        )
        self.assertEqual(self.group_user.category_id.name, "B2B Dropship")
        self.assertEqual(self.group_manager.category_id, self.group_user.category_id)

    def test_manager_implies_user(self):
        self.assertIn(self.group_user, self.group_manager.implied_ids)
        user = self.env["res.users"].create(
            {
                "name": "B2B Manager",
                "login": "b2b.manager@example.com",
                "groups_id": [
                    Command.set(
                        [self.env.ref("base.group_user").id, self.group_manager.id]
                    )
                ],
            }
        )
        self.assertTrue(user.has_group("b2b_dropship.group_b2b_user"))
        self.assertTrue(user.has_group("b2b_dropship.group_b2b_manager"))

    def test_user_does_not_imply_manager(self):
        user = self.env["res.users"].create(
            {
                "name": "B2B User",
                "login": "b2b.user@example.com",
                "groups_id": [
                    Command.set(
                        [self.env.ref("base.group_user").id, self.group_user.id]
                    )
                ],
            }
        )
        self.assertTrue(user.has_group("b2b_dropship.group_b2b_user"))
        self.assertFalse(user.has_group("b2b_dropship.group_b2b_manager"))
