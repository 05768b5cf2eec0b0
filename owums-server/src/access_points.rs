//! The HTTP access-point lookup (OWUMS asked OWMW): `GET <url>/associated_users/<mac>.xml`
//! with basic auth, answering XML whose `<access-point>` holds a `<mac-address>`.

use std::time::Duration;

use owums_core::accounting::AccessPointLookup;
use owums_core::config::AccessPointsConfig;
use owums_core::{Error, Result};
use quick_xml::Reader;
use quick_xml::events::Event;

/// Looks access points up over HTTP.
#[derive(Debug)]
pub(crate) struct HttpLookup {
    client: reqwest::Client,
    config: AccessPointsConfig,
}

fn failure(message: String) -> Error {
    Error::Plugin {
        id: "access_points".to_owned(),
        message,
    }
}

impl HttpLookup {
    pub(crate) fn new(config: &AccessPointsConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds.max(1)))
            .build()
            .map_err(|e| failure(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpLookup {
            client,
            config: config.clone(),
        })
    }
}

#[owums_core::async_trait]
impl AccessPointLookup for HttpLookup {
    async fn access_point_of(&self, client_mac: &str) -> Result<Option<String>> {
        let url = format!(
            "{}/associated_users/{client_mac}.xml",
            self.config.lookup_url.trim_end_matches('/')
        );
        let mut request = self.client.get(&url);
        if !self.config.username.is_empty() {
            request = request.basic_auth(&self.config.username, Some(&self.config.password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| failure(format!("lookup at {url} failed: {e}")))?;
        match response.status().as_u16() {
            404 => return Ok(None),
            401 | 403 => return Err(failure(format!("lookup at {url} refused the credentials"))),
            s if !(200..300).contains(&s) => {
                return Err(failure(format!("lookup at {url} answered HTTP {s}")));
            }
            _ => {}
        }
        let body = response
            .text()
            .await
            .map_err(|e| failure(format!("lookup at {url}: {e}")))?;
        Ok(access_point_mac(&body))
    }
}

/// The text of `<mac-address>` inside `<access-point>` (underscores accepted too).
pub(crate) fn access_point_mac(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => path.push(e.local_name().into_inner().replace('_', "-")),
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let n = path.len();
                if n >= 2 && path[n - 1] == "mac-address" && path[n - 2] == "access-point" {
                    let text = t.into_inner().trim().to_owned();
                    if !text.is_empty() {
                        return Some(text);
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::access_point_mac;

    #[test]
    fn reads_owmw_answers() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<associated-user>
  <mac-address>aa:bb:cc:dd:ee:ff</mac-address>
  <access-point><id type="integer">7</id><mac-address>00:26:B9:75:F2:1D</mac-address></access-point>
</associated-user>"#;
        assert_eq!(access_point_mac(xml).as_deref(), Some("00:26:B9:75:F2:1D"));
        assert_eq!(access_point_mac("<associated_user><access_point><mac_address>x</mac_address></access_point></associated_user>").as_deref(), Some("x"));
        assert_eq!(
            access_point_mac("<associated-user><mac-address>aa</mac-address></associated-user>"),
            None
        );
        assert_eq!(access_point_mac("<<<not xml"), None);
        assert_eq!(access_point_mac(""), None);
    }
}
