//! `posture stats`: today and the last days, from the session log `posture watch` keeps.

use crate::monitor::log::{self, Totals};
use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "Monitored time is time watched (with or without a reading); the forward-head share is of the \
time with a reading. Days are local calendar days, today included. The log is $POSTURE_DATA_DIR/posture.sqlite, \
else $XDG_DATA_HOME/posture/posture.sqlite, else ~/.local/share/posture/posture.sqlite."
)]
pub struct Args {
    /// One JSON object on standard output.
    #[arg(long)]
    json: bool,
    /// How many days the longer stretch covers, today included.
    #[arg(long, default_value = "7", value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = log::default_path()?;
    let now_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64();
    let stats = log::stats(&path, now_unix_s, args.days)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        // The same object with its schema version first (README lists the fields).
        #[derive(serde::Serialize)]
        struct Versioned<'a> {
            schema: &'static str,
            #[serde(flatten)]
            stats: &'a log::Stats,
        }
        let versioned = Versioned {
            schema: "posture-stats/1",
            stats: &stats,
        };
        serde_json::to_writer(&mut out, &versioned)?;
        writeln!(out)?;
    } else {
        let last = format!("last {} days", stats.last_days.days);
        writeln!(
            out,
            "{:<14} {:>10} {:>13} {:>7}",
            "", "monitored", "forward head", "alerts"
        )?;
        for (name, totals) in [("today", &stats.today), (last.as_str(), &stats.last_days)] {
            writeln!(
                out,
                "{name:<14} {:>10} {:>13} {:>7}",
                duration(totals.monitored_s),
                share(totals),
                totals.alerts
            )?;
        }
        writeln!(out, "log: {}", stats.database.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn duration(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as u64;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

fn share(totals: &Totals) -> String {
    totals
        .forward_share
        .map_or_else(|| "-".into(), |s| format!("{:.0}%", s * 100.0))
}
