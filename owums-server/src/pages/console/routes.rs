//! Every console route and its handler, in one table: the permission each needs is checked
//! by the handler itself ([`super::Console::require`]), and the permission matrix test
//! (tests/it/console/matrix.rs) tries each one.

use poem::{Route, get, post};

use super::{
    audit, groups, home, login, operators, radius_items, settings, setup, ticket, tokens, totp,
    user_edit, user_import, user_new, user_show, users, vouchers,
};

/// Adds the console's routes to `route`.
pub(crate) fn mount(route: Route) -> Route {
    route
        .at("/operator", get(home::home))
        .at("/operator/login", get(login::show_form).post(login::submit))
        .at(
            "/operator/login/code",
            get(login::code_form).post(login::code_submit),
        )
        .at("/operator/logout", post(login::logout))
        .at(
            "/operator/setup/:token",
            get(setup::show_form).post(setup::submit),
        )
        .at("/operator/totp", get(totp::show).post(totp::confirm))
        .at("/operator/tokens", get(tokens::list).post(tokens::create))
        .at("/operator/tokens/:id/revoke", post(tokens::revoke))
        .at(
            "/operator/password",
            get(operators::own_form).post(operators::own_change),
        )
        .at(
            "/operator/operators",
            get(operators::list).post(operators::create),
        )
        .at("/operator/operators/:id", get(operators::show))
        .at("/operator/operators/:id/:action", post(operators::change))
        .at(
            "/operator/users/new",
            get(user_new::show_form).post(user_new::create),
        )
        .at("/operator/users/:id/ticket.pdf", post(ticket::pdf))
        .at("/operator/audit", get(audit::log_page))
        .at("/operator/audit.csv", get(audit::csv))
        .at("/operator/groups", get(groups::list).post(groups::create))
        .at("/operator/groups/:name", get(groups::show))
        .at("/operator/groups/:name/edit", post(groups::edit))
        .at(
            "/operator/groups/:name/delete",
            get(groups::confirm_delete).post(groups::delete),
        )
        .at(
            "/operator/groups/:name/items/:kind",
            post(radius_items::group_add),
        )
        .at(
            "/operator/groups/:name/items/:kind/:item/:action",
            post(radius_items::group_item),
        )
        .at(
            "/operator/users/import",
            get(user_import::show).post(user_import::upload),
        )
        .at(
            "/operator/vouchers",
            get(vouchers::list).post(vouchers::generate),
        )
        .at("/operator/vouchers/:name", get(vouchers::show))
        .at("/operator/settings", get(settings::list))
        .at(
            "/operator/settings/:name",
            get(settings::show).post(settings::change),
        )
        .at("/operator/users/:id/radius", get(radius_items::user_items))
        .at(
            "/operator/users/:id/radius/:kind",
            post(radius_items::user_add),
        )
        .at(
            "/operator/users/:id/radius/:kind/:item/:action",
            post(radius_items::user_item),
        )
        .at("/operator/users", get(users::list))
        .at("/operator/users/find", get(users::find))
        .at("/operator/users/:id", get(user_show::show))
        .at(
            "/operator/users/:id/attachments/:kind",
            get(user_show::attachment),
        )
        .at(
            "/operator/users/:id/edit",
            get(user_edit::edit_form).post(user_edit::edit),
        )
        .at(
            "/operator/users/:id/delete",
            get(user_edit::delete_form).post(user_edit::delete),
        )
        .at("/operator/users/:id/disable", post(user_edit::disable))
        .at("/operator/users/:id/enable", post(user_edit::enable))
}
