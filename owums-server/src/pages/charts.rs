//! Bar charts drawn on the server as SVG: pictures that need no script and no external
//! library, readable by screen readers through their title and a per-bar `<title>`.

use std::fmt::Write;

/// One series: a name, a CSS colour and one value per day.
#[derive(Debug)]
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) color: &'a str,
    pub(crate) values: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 28.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" upper bound for the axis (1, 2 or 5 times a power of ten).
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if max <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn number(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// An SVG bar chart with element id `id`, one group of bars per label.
pub(crate) fn bar_chart(id: &str, title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let top = nice_max(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / labels.len().max(1) as f64;
    let bar = (slot * 0.8) / series.len().max(1) as f64;
    let id = escape(id);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for i in 0..=4 {
        let v = top * f64::from(i) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dcdcde"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#50575e">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            number(v)
        );
    }
    for (d, label) in labels.iter().enumerate() {
        let x0 = LEFT + slot * d as f64 + slot * 0.1;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(d).copied().unwrap_or(0.0).max(0.0);
            let h = plot_h * v / top;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                x0 + bar * k as f64,
                TOP + plot_h - h,
                bar.max(1.0),
                escape(s.color),
                escape(label),
                escape(s.name),
                number(v)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#50575e">{}</text>"##,
            x0 + slot * 0.4,
            HEIGHT - 10.0,
            escape(label)
        );
    }
    let mut x = LEFT;
    for s in series.iter().filter(|_| series.len() > 1) {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="6" width="10" height="10" fill="{}"/><text x="{:.1}" y="15" font-size="11" fill="#1d2327">{}</text>"##,
            escape(s.color),
            x + 14.0,
            escape(s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(450.0), 500.0);
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
        );
        assert!(svg.starts_with(r#"<svg id="c""#));
        assert!(svg.contains("A &lt;b&gt;"));
        assert!(svg.contains("x&amp;y: 10"));
        // the 10 bar fills the plot height (240 - 24 - 28), the 0 bar is flat
        assert!(svg.contains(r#"height="188.0""#), "{svg}");
        assert!(svg.contains(r#"height="0.0""#));
    }
}
