//! # A line chart in SVG, by hand
//!
//! The report needs one picture: how chat delivery latency and the server's
//! cost per line change as the room grows from 10 to 1,000 clients. That is
//! two small line charts with a logarithmic x axis; SVG is plain text, so a
//! few dozen lines of `format!` draw them without a plotting library.

use std::fmt::Write;

/// One line on a panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// An SVG colour.
    pub color: &'static str,
    /// (x, y) points, x > 0 (the x axis is logarithmic).
    pub points: Vec<(f64, f64)>,
}

/// One chart: a title, a y-axis label and its lines.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Above the chart.
    pub title: String,
    /// Along the y axis.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
}

const W: f64 = 460.0;
const H: f64 = 300.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Panels side by side, sharing the x-axis label.
pub fn svg(panels: &[Panel], x_label: &str) -> String {
    let width = W * panels.len() as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" viewBox="0 0 {width} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="{width}" height="{H}" fill="white"/>"#);
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut out, panel, W * i as f64, x_label);
    }
    out.push_str("</svg>\n");
    out
}

fn draw_panel(out: &mut String, panel: &Panel, x0: f64, x_label: &str) {
    let points = panel.series.iter().flat_map(|s| s.points.iter());
    let (mut xmin, mut xmax, mut ymax) = (f64::MAX, f64::MIN, 0.0f64);
    for &(x, y) in points {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymax = ymax.max(y);
    }
    if xmin > xmax {
        (xmin, xmax) = (1.0, 10.0);
    }
    if xmin <= 0.0 {
        xmin = 1.0;
    }
    if xmax <= xmin {
        xmax = xmin * 10.0;
    }
    let ymax = nice_ceiling(if ymax > 0.0 { ymax * 1.1 } else { 1.0 });
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let px = |x: f64| x0 + LEFT + (x.ln() - xmin.ln()) / (xmax.ln() - xmin.ln()) * plot_w;
    let py = |y: f64| TOP + plot_h - y / ymax * plot_h;

    let _ = writeln!(
        out,
        r#"<text x="{}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{}</text>"#,
        x0 + W / 2.0,
        escape(&panel.title)
    );
    // Axes and grid.
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>"##,
        x0 + LEFT
    );
    let steps = divisions(ymax);
    for k in 0..=steps {
        let y = ymax * k as f64 / steps as f64;
        let _ = writeln!(
            out,
            r##"<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#ddd"/><text x="{3}" y="{4}" text-anchor="end">{5}</text>"##,
            x0 + LEFT,
            x0 + LEFT + plot_w,
            py(y),
            x0 + LEFT - 6.0,
            py(y) + 4.0,
            tick(y)
        );
    }
    let mut decade = 10f64.powf(xmin.log10().floor());
    while decade <= xmax * 1.0001 {
        for m in [1.0, 2.0, 5.0] {
            let x = decade * m;
            if x >= xmin * 0.9999 && x <= xmax * 1.0001 {
                let _ = writeln!(
                    out,
                    r##"<line x1="{0}" y1="{TOP}" x2="{0}" y2="{1}" stroke="#eee"/><text x="{0}" y="{2}" text-anchor="middle">{3}</text>"##,
                    px(x),
                    TOP + plot_h,
                    TOP + plot_h + 16.0,
                    tick(x)
                );
            }
        }
        decade *= 10.0;
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        x0 + LEFT + plot_w / 2.0,
        H - 12.0,
        escape(x_label)
    );
    let _ = writeln!(
        out,
        r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        x0 + 14.0,
        TOP + plot_h / 2.0,
        escape(&panel.y_label)
    );
    // Lines, dots and legend.
    for (i, s) in panel.series.iter().enumerate() {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            path.join(" "),
            s.color
        );
        for &(x, y) in &s.points {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                px(x),
                py(y),
                s.color
            );
        }
        let ly = TOP + 14.0 + 16.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}" stroke-width="2"/><text x="{4}" y="{5}">{6}</text>"#,
            x0 + LEFT + 10.0,
            ly,
            x0 + LEFT + 30.0,
            s.color,
            x0 + LEFT + 36.0,
            ly + 4.0,
            escape(&s.name)
        );
    }
}

/// The smallest 1, 2 or 5 × 10^k at least `v`.
fn nice_ceiling(v: f64) -> f64 {
    let decade = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * decade)
}

/// How many grid steps split `top` (1, 2 or 5 × 10^k) into round values.
fn divisions(top: f64) -> usize {
    let mantissa = top / 10f64.powf(top.log10().floor());
    if (mantissa - 2.0).abs() < 1e-9 { 4 } else { 5 }
}

/// A tick label without useless decimals: 0, 0.25, 2.5, 40.
fn tick(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_every_series_and_is_well_formed() {
        let panel = Panel {
            title: "p99 <latency>".into(),
            y_label: "ms".into(),
            series: vec![
                Series {
                    name: "ours".into(),
                    color: "#1f77b4",
                    points: vec![(10.0, 0.5), (100.0, 0.7), (1000.0, 1.2)],
                },
                Series {
                    name: "ncat".into(),
                    color: "#ff7f0e",
                    points: vec![(10.0, 3.0), (1000.0, 40.0)],
                },
            ],
        };
        let svg = svg(&[panel.clone(), panel], "clients");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 4);
        assert_eq!(svg.matches("<circle").count(), 10);
        assert!(svg.contains("p99 &lt;latency&gt;"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn ticks_are_round_values() {
        assert_eq!(divisions(50.0), 5); // 0 10 20 30 40 50
        assert_eq!(divisions(2.0), 4); // 0 0.5 1 1.5 2
        assert_eq!(divisions(1.0), 5); // 0 0.2 0.4 …
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(40.0), "40");
        assert_eq!(tick(0.25), "0.25");
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0.7), 1.0);
        assert_eq!(nice_ceiling(1.3), 2.0);
        assert_eq!(nice_ceiling(42.0), 50.0);
    }

    #[test]
    fn empty_panels_still_draw() {
        let svg = svg(
            &[Panel {
                title: "t".into(),
                y_label: "y".into(),
                series: vec![],
            }],
            "x",
        );
        assert!(!svg.contains("NaN"));
    }
}
