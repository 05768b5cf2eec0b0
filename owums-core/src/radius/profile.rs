//! A RADIUS profile (the user's and their groups' check and reply items, in priority
//! order) turned into what the authorize decision reads: the check items that apply and
//! the replies to send, with what a counter left merged in as `rlm_sqlcounter` does.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::radius::authorize::{Reply, ReplyValue};
use crate::radius::authorize_cache::Rules;
use crate::storage::{ProfileAttribute, ProfileSource};
use crate::subscriber::password::PASSWORD_ATTRIBUTES;

/// A profile ready to decide with.
pub(super) fn rules(profile: &[ProfileAttribute]) -> Rules {
    Rules {
        checks: checks(profile),
        replies: replies(profile),
    }
}

/// Check items by lowercase attribute: the user's own win, then groups by priority.
fn checks(profile: &[ProfileAttribute]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for a in profile {
        let own = a.source == ProfileSource::UserCheck;
        if (!own && a.source != ProfileSource::GroupCheck)
            || own
                && PASSWORD_ATTRIBUTES
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&a.attribute))
        {
            continue;
        }
        out.entry(a.attribute.to_ascii_lowercase())
            .or_insert_with(|| a.value.clone());
    }
    out
}

/// A numeric limit; a value that is not a number is a configuration error worth a 500.
pub(super) fn limit(checks: &HashMap<String, String>, attribute: &str) -> Result<Option<i64>> {
    match checks.get(&attribute.to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) => {
            v.trim().parse::<i64>().map(Some).map_err(|_| {
                Error::Config(format!("check item {attribute} = `{v}` is not a number"))
            })
        }
    }
}

/// Reply items in order: an attribute's first item decides its operator; `+=` items add values.
fn replies(profile: &[ProfileAttribute]) -> Vec<Reply> {
    let mut out: Vec<Reply> = Vec::new();
    for a in profile {
        if !matches!(
            a.source,
            ProfileSource::UserReply | ProfileSource::GroupReply
        ) {
            continue;
        }
        match out
            .iter_mut()
            .find(|r| r.attribute.eq_ignore_ascii_case(&a.attribute))
        {
            Some(r) if a.op == "+=" => {
                if let ReplyValue::Text(v) = &mut r.value {
                    v.push(a.value.clone());
                    r.op = "+=".to_owned();
                }
            }
            Some(_) => {}
            None => out.push(Reply {
                attribute: a.attribute.clone(),
                op: if a.op.is_empty() {
                    "=".to_owned()
                } else {
                    a.op.clone()
                },
                value: ReplyValue::Text(vec![a.value.clone()]),
            }),
        }
    }
    out
}

/// Adds what a counter left, unless a smaller value is already there (as rlm_sqlcounter).
pub(super) fn add_counter_reply(replies: &mut Vec<Reply>, attribute: &str, left: i64) {
    let existing = replies
        .iter()
        .position(|r| r.attribute.eq_ignore_ascii_case(attribute));
    if let Some(i) = existing {
        let current = match &replies[i].value {
            ReplyValue::Number(n) => Some(*n),
            ReplyValue::Text(v) => v.first().and_then(|s| s.trim().parse::<i64>().ok()),
        };
        if current.is_some_and(|c| c <= left) {
            return;
        }
        replies.remove(i);
    }
    replies.push(Reply {
        attribute: attribute.to_owned(),
        op: ":=".to_owned(),
        value: ReplyValue::Number(left),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_reply_keeps_the_smaller_value() {
        let mut r = vec![Reply {
            attribute: "Session-Timeout".into(),
            op: "=".into(),
            value: ReplyValue::Text(vec!["3600".into()]),
        }];
        add_counter_reply(&mut r, "Session-Timeout", 7200);
        assert_eq!(r[0].value, ReplyValue::Text(vec!["3600".into()]));
        add_counter_reply(&mut r, "Session-Timeout", 600);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].value, ReplyValue::Number(600));
        add_counter_reply(&mut r, "CoovaChilli-Max-Total-Octets", 5);
        assert_eq!(r.len(), 2);
    }
}
