# Copyright 2026 B2B Dropship
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "B2B Dropship",
    "summary": "Serve the retailers who resell your goods: partner requests, "
    "orders to ship, packing slips, channels and dropship vendors",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/b2b-dropship/b2b_dropship",
    "author": "B2B Dropship",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": [
        "sale_management",
        "sale_stock",
        "purchase_stock",
        "stock_dropshipping",
        "stock_delivery",
        "portal",
        "mail",
        "auth_signup",
    ],
    "external_dependencies": {"python": ["paramiko"]},
    "data": [
        "security/b2b_dropship_security.xml",
        "security/ir.model.access.csv",
        "views/b2b_dropship_menus.xml",
    ],
    "demo": [],
}
