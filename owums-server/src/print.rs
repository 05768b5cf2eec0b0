//! Printable tickets as PDF: the card an operator hands a subscriber (username and
//! password), one per account created at a desk or many on a sheet of vouchers.
//!
//! The PDF is written with `pdf-writer` using the standard fonts every PDF reader has
//! (Helvetica, and Courier for what must be typed exactly), so nothing is embedded and a
//! sheet of a thousand vouchers stays small. Cards sit in a grid of two columns and five
//! rows on A4 pages, with dashed cut lines. The standard fonts cover Western European
//! text (Windows-1252); any other character prints as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// One card: a heading, labelled values, a line of small print.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ticket {
    /// The first line, in bold (the network's name, the batch).
    pub(crate) heading: String,
    /// Label and value pairs; `exact` values (username, password) print in a typewriter
    /// font so `l`, `1` and `I` differ.
    pub(crate) fields: Vec<TicketField>,
    /// Small print at the bottom (how to connect, the validity).
    pub(crate) footer: String,
}

/// One labelled value of a [`Ticket`].
#[derive(Debug, Clone)]
pub(crate) struct TicketField {
    pub(crate) label: String,
    pub(crate) value: String,
    pub(crate) exact: bool,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 28.0;
const COLUMNS: usize = 2;
const ROWS: usize = 5;
const PER_PAGE: usize = COLUMNS * ROWS;
const CARD_W: f32 = (PAGE_W - 2.0 * MARGIN) / COLUMNS as f32;
const CARD_H: f32 = (PAGE_H - 2.0 * MARGIN) / ROWS as f32;

const SANS: Name<'static> = Name(b"F1");
const SANS_BOLD: Name<'static> = Name(b"F2");
const MONO: Name<'static> = Name(b"F3");

/// A PDF of `tickets`, ten to a page (at least one page, empty if there is no ticket).
pub(crate) fn tickets_pdf(title: &str, tickets: &[Ticket]) -> Vec<u8> {
    let pages = tickets.len().div_ceil(PER_PAGE).max(1);
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [Ref::new(4), Ref::new(5), Ref::new(6)];
    let first_page = 7;
    let page_ref = |n: usize| Ref::new((first_page + 2 * n) as i32);
    let content_ref = |n: usize| Ref::new((first_page + 2 * n + 1) as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages).map(page_ref))
        .count(pages as i32);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr("owums"));
    for (font, base) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Courier-Bold"])
    {
        pdf.type1_font(*font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for n in 0..pages {
        let mut page = pdf.page(page_ref(n));
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_ref(n));
        let mut resources = page.resources();
        let mut font_dict = resources.fonts();
        for (name, font) in [SANS, SANS_BOLD, MONO].into_iter().zip(fonts) {
            font_dict.pair(name, font);
        }
        font_dict.finish();
        resources.finish();
        page.finish();

        let start = n * PER_PAGE;
        let on_page = &tickets[start.min(tickets.len())..(start + PER_PAGE).min(tickets.len())];
        let mut content = Content::new();
        for (i, ticket) in on_page.iter().enumerate() {
            let x = MARGIN + (i % COLUMNS) as f32 * CARD_W;
            let top = PAGE_H - MARGIN - (i / COLUMNS) as f32 * CARD_H;
            draw_card(&mut content, ticket, x, top);
        }
        pdf.stream(content_ref(n), &content.finish());
    }
    pdf.finish()
}

fn draw_card(content: &mut Content, ticket: &Ticket, x: f32, top: f32) {
    // The cut line around the card.
    content
        .save_state()
        .set_stroke_gray(0.6)
        .set_line_width(0.5)
        .set_dash_pattern([4.0, 3.0], 0.0)
        .rect(x, top - CARD_H, CARD_W, CARD_H)
        .stroke()
        .restore_state();
    let left = x + 16.0;
    let mut y = top - 28.0;
    text(content, SANS_BOLD, 13.0, left, y, &ticket.heading);
    y -= 24.0;
    for field in &ticket.fields {
        text(content, SANS, 8.0, left, y, &field.label);
        let (font, size) = if field.exact {
            (MONO, 14.0)
        } else {
            (SANS, 11.0)
        };
        text(content, font, size, left + 70.0, y - 1.0, &field.value);
        y -= 20.0;
    }
    if !ticket.footer.is_empty() {
        text(
            content,
            SANS,
            7.0,
            left,
            top - CARD_H + 14.0,
            &ticket.footer,
        );
    }
}

fn text(content: &mut Content, font: Name<'_>, size: f32, x: f32, y: f32, s: &str) {
    let bytes = win_ansi(s);
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&bytes))
        .end_text();
}

/// `s` in Windows-1252, the encoding of the standard fonts; control characters and
/// characters it lacks become `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(n: usize) -> Ticket {
        Ticket {
            heading: "Wi-Fi Città (bar)".to_owned(),
            fields: vec![
                TicketField {
                    label: "Username".to_owned(),
                    value: format!("guest{n:03}"),
                    exact: true,
                },
                TicketField {
                    label: "Password".to_owned(),
                    value: "Kp7-xR4m".to_owned(),
                    exact: true,
                },
            ],
            footer: "Valid 7 days from the first login — 東京".to_owned(),
        }
    }

    #[test]
    fn ten_tickets_a_page_with_every_value_printed() {
        let tickets: Vec<Ticket> = (1..=12).map(ticket).collect();
        let pdf = tickets_pdf("Batch summer", &tickets);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 2"), "two pages for 12 tickets");
        for n in 1..=12 {
            assert!(text.contains(&format!("(guest{n:03})")), "guest{n:03}");
        }
        // Text beyond ASCII goes in as Windows-1252 bytes (hex strings), other scripts as `?`.
        let hex = |s: &str| {
            win_ansi(s)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let lower = text.to_ascii_lowercase();
        assert!(lower.contains(&hex("Wi-Fi Città (bar)")), "{text}");
        assert!(lower.contains(&hex("first login — ??")), "{text}");
        assert!(hex("Città").ends_with("e0"));
    }

    #[test]
    fn an_unbalanced_parenthesis_is_escaped() {
        let mut t = ticket(1);
        t.heading = "Bar :-)".to_owned();
        let pdf = tickets_pdf("x", &[t]);
        assert!(pdf.windows(10).any(|w| w == b"(Bar :-\\))"));
    }

    /// A real PDF reader (poppler's `pdftotext`, installed by scripts/install-peers) finds
    /// every card's text where it belongs.
    #[test]
    fn a_pdf_reader_reads_the_cards_back() {
        if std::process::Command::new("pdftotext")
            .arg("-v")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is missing: bash scripts/install-peers"
            );
            return;
        }
        let tickets: Vec<Ticket> = (1..=11).map(ticket).collect();
        let file = std::env::temp_dir().join(format!("owums-sheet-{}.pdf", std::process::id()));
        std::fs::write(&file, tickets_pdf("Batch summer", &tickets)).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        std::fs::remove_file(&file).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert_eq!(pages.len(), 2, "{text}");
        assert_eq!(pages[0].matches("Wi-Fi Città (bar)").count(), 10, "{text}");
        assert!(pages[0].contains("guest001") && pages[0].contains("guest010"));
        assert!(pages[1].contains("guest011") && !pages[1].contains("guest010"));
        assert!(pages[0].contains("Kp7-xR4m") && pages[0].contains("first login — ??"));
    }

    #[test]
    fn no_ticket_is_one_empty_page() {
        let pdf = tickets_pdf("empty", &[]);
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 1"));
    }

    #[test]
    fn control_characters_never_reach_the_page() {
        assert_eq!(win_ansi("a\u{1b}[2Jb\n€"), b"a?[2Jb?\x80");
    }
}
