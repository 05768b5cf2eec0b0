//! Bar charts drawn on the server as SVG: pictures that need no script and no external
//! library, readable by screen readers through their title and a per-bar `<title>`.
//!
//! The SVG has no `viewBox`: it is as wide as its box (`width="100%"`, horizontal positions
//! in percent) and [`HEIGHT`] CSS pixels high, so its text keeps [`FONT_PX`] CSS pixels on a
//! phone as on a desktop instead of shrinking with the picture.

use std::fmt::Write;

use owums_core::subscriber::UsageHistory;

use super::format::short_number;
use crate::i18n::Translator;

/// One series: a name, a CSS colour and one value per day.
#[derive(Debug)]
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) color: &'a str,
    pub(crate) values: Vec<f64>,
}

/// Height in CSS pixels.
const HEIGHT: f64 = 250.0;
/// Room for the legend above the plot, and for the day labels below it (pixels).
const TOP: f64 = 34.0;
const BOTTOM: f64 = 28.0;
/// The axis labels' column and the right margin, in percent of the width.
const LEFT: f64 = 12.0;
const RIGHT: f64 = 4.0;
/// Size of every text, in CSS pixels.
pub(crate) const FONT_PX: u32 = 12;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for four grid intervals reaching `max` (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
/// times a power of ten).
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 0.25;
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    for step in [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if raw <= step * magnitude * (1.0 + 1e-9) {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// An SVG bar chart with element id `id`, one group of bars per label; numbers are written
/// in language `lang`. On narrow screens every second day is labelled, counting back from
/// the last.
pub(crate) fn bar_chart(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    lang: &str,
) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let step = nice_step(max);
    let top = step * 4.0;
    let plot_w = 100.0 - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / labels.len().max(1) as f64;
    let bar = (slot * 0.8) / series.len().max(1) as f64;
    let id = escape(id);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" height="{HEIGHT}" font-size="{FONT_PX}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for i in 0..=4 {
        let v = step * f64::from(i);
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}%" y1="{y:.1}" x2="{:.1}%" y2="{y:.1}" stroke="#dcdcde"/><text x="{:.1}%" y="{:.1}" text-anchor="end" fill="#50575e">{}</text>"##,
            100.0 - RIGHT,
            LEFT - 1.0,
            y + 4.0,
            short_number(v, lang)
        );
    }
    let count = labels.len();
    for (d, label) in labels.iter().enumerate() {
        let x0 = LEFT + slot * d as f64 + slot * 0.1;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(d).copied().unwrap_or(0.0).max(0.0);
            let h = plot_h * v / top;
            let _ = write!(
                svg,
                r#"<rect x="{:.2}%" y="{:.1}" width="{:.2}%" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                x0 + bar * k as f64,
                TOP + plot_h - h,
                bar,
                escape(s.color),
                escape(label),
                escape(s.name),
                short_number((v * 10.0).round() / 10.0, lang)
            );
        }
        if (count - 1 - d).is_multiple_of(2) {
            let _ = write!(
                svg,
                r##"<text x="{:.2}%" y="{:.1}" text-anchor="middle" fill="#50575e">{}</text>"##,
                x0 + slot * 0.4,
                HEIGHT - 10.0,
                escape(label)
            );
        }
    }
    let mut x = 2.0;
    for s in series.iter().filter(|_| series.len() > 1) {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="6" width="12" height="12" fill="{}"/><text x="{:.1}" y="17" fill="#1d2327">{}</text>"##,
            escape(s.color),
            x + 16.0,
            escape(s.name)
        );
        x += 28.0 + 7.5 * s.name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

/// The two charts of 14 days of usage (the account page's and the console's user page's).
pub(crate) struct UsageCharts {
    /// The traffic chart's title, naming its unit.
    pub(crate) traffic_title: String,
    /// Upload and download per day, SVG.
    pub(crate) traffic_chart: String,
    /// Minutes online per day, SVG.
    pub(crate) time_chart: String,
}

/// Octets in a day's traffic chart: MiB, or GiB when a day passed 1 GiB.
fn traffic_unit(max_octets: u64) -> (&'static str, f64) {
    const MIB: f64 = 1024.0 * 1024.0;
    if max_octets as f64 >= 1024.0 * MIB {
        ("GiB", 1024.0 * MIB)
    } else {
        ("MiB", MIB)
    }
}

/// The traffic and time charts of `usage`, in the language of `tr`.
pub(crate) fn usage_charts(tr: &Translator, usage: &UsageHistory) -> UsageCharts {
    let lang = tr.lang();
    let labels: Vec<String> = usage
        .days
        .iter()
        .map(|d| d.date.format("%d/%m").to_string())
        .collect();
    let max_octets = usage
        .days
        .iter()
        .map(|d| d.input_octets.max(d.output_octets))
        .max()
        .unwrap_or(0);
    let (unit, per_unit) = traffic_unit(max_octets);
    let in_unit = |n: u64| n as f64 / per_unit;
    let traffic_title = tr.t_with("chart-traffic", (("unit", unit),));
    let upload = tr.t("chart-upload");
    let download = tr.t("chart-download");
    let minutes = tr.t("chart-minutes");
    let traffic_chart = bar_chart(
        "traffic-chart",
        &traffic_title,
        &labels,
        &[
            Series {
                name: &upload,
                color: "#0a5ea8",
                values: usage.days.iter().map(|d| in_unit(d.input_octets)).collect(),
            },
            Series {
                name: &download,
                color: "#00a32a",
                values: usage
                    .days
                    .iter()
                    .map(|d| in_unit(d.output_octets))
                    .collect(),
            },
        ],
        lang,
    );
    let time_chart = bar_chart(
        "time-chart",
        &tr.t("chart-time"),
        &labels,
        &[Series {
            name: &minutes,
            color: "#8c5e0a",
            values: usage.days.iter().map(|d| d.seconds as f64 / 60.0).collect(),
        }],
        lang,
    );
    UsageCharts {
        traffic_title,
        traffic_chart,
        time_chart,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(0.0), 0.25);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(10.0), 2.5);
        assert_eq!(nice_step(12.0), 3.0);
        assert_eq!(nice_step(450.0), 150.0);
        assert_eq!(nice_step(0.9), 0.25);
    }

    #[test]
    fn bars_scale_to_values_and_text_is_escaped() {
        let labels = vec!["1".to_owned(), "2".to_owned()];
        let svg = bar_chart(
            "c",
            "A <b>",
            &labels,
            &[Series {
                name: "x&y",
                color: "#123",
                values: vec![0.0, 10.0],
            }],
            "en",
        );
        assert!(svg.starts_with(r#"<svg id="c""#));
        assert!(svg.contains("A &lt;b&gt;"));
        assert!(svg.contains("x&amp;y: 10"));
        // the 10 bar fills the plot height (250 - 34 - 28), the 0 bar is flat
        assert!(svg.contains(r#"height="188.0""#), "{svg}");
        assert!(svg.contains(r#"height="0.0""#));
    }

    #[test]
    fn text_is_not_scaled_and_numbers_follow_the_language() {
        let labels: Vec<String> = (1..=14).map(|d| format!("{d:02}/01")).collect();
        let svg = bar_chart(
            "t",
            "T",
            &labels,
            &[Series {
                name: "s",
                color: "#123",
                values: vec![0.9; 14],
            }],
            "it",
        );
        assert!(!svg.contains("viewBox"), "{svg}");
        assert!(svg.contains(r#"width="100%" height="250" font-size="12""#));
        // steps of 0.25 written with a comma; the last day is labelled, every second one
        assert!(
            svg.contains(">0,25</text>") && svg.contains(">0,75</text>"),
            "{svg}"
        );
        assert!(svg.contains(">14/01</text>") && svg.contains(">12/01</text>"));
        assert!(!svg.contains(">13/01</text>"));
        assert!(svg.contains("14/01 s: 0,9"));
    }
}
