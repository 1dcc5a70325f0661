import { useState } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { useService } from "@web/core/utils/hooks";
import { NavBar } from "@web/webclient/navbar/navbar";
import { DASHBOARD_MENU_XMLID } from "./dashboard_counter_service";

patch(NavBar.prototype, {
    setup() {
        super.setup(...arguments);
        this.b2bCounter = useState(useService("b2b_dashboard_counter").state);
    },

    /** The badge figure of a menu item: the unread alerts on the Dashboard item. */
    b2bMenuBadge(section) {
        return section.xmlid === DASHBOARD_MENU_XMLID ? this.b2bCounter.unread : 0;
    },
});
