//! `posture report`: a patient's history ([`crate::visit::history`]) as one self-contained
//! HTML file for a therapist to file or print: inline CSS, inline SVG plots drawn here, the key
//! frame as a `data:` PNG, system fonts, an A4 print stylesheet, and no external reference of
//! any kind (it opens offline and leaks nothing). It shapes; every decision (comparable or not,
//! beyond noise or not, the class) was made before.

mod svg;

use crate::assess::ForwardHead;
use crate::visit::format::PartView;
use crate::visit::history::{History, HistoryEntry, Since};
use std::fmt::Write;

/// HTML-escape text.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (for the `data:` URI of the key frame).
pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn class_words(c: ForwardHead) -> &'static str {
    match c {
        ForwardHead::Normal => "normal",
        ForwardHead::Borderline => "borderline",
        ForwardHead::Forward => "forward head posture",
        ForwardHead::Severe => "forward head posture, moderate to severe",
    }
}

fn date_of(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

const STYLE: &str = r#"
:root { --ink:#1d2330; --mute:#5b6475; --line:#d5d9e0; --ok:#2e7d32; --warn:#b26a00; --bad:#c62828; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 190mm; padding: 12px 18px; font-size: 14px; line-height: 1.45; }
h1 { font-size: 22px; margin: 4px 0 2px; }
h2 { font-size: 16px; margin: 18px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
.sub { color: var(--mute); margin: 0 0 8px; }
.latest { display: flex; gap: 16px; align-items: flex-start; }
.latest .numbers { flex: 1 1 55%; }
.latest figure { flex: 1 1 45%; margin: 0; }
.latest img { width: 100%; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--mute); font-size: 12px; }
.big { font-size: 34px; font-weight: 700; }
.class-normal { color: var(--ok); } .class-borderline { color: var(--warn); }
.class-forward, .class-severe { color: var(--bad); }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--mute); font-weight: 600; }
.beyond { color: var(--bad); font-weight: 600; } .within { color: var(--mute); }
.warn { color: var(--warn); }
.note { background: #f4f6f9; border-left: 3px solid var(--line); padding: 6px 10px; }
.provenance td { word-break: break-all; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 10.5px; background: #f4f6f9; padding: 6px; }
svg text { font-family: inherit; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  section, figure, table, svg { break-inside: avoid; }
  .provenance pre { font-size: 8pt; }
}
"#;

/// The report as one HTML document.
pub fn html(history: &History, generated_at: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Posture report: {p}</title><style>{STYLE}</style></head><body>\n\
<h1>Posture report: patient {p}</h1><p class=\"sub\">Generated {g} by posture {v} from {n} visit(s). \
Measurements from video or photos; they support, and do not replace, the therapist's assessment.</p>\n",
        p = esc(&history.patient),
        g = esc(generated_at),
        v = crate::VERSION,
        n = history.visits.iter().map(|e| e.visit).max().unwrap_or(0),
    );
    latest(&mut o, history);
    plot(&mut o, history);
    changes(&mut o, history);
    front(&mut o, history);
    quality(&mut o, history);
    meaning(&mut o, history);
    provenance(&mut o, history);
    o.push_str("</body></html>\n");
    o
}

fn latest(o: &mut String, h: &History) {
    o.push_str("<section><h2>Latest side view: craniovertebral angle (CVA)</h2>\n");
    let Some(e) = h.latest_side() else {
        o.push_str(
            "<p>No visit has a side-view reading yet: the CVA needs the patient side-on to the camera.</p></section>\n",
        );
        return;
    };
    let cva = e.cva_deg.unwrap_or(f32::NAN);
    let t = &h.norms.thresholds;
    o.push_str("<div class=\"latest\"><div class=\"numbers\">");
    let class = e.class.map_or(("", "no class"), |c| (c.as_str(), class_words(c)));
    let _ = write!(
        o,
        "<div class=\"big\">{cva:.1}°</div><div class=\"class-{}\"><b>{}</b></div>\
<p>Visit {} on {} ({}, {}).</p><ul>",
        class.0,
        class.1,
        e.visit,
        date_of(&e.date),
        esc(&e.protocol),
        esc(&e.source)
    );
    match e.ci95 {
        Some((lo, hi)) => {
            let _ = write!(
                o,
                "<li><b>Clip interval</b> (95%, frame-to-frame variation within this recording): {lo:.1}–{hi:.1}°</li>"
            );
        }
        None if e.frames_total <= 1 => {
            o.push_str("<li><b>Clip interval</b>: none (a photo has no frame-to-frame variation to show)</li>")
        }
        None => o.push_str("<li><b>Clip interval</b>: none (too few settled frames in this clip for one)</li>"),
    }
    let _ = write!(
        o,
        "<li><b>Measurement error on validation</b>: about ±{:.1}° (mean absolute error of this method on held-out \
test renders with a known angle, docs/measures.md). The clip interval does not include it.</li>\
<li>Norms (sitting or standing, side view): normal ≥ {:.0}°, borderline {:.0}–{:.0}°, forward head &lt; {:.0}°, \
moderate to severe &lt; {:.1}°.</li></ul>",
        h.norms.validation_cva_mae_deg,
        h.norms.normal_from_deg,
        t.cva_forward_deg - t.cva_borderline_half_width_deg,
        h.norms.normal_from_deg,
        t.cva_forward_deg,
        t.cva_severe_deg
    );
    o.push_str(&svg::norm_band(cva, e.ci95, t));
    if !e.comparable {
        let _ = write!(
            o,
            "<p class=\"warn\">Not compared with earlier visits: {}.</p>",
            esc(&describe(e))
        );
    }
    o.push_str("</div>");
    if let Some(png) = &e.keyframe_png {
        let _ = write!(
            o,
            "<figure><img alt=\"Key frame of visit {}\" src=\"data:image/png;base64,{}\">\
<figcaption>The frame nearest the median: the measured person's skeleton, the ear and C7 points and the angle \
(yellow). Only the measured person is drawn when others were in view.</figcaption></figure>",
            e.visit,
            base64(png)
        );
    }
    o.push_str("</div></section>\n");
}

fn describe(e: &HistoryEntry) -> String {
    e.differences
        .iter()
        .map(|d| d.describe())
        .collect::<Vec<_>>()
        .join("; ")
}

fn plot(o: &mut String, h: &History) {
    let side: Vec<&HistoryEntry> = h
        .visits
        .iter()
        .filter(|e| e.view == PartView::Side && e.cva_deg.is_some())
        .collect();
    o.push_str("<section><h2>History</h2>\n");
    if side.is_empty() {
        o.push_str("<p>No side-view readings to plot.</p></section>\n");
        return;
    }
    o.push_str(&svg::history(&side, &h.norms.thresholds));
    o.push_str(
        "<p class=\"sub\">Median CVA per visit with its clip interval; the bands are the norms. Hollow grey points \
were recorded differently from the first visit and are not compared.</p></section>\n",
    );
}

fn changes(o: &mut String, h: &History) {
    o.push_str("<section><h2>Change</h2>\n");
    if h.changes.is_empty() {
        o.push_str("<p>Fewer than two comparable side-view readings: no change to report yet.</p></section>\n");
        return;
    }
    o.push_str("<table><tr><th>since</th><th>from</th><th>to</th><th>CVA change</th><th>noise (MDC used)</th><th>verdict</th></tr>");
    for c in &h.changes {
        let since = match c.since {
            Since::Previous => "previous visit",
            Since::First => "first visit",
        };
        let verdict = if c.beyond_noise {
            "<span class=\"beyond\">beyond measurement noise</span>"
        } else {
            "<span class=\"within\">within measurement noise</span>"
        };
        let _ = write!(
            o,
            "<tr><td>{since}</td><td>visit {} ({})</td><td>visit {} ({})</td><td>{:+.1}°</td><td>±{:.1}°</td><td>{verdict}</td></tr>",
            c.from_visit,
            date_of(&c.from),
            c.to_visit,
            date_of(&c.to),
            c.delta_deg,
            c.noise_deg
        );
    }
    let _ = write!(
        o,
        "</table><p class=\"sub\">A change counts only beyond the larger of the minimum detectable change ({:.1}°) \
and 1.96 × the combined standard errors of the two medians. Published MDCs of photographic CVA are 1.3–5.5° \
(Gallego-Izquierdo et al. 2020: 4.96° within and 5.52° between raters; Surgimap study 2023: 1.3–1.73°); \
a higher CVA means a more upright head.</p></section>",
        h.norms.thresholds.min_detectable_change_deg
    );
}

fn front(o: &mut String, h: &History) {
    let fronts: Vec<&HistoryEntry> = h.visits.iter().filter(|e| e.view == PartView::Front).collect();
    o.push_str("<section><h2>Front view</h2>\n");
    if fronts.is_empty() {
        o.push_str("<p>No front-view recordings.</p></section>\n");
        return;
    }
    o.push_str("<p class=\"sub\">From the front the angle cannot be seen; the head and shoulders are compared with the first front-view visit.</p><ul>");
    let first = fronts.iter().find(|e| e.comparable && e.frames_used > 0);
    for e in &fronts {
        let _ = write!(o, "<li>Visit {} ({}): ", e.visit, date_of(&e.date));
        if !e.comparable {
            let _ = write!(o, "<span class=\"warn\">not compared: {}</span>", esc(&describe(e)));
        } else if e.frames_used == 0 {
            o.push_str("no usable front-view frames.");
        } else if first.is_some_and(|f| f.visit == e.visit) {
            o.push_str("the baseline the later visits are compared with.");
        } else if e.front_notes.is_empty() {
            o.push_str("no change beyond measurement noise since the first visit.");
        } else {
            let words: Vec<&str> = e.front_notes.iter().map(|n| n.words).collect();
            o.push_str(&esc(&words.join(" ")));
        }
        o.push_str("</li>");
    }
    o.push_str("</ul></section>\n");
}

fn quality(o: &mut String, h: &History) {
    o.push_str(
        "<section><h2>Quality of each visit</h2><table><tr><th>visit</th><th>date</th><th>view</th><th>CVA</th>\
<th>frames used</th><th>main reasons frames were set aside</th><th>recorded with</th><th>warnings</th></tr>",
    );
    for e in &h.visits {
        let reasons: Vec<String> = e
            .set_aside
            .iter()
            .map(|(r, n)| format!("{} ({n})", r.describe()))
            .collect();
        let cva = e.cva_deg.map_or("–".to_string(), |c| match e.ci95 {
            Some((lo, hi)) => format!("{c:.1}° ({lo:.1}–{hi:.1})"),
            None => format!("{c:.1}°"),
        });
        let warn = if e.comparable {
            String::new()
        } else {
            format!("<span class=\"warn\">{}</span>", esc(&describe(e)))
        };
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{cva}</td><td>{} of {}</td><td>{}</td><td>{}<br>{}</td><td>{warn}</td></tr>",
            e.visit,
            date_of(&e.date),
            e.view.as_str(),
            e.frames_used,
            e.frames_total,
            esc(&reasons.join(", ")),
            esc(&e.protocol),
            esc(&e.source)
        );
    }
    o.push_str("</table></section>\n");
}

fn meaning(o: &mut String, h: &History) {
    let forward = h
        .latest_side()
        .and_then(|e| e.class)
        .is_some_and(|c| c != ForwardHead::Normal);
    o.push_str("<section><h2>What it means and what usually helps</h2>");
    if forward {
        o.push_str("<p>The head is held forward of the shoulders more than is usual.</p>");
    } else {
        o.push_str("<p>The latest side view is within the normal range, or there is no side reading.</p>");
    }
    o.push_str(
        "<p>A forward head with rounded shoulders is common with long desk and screen work. It is usually described \
as a muscle imbalance: the chest muscles, upper trapezius and the small muscles under the back of the skull \
(suboccipitals) become tight, while the deep neck flexors, lower trapezius and rhomboids become weak. What \
usually helps:</p><ul><li><b>Stretch the tight</b>: chest (doorway stretch), upper trapezius, suboccipitals.</li>\
<li><b>Strengthen the weak</b>: deep neck flexors (chin tucks), lower trapezius and rhomboids (rows, shoulder-blade \
squeezes). Stretching and strengthening the shoulder muscles improved forward shoulder posture in Kluemper et al. \
2006 (J Sport Rehabil).</li><li><b>Adjust the desk set-up</b>: screen at eye height and an arm's length away, \
chair supporting the lower back, breaks to move.</li></ul>\
<p class=\"note\">This report measures posture; it does not diagnose. It does not replace the therapist's \
assessment, who decides what the numbers mean for this patient and what to do.</p></section>\n",
    );
}

fn provenance(o: &mut String, h: &History) {
    o.push_str("<section class=\"provenance\"><h2>Provenance</h2><table><tr><th>visit</th><th>view</th><th>file</th><th>model</th></tr>");
    for e in &h.visits {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.visit,
            e.view.as_str(),
            esc(&e.file),
            esc(&e.model)
        );
    }
    o.push_str("</table>");
    if let Some(e) = h.latest_side().or(h.visits.last()) {
        let p = &e.record.provenance;
        let json = serde_json::to_string_pretty(p).unwrap_or_default();
        let _ = write!(
            o,
            "<p>Tool {} {}; thresholds, correction and settings of visit {} ({}):</p><pre>{}</pre>",
            esc(p.tool),
            esc(p.version),
            e.visit,
            e.view.as_str(),
            esc(&json)
        );
    }
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    }
}
