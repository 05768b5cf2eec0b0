//! Rich text that operators write (the home page's instructions) and subscribers read:
//! Markdown, rendered to HTML that is safe to put in a page.
//!
//! An operator's text must never become a way to run script in a subscriber's browser,
//! whoever set it (a careless copy-paste, a stolen operator account). So rich texts are
//! Markdown, never raw HTML: [`markdown_to_html`] renders headings, emphasis, lists,
//! tables and links, shows any HTML the text contains as text, keeps only links to
//! `http`, `https`, `mailto`, `tel` or a path of the site, and shows an image as its
//! description (pages load nothing from elsewhere).
//!
//! ```
//! use owums_core::richtext::markdown_to_html;
//! let html = markdown_to_html("Call **800 123 456** or [write](mailto:help@example.org).");
//! assert_eq!(html, "<p>Call <strong>800 123 456</strong> or <a href=\"mailto:help@example.org\">write</a>.</p>\n");
//! let html = markdown_to_html("<script>alert(1)</script>\n\nA [trap](javascript:alert(1)).");
//! assert_eq!(html, "&lt;script&gt;alert(1)&lt;/script&gt;\n<p>A trap.</p>\n");
//! ```

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Renders `markdown` to HTML safe to insert into a page unescaped (see the module docs
/// for what is kept).
pub fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Which open links were dropped, so their end tags are dropped too.
    let mut dropped_links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link { dest_url, .. }) if !safe_link(&dest_url) => {
            dropped_links.push(true);
            None
        }
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            dropped_links.push(false);
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => match dropped_links.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events);
    out
}

/// Whether a link target may be kept: a path of this site, or one of a few harmless
/// schemes. Anything else (`javascript:`, `data:`, `vbscript:`, a scheme hidden behind
/// control characters) is dropped.
fn safe_link(url: &str) -> bool {
    let url = url.trim();
    if url.chars().any(char::is_control) {
        return false;
    }
    match url.find(':') {
        // No scheme: a relative link, unless a `/` or `?` or `#` comes first, the colon is
        // part of the path or query.
        None => true,
        Some(colon) => {
            if url[..colon].contains(['/', '?', '#']) {
                return true;
            }
            let scheme = url[..colon].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_shown_as_text() {
        let html =
            markdown_to_html("<b onmouseover=x>hi</b>\n\n<div>\n<script>x()</script>\n</div>");
        assert!(!html.contains("<b ") && !html.contains("<script") && !html.contains("<div"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_harmless_links_are_kept() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "java&#9;script:x",
            "&#106;avascript:x",
        ] {
            let html = markdown_to_html(&format!("[click]({bad})"));
            assert_eq!(html, "<p>click</p>\n", "{bad}");
        }
        for good in [
            "https://example.org/a",
            "http://example.org",
            "mailto:a@example.org",
            "tel:+39800123456",
            "/account/login",
            "#top",
            "help?x=a:b",
        ] {
            let html = markdown_to_html(&format!("[click]({good})"));
            assert!(html.contains("<a href="), "{good}: {html}");
        }
    }

    #[test]
    fn images_show_their_description_and_load_nothing() {
        let html = markdown_to_html("![our logo](https://cdn.example.org/logo.png)");
        assert_eq!(html, "<p>our logo</p>\n");
    }

    #[test]
    fn a_dropped_link_inside_a_kept_one_keeps_the_tags_balanced() {
        let html = markdown_to_html("[a](/x) and [b](javascript:y) and [c](/z)");
        assert_eq!(
            html,
            "<p><a href=\"/x\">a</a> and b and <a href=\"/z\">c</a></p>\n"
        );
    }

    #[test]
    fn markdown_formatting_survives() {
        let html = markdown_to_html("# Wi-Fi\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<h1>Wi-Fi</h1>") && html.contains("<li>two</li>"));
        assert!(html.contains("<table>"));
    }
}
