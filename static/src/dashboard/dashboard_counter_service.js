import { reactive } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

export const B2B_APP_XMLID = "b2b_dropship.menu_b2b_root";
export const DASHBOARD_MENU_XMLID = "b2b_dropship.menu_b2b_dashboard";
const POLL_DELAY = 60000;

/**
 * The user's unread dashboard alerts, for the badge of the Dashboard menu.
 *
 * Refreshed when the B2B app is entered and every minute while it is shown;
 * the dashboard page also pushes the figure it just loaded.
 */
export const b2bDashboardCounterService = {
    dependencies: ["orm", "menu"],
    start(env, { orm, menu }) {
        const state = reactive({ unread: 0 });
        let timer = null;
        let isB2bUser = null;

        async function refresh() {
            if (isB2bUser === null) {
                isB2bUser = await user.hasGroup("b2b_dropship.group_b2b_user");
            }
            if (isB2bUser) {
                state.unread = await orm.silent.call("b2b.dashboard.widget", "get_unread_total", []);
            }
        }

        function schedule() {
            clearInterval(timer);
            timer = null;
            if (menu.getCurrentApp()?.xmlid !== B2B_APP_XMLID) {
                return;
            }
            refresh();
            timer = setInterval(() => {
                if (!document.hidden) {
                    refresh();
                }
            }, POLL_DELAY);
        }

        env.bus.addEventListener("MENUS:APP-CHANGED", schedule);
        schedule();

        return {
            state,
            refresh,
            setUnread(unread) {
                state.unread = unread;
            },
        };
    },
};

registry.category("services").add("b2b_dashboard_counter", b2bDashboardCounterService);
