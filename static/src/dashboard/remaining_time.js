import { _t } from "@web/core/l10n/translation";

const HOUR = 60;
const SOON = 60 * 60 * 1000;

/**
 * The deadline of a record as the dashboard shows it, from the deadline and
 * the current time, the way the server words it (b2b.deadline.mixin):
 * seconds are dropped so that it never promises more time than is left.
 *
 * @param {luxon.DateTime} deadline
 * @param {number} now milliseconds
 * @param {string} b2bState
 * @returns {{text: string, status: "ok"|"soon"|"late"}}
 */
export function remainingTime(deadline, now, b2bState) {
    const diff = deadline.toMillis() - now;
    const totalMinutes = Math.floor(Math.abs(diff) / 60000);
    const hours = Math.floor(totalMinutes / HOUR);
    const minutes = totalMinutes % HOUR;
    const duration = hours
        ? _t("%(hours)s h %(minutes)s min", { hours, minutes })
        : _t("%(minutes)s min", { minutes });
    if (diff >= 0) {
        return {
            text: _t("%(duration)s left", { duration }),
            status: diff < SOON ? "soon" : "ok",
        };
    }
    const text =
        b2bState === "order"
            ? _t("late by %(duration)s", { duration })
            : _t("expired %(duration)s ago", { duration });
    return { text, status: "late" };
}
