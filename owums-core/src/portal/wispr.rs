//! WISPr 1.0 smart-client messages: the XML a phone's built-in hotspot login reads from
//! the portal's pages (inside an HTML comment), so it can log on without showing them.
//!
//! The login page carries a `Redirect` (MessageType 100) naming the login URL; the smart
//! client posts `UserName` and `Password` there and reads an `AuthenticationReply`
//! (MessageType 120): 201 "authentication pending" with the controller's logon URL as
//! `LoginResultsURL`, 50 when owums logged the device on itself, 100 when refused; it then
//! polls (`AuthenticationPollReply`, MessageType 140).

use quick_xml::escape::escape;

/// WISPr response codes used by owums' pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCode {
    /// 0: no error (in a `Redirect`).
    NoError = 0,
    /// 50: login succeeded.
    LoginSucceeded = 50,
    /// 100: login failed (access reject).
    LoginFailed = 100,
    /// 102: RADIUS server error or timeout.
    ServerError = 102,
    /// 105: no route for the realm.
    NoRealm = 105,
    /// 150: logoff succeeded / not logged on.
    LoggedOff = 150,
    /// 201: authentication pending: poll `LoginResultsURL`.
    Pending = 201,
    /// 255: access gateway internal error.
    InternalError = 255,
}

fn envelope(body: &str) -> String {
    format!(
        "<!--\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WISPAccessGatewayParam xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"http://www.wballiance.net/wispr_2_0.xsd\">\n{body}</WISPAccessGatewayParam>\n-->"
    )
}

/// The `Redirect` a login page carries (MessageType 100): where a smart client posts the
/// credentials, and where it aborts.
pub fn redirect(login_url: &str, abort_url: Option<&str>, location_name: &str) -> String {
    let abort = abort_url
        .map(|u| format!("  <AbortLoginURL>{}</AbortLoginURL>\n", escape(u)))
        .unwrap_or_default();
    envelope(&format!(
        "<Redirect>\n  <MessageType>100</MessageType>\n  <ResponseCode>0</ResponseCode>\n  <AccessProcedure>1.0</AccessProcedure>\n  <LocationName>{}</LocationName>\n  <LoginURL>{}</LoginURL>\n{abort}</Redirect>\n",
        escape(location_name),
        escape(login_url),
    ))
}

/// An `AuthenticationReply` (MessageType 120). `results_url` is where the client goes
/// next (the controller's logon for 201; the status page for 50); `logoff_url` is given
/// with 50.
pub fn authentication_reply(
    code: ResponseCode,
    results_url: Option<&str>,
    logoff_url: Option<&str>,
    reply_message: Option<&str>,
) -> String {
    let mut body = format!(
        "<AuthenticationReply>\n  <MessageType>120</MessageType>\n  <ResponseCode>{}</ResponseCode>\n",
        code as u16
    );
    if let Some(message) = reply_message {
        body.push_str(&format!(
            "  <ReplyMessage>{}</ReplyMessage>\n",
            escape(message)
        ));
    }
    if let Some(url) = results_url {
        body.push_str(&format!(
            "  <LoginResultsURL>{}</LoginResultsURL>\n",
            escape(url)
        ));
    }
    if let Some(url) = logoff_url {
        body.push_str(&format!("  <LogoffURL>{}</LogoffURL>\n", escape(url)));
    }
    body.push_str("</AuthenticationReply>\n");
    envelope(&body)
}

/// An `AuthenticationPollReply` (MessageType 140), what a smart client reads at the
/// `LoginResultsURL` it was given: 50 with where to log off and see the session, 100 with
/// why not, 102 when the controller could not be asked, 150 when not logged on.
pub fn poll_reply(
    code: ResponseCode,
    logoff_url: Option<&str>,
    status_url: Option<&str>,
    reply_message: Option<&str>,
) -> String {
    let mut body = format!(
        "<AuthenticationPollReply>\n  <MessageType>140</MessageType>\n  <ResponseCode>{}</ResponseCode>\n",
        code as u16
    );
    if let Some(message) = reply_message {
        body.push_str(&format!(
            "  <ReplyMessage>{}</ReplyMessage>\n",
            escape(message)
        ));
    }
    if let Some(url) = logoff_url {
        body.push_str(&format!("  <LogoffURL>{}</LogoffURL>\n", escape(url)));
    }
    if let Some(url) = status_url {
        body.push_str(&format!("  <StatusURL>{}</StatusURL>\n", escape(url)));
    }
    body.push_str("</AuthenticationPollReply>\n");
    envelope(&body)
}
