import { registry } from "@web/core/registry";

const widget = (name) => `.o_b2b_widget:has(.o_b2b_widget_title:contains("${name}"))`;
const LATER = widget("more than 1 h left");
const TO_SHIP = widget("to be shipped");
const LATE = widget("delayed shipping");

// Data: tests/test_dashboard_tour.py
registry.category("web_tour.tours").add("b2b_dashboard_tour", {
    url: "/odoo/b2b-dashboard",
    steps: () => [
        // counters: totals, records that entered since the widgets were set up
        { trigger: `${LATER} .o_b2b_widget_total:contains(/^2$/)` },
        { trigger: `${LATER} .o_b2b_widget_unread:contains(/^1$/)` },
        { trigger: `${TO_SHIP} .o_b2b_widget_total:contains(/^1$/)` },
        { trigger: `${LATE} .o_b2b_widget_total:contains(/^1$/)` },
        { trigger: `${LATE} .o_b2b_widget_unread:contains(/^1$/)` },
        { trigger: `${widget("expired")} .o_b2b_widget_total:contains(/^0$/)` },
        // remaining times are shown and worded by deadline
        { trigger: `${LATER} td[data-column=remaining_time]:contains(left)` },
        { trigger: `${LATE} td[data-column=remaining_time]:contains(late by)` },
        // the Dashboard menu item shows the unread alerts: 1 + 1 + 1
        { trigger: ".o_main_navbar [data-menu-xmlid='b2b_dropship.menu_b2b_dashboard'] .o_b2b_menu_badge:contains(/^3$/)" },
        // reset one widget's counter from its tool menu
        { trigger: `${LATER} .o_b2b_widget_menu`, run: "click" },
        { trigger: ".o_b2b_widget_reset", run: "click" },
        { trigger: `${LATER}:not(:has(.o_b2b_widget_unread))` },
        { trigger: ".o_b2b_menu_badge:contains(/^2$/)" },
        // "Print all" on the orders to ship (every slip is printed already: it says so)
        { trigger: `${TO_SHIP} .o_b2b_widget_menu`, run: "click" },
        { trigger: ".o_b2b_widget_print_all", run: "click" },
        { trigger: ".o_notification:contains(packing slip)" },
        // the reference opens the order itself
        { trigger: `${LATE} .o_b2b_record_link:contains(SO-TOUR-LATE)`, run: "click" },
        { trigger: ".o_form_view .o_breadcrumb:contains(SO-TOUR-LATE)" },
        // add a widget from the orders search, with the "Delayed shipping" filter
        { trigger: ".o_main_navbar [data-menu-xmlid='b2b_dropship.menu_b2b_orders']", run: "click" },
        { trigger: ".o_list_view .o_data_row" },
        { trigger: ".o_control_panel .o_searchview_dropdown_toggler", run: "click" },
        { trigger: ".o_filter_menu .o_menu_item:contains(Delayed shipping)", run: "click" },
        { trigger: ".o_searchview_facet:contains(Delayed shipping)" },
        { trigger: ".o_cp_action_menus button:has(i.fa-cog)", run: "click" },
        { trigger: ".o_b2b_add_to_dashboard", run: "click" },
        { trigger: ".modal .o_field_widget[name=name] input", run: "edit Tour late orders" },
        { trigger: ".modal .o_field_widget[name=width] select", run: "selectByLabel 100 %" },
        { trigger: ".modal footer button[name=action_save_widget]", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        // the new widget is on the dashboard, after the default ones
        { trigger: ".o_main_navbar [data-menu-xmlid='b2b_dropship.menu_b2b_dashboard']", run: "click" },
        { trigger: `${widget("Tour late orders")} .o_b2b_widget_total:contains(/^1$/)` },
        { trigger: `${widget("Tour late orders")} .o_b2b_record_link:contains(SO-TOUR-LATE)` },
        { trigger: ".o_b2b_widget:last .o_b2b_widget_title:contains(Tour late orders)" },
        // "All alerts are read"
        { trigger: ".o_b2b_mark_all_read", run: "click" },
        { trigger: ".o_b2b_dashboard:not(:has(.o_b2b_widget_unread))" },
        { trigger: ".o_main_navbar:not(:has(.o_b2b_menu_badge))" },
    ],
});

// On a phone: one widget per row, and the badge in the burger menu.
registry.category("web_tour.tours").add("b2b_dashboard_phone_tour", {
    url: "/odoo/b2b-dashboard",
    steps: () => [
        { trigger: `${LATER} .o_b2b_widget_unread:contains(/^1$/)` },
        {
            trigger: ".o_b2b_widget:eq(6)",
            run() {
                const boxes = [...document.querySelectorAll(".o_b2b_widget")].map((element) =>
                    element.getBoundingClientRect()
                );
                const lefts = new Set(boxes.map((box) => Math.round(box.left)));
                const page = document.querySelector(".o_b2b_dashboard").clientWidth;
                if (lefts.size !== 1 || boxes.some((box) => box.width < page * 0.8)) {
                    throw new Error(`widgets are not in one column: ${JSON.stringify(boxes)}`);
                }
            },
        },
        { trigger: ".o_menu_toggle", run: "click" },
        { trigger: ".o_app_menu_sidebar [data-menu-xmlid='b2b_dropship.menu_b2b_dashboard'] .o_b2b_menu_badge:contains(/^3$/)" },
    ],
});
