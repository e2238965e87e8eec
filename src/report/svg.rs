//! Hand-written inline SVG: the norm band with the latest reading, and the history plot.
//! (No `xmlns`: inline SVG in HTML needs none, and the report holds no URL at all.)

use crate::assess::Thresholds;
use crate::visit::history::HistoryEntry;
use std::fmt::Write;

const SEVERE: &str = "#f3c1c1";
const FORWARD: &str = "#f8dcdc";
const BORDERLINE: &str = "#fbe8c4";
const NORMAL: &str = "#d7eed8";
const POINT: &str = "#1f5fbf";
const OTHER: &str = "#9aa1ad";

/// The bands of the CVA scale from `lo` to `hi` degrees: (from, to, colour, label).
fn bands(t: &Thresholds, lo: f32, hi: f32) -> [(f32, f32, &'static str, &'static str); 4] {
    let border_lo = t.cva_forward_deg - t.cva_borderline_half_width_deg;
    let normal = t.cva_forward_deg + t.cva_borderline_half_width_deg;
    [
        (lo, t.cva_severe_deg, SEVERE, "moderate–severe"),
        (t.cva_severe_deg, border_lo, FORWARD, "forward"),
        (border_lo, normal, BORDERLINE, "borderline"),
        (normal, hi, NORMAL, "normal"),
    ]
}

/// A horizontal CVA scale with the norm bands, the reading and its interval.
pub fn norm_band(cva: f32, ci95: Option<(f32, f32)>, t: &Thresholds) -> String {
    let (lo, hi) = (32.0f32.min(cva - 3.0), 64.0f32.max(cva + 3.0));
    let (w, left, right) = (440.0, 10.0, 10.0);
    let x = |deg: f32| left + (deg.clamp(lo, hi) - lo) / (hi - lo) * (w - left - right);
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} 62\" width=\"100%\" role=\"img\" aria-label=\"CVA {cva:.1} degrees on the norm scale\">"
    );
    for (from, to, colour, label) in bands(t, lo, hi) {
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"14\" width=\"{:.1}\" height=\"18\" fill=\"{colour}\"/>\
<text x=\"{:.1}\" y=\"26\" font-size=\"8\" text-anchor=\"middle\" fill=\"#5b6475\">{label}</text>",
            x(from),
            x(to) - x(from),
            (x(from) + x(to)) / 2.0
        );
    }
    for deg in [
        t.cva_severe_deg,
        t.cva_forward_deg - t.cva_borderline_half_width_deg,
        t.cva_forward_deg,
        t.cva_forward_deg + t.cva_borderline_half_width_deg,
    ] {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"44\" font-size=\"9\" text-anchor=\"middle\" fill=\"#5b6475\">{deg}</text>",
            x(deg)
        );
    }
    if let Some((a, b)) = ci95 {
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"19\" width=\"{:.1}\" height=\"8\" fill=\"{POINT}\" opacity=\"0.35\"/>",
            x(a),
            (x(b) - x(a)).max(1.0)
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"11\" y2=\"35\" stroke=\"{POINT}\" stroke-width=\"3\"/>\
<text x=\"{0:.1}\" y=\"58\" font-size=\"11\" font-weight=\"700\" text-anchor=\"middle\" fill=\"{POINT}\">{cva:.1}°</text></svg>",
        x(cva)
    );
    s
}

/// Median CVA and interval per visit over the shaded norm bands; entries not comparable with
/// the first visit drawn hollow and grey.
pub fn history(entries: &[&HistoryEntry], t: &Thresholds) -> String {
    let values = entries.iter().flat_map(|e| {
        let c = e.cva_deg.unwrap_or(50.0);
        let (a, b) = e.ci95.unwrap_or((c, c));
        [a, b]
    });
    let (min, max) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = (min - 3.0).min(35.0).div_euclid(5.0) * 5.0;
    let hi = ((max + 3.0).max(65.0) / 5.0).ceil() * 5.0;
    let (w, h) = (680.0f32, 250.0f32);
    let (left, right, top, bottom) = (44.0, 14.0, 10.0, 44.0);
    let y = |deg: f32| top + (hi - deg.clamp(lo, hi)) / (hi - lo) * (h - top - bottom);
    let n = entries.len().max(1) as f32;
    let x = |k: usize| left + (k as f32 + 0.5) / n * (w - left - right);
    let mut s = format!("<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"CVA over visits\">");
    for (from, to, colour, label) in bands(t, lo, hi) {
        let _ = write!(
            s,
            "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"end\" fill=\"#5b6475\">{label}</text>",
            y(to),
            w - left - right,
            y(from) - y(to),
            w - right - 3.0,
            y(to) + 10.0
        );
    }
    let mut deg = lo;
    while deg <= hi {
        let (x2, yy, tx) = (w - right, y(deg), left - 4.0);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{x2:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\
<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#5b6475\">{deg}°</text>",
            ty = yy + 3.5
        );
        deg += 5.0;
    }
    let comparable: Vec<(usize, f32)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.comparable)
        .filter_map(|(k, e)| e.cva_deg.map(|c| (k, c)))
        .collect();
    if comparable.len() > 1 {
        let points: Vec<String> = comparable
            .iter()
            .map(|(k, c)| format!("{:.1},{:.1}", x(*k), y(*c)))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{POINT}\" stroke-width=\"1.2\" opacity=\"0.6\"/>",
            points.join(" ")
        );
    }
    for (k, e) in entries.iter().enumerate() {
        let Some(c) = e.cva_deg else { continue };
        let colour = if e.comparable { POINT } else { OTHER };
        if let Some((a, b)) = e.ci95 {
            let _ = write!(
                s,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
<line x1=\"{3:.1}\" x2=\"{4:.1}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
<line x1=\"{3:.1}\" x2=\"{4:.1}\" y1=\"{2:.1}\" y2=\"{2:.1}\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                x(k),
                y(a),
                y(b),
                x(k) - 5.0,
                x(k) + 5.0
            );
        }
        let fill = if e.comparable { POINT } else { "#ffffff" };
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.5\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
<text x=\"{0:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1d2330\">{c:.1}</text>\
<text x=\"{0:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6475\">visit {}</text>\
<text x=\"{0:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#5b6475\">{}</text>",
            x(k),
            y(c),
            y(c) - 8.0,
            h - bottom + 16.0,
            e.visit,
            h - bottom + 29.0,
            super::date_of(&e.date)
        );
    }
    s.push_str("</svg>");
    s
}
