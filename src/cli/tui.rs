//! The status screen of `posture watch`: the reading against the threshold, the state, the
//! session's time watched and in good posture, the last alert, and the keys. Drawn on stderr
//! (stdout may carry `--events -`); the keys become [`Command`]s the watch loop applies.
//!
//! The terminal is restored however the watch ends: quit, Ctrl-C, an error (the [`Screen`] is
//! dropped) or a panic (a hook restores it before the panic message is printed).

use crate::assess::Thresholds;
use crate::measures::{Reason, View};
use crate::monitor::policy::{until_tomorrow_s, Level, State};
use crate::monitor::{Command, EventBody, EventRecord};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Terminal;
use std::io::Stderr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::Duration;

/// A snooze from `s`, and from `S`.
const SNOOZE_SHORT_S: f64 = 15.0 * 60.0;
const SNOOZE_LONG_S: f64 = 60.0 * 60.0;
/// Status events further apart than this do not join into time in good posture.
const MAX_STATUS_GAP_S: f64 = 2.0;

/// A key the user pressed, before it is known what it means in the current state.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    PauseOrResume,
    Snooze {
        seconds: f64,
    },
    /// Until tomorrow morning: how long is known only when it is pressed.
    SnoozeUntilTomorrow,
    Recalibrate,
    Quit,
}

fn key_of(code: KeyCode) -> Option<Key> {
    match code {
        KeyCode::Char('p') => Some(Key::PauseOrResume),
        KeyCode::Char('s') => Some(Key::Snooze {
            seconds: SNOOZE_SHORT_S,
        }),
        KeyCode::Char('S') => Some(Key::Snooze { seconds: SNOOZE_LONG_S }),
        KeyCode::Char('t') => Some(Key::SnoozeUntilTomorrow),
        KeyCode::Char('c') => Some(Key::Recalibrate),
        KeyCode::Char('q') | KeyCode::Esc => Some(Key::Quit),
        _ => None,
    }
}

/// What the screen shows, from the events so far (no terminal needed).
#[derive(Debug, Clone, Default)]
pub struct Shown {
    t_s: f64,
    view: Option<View>,
    cva_deg: Option<f32>,
    forward_head: Option<crate::assess::ForwardHead>,
    looking_down: Option<bool>,
    reason: Option<Reason>,
    level: Option<Level>,
    state: Option<State>,
    last_status_s: Option<f64>,
    good_s: f64,
    last_alert: Option<(f64, &'static str)>,
    calibrated: bool,
    /// Until when the last snooze holds (watch time).
    snoozed_until_s: Option<f64>,
    /// The latest notice (a warning, a calibration).
    notice: Option<String>,
}

impl Shown {
    pub fn update(&mut self, event: &EventRecord) {
        self.t_s = self.t_s.max(event.t_s);
        match &event.body {
            EventBody::Status {
                view,
                cva_deg,
                forward_head,
                looking_down,
                reason,
                level,
                state,
            } => {
                // The time since the last status was in good posture if that status said so
                // and the user was watched.
                if let Some(last) = self.last_status_s {
                    let dt = event.t_s - last;
                    if self.level == Some(Level::Good) && self.state != Some(State::Paused) && dt <= MAX_STATUS_GAP_S {
                        self.good_s += dt.max(0.0);
                    }
                }
                self.last_status_s = Some(event.t_s);
                self.view = Some(*view);
                self.cva_deg = *cva_deg;
                self.forward_head = *forward_head;
                self.looking_down = *looking_down;
                self.reason = *reason;
                self.level = *level;
                self.state = Some(*state);
            }
            EventBody::Calibrating { seconds } => {
                self.notice = Some(format!("sit upright: recording your baseline for {seconds:.0} s"));
            }
            EventBody::Calibrated { view, frames, .. } => {
                self.calibrated = true;
                self.notice = Some(format!("baseline recorded ({}, {frames} frames)", view.as_str()));
            }
            EventBody::AlertStart { .. } => self.last_alert = Some((event.t_s, "forward head")),
            EventBody::Snoozed { until_s } => self.snoozed_until_s = Some(*until_s),
            EventBody::CameraReleased => self.notice = Some("camera off while paused or snoozed".into()),
            EventBody::CameraReopened => self.notice = Some("camera on again".into()),
            EventBody::CameraUnavailable { error, .. } => {
                self.notice = Some(format!("camera unavailable ({error}); trying again every few seconds"));
            }
            EventBody::AlertEnd { .. } | EventBody::Away | EventBody::Back | EventBody::Paused | EventBody::Resumed => {
            }
        }
    }

    pub fn notice(&mut self, text: String) {
        self.notice = Some(text);
    }

    /// The state as shown: a snooze with the time it has left.
    fn state_text(&self) -> String {
        match (self.state, self.snoozed_until_s) {
            (Some(State::Snoozed), Some(until)) => format!("snoozed ({} left)", clock(until - self.t_s)),
            (state, _) => state_name(state).to_string(),
        }
    }

    /// What `p` means now.
    fn pause_or_resume(&self) -> Command {
        if self.state == Some(State::Paused) {
            Command::Resume
        } else {
            Command::Pause
        }
    }

    fn reading_line(&self, thresholds: &Thresholds) -> String {
        match (self.view, self.reason) {
            (None, _) => "waiting for the first frame".into(),
            (Some(_), Some(reason)) => format!("no reading: {}", reason.describe()),
            (Some(View::SideLeft | View::SideRight), None) => match (self.cva_deg, self.forward_head) {
                (Some(cva), class) => format!(
                    "CVA {cva:.1}° (forward head below {:.0}°): {}",
                    thresholds.cva_forward_deg,
                    class.map_or("unclassified", |c| c.as_str())
                ),
                (None, _) => "side view, no angle yet".into(),
            },
            (Some(view), None) => {
                let head = self.forward_head.map_or("unclassified", |c| c.as_str());
                let down = match self.looking_down {
                    Some(true) => "looking down",
                    Some(false) => "not looking down",
                    None => "looking down unknown",
                };
                format!("{} view vs baseline: head {head}, {down}", view.as_str())
            }
        }
    }
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn state_name(state: Option<State>) -> &'static str {
    match state {
        None => "starting",
        Some(State::Ok) => "ok",
        Some(State::Pending) => "pending",
        Some(State::Alerting) => "alerting",
        Some(State::Away) => "away",
        Some(State::Paused) => "paused",
        Some(State::Snoozed) => "snoozed",
    }
}

/// Seconds since local midnight now (the C library's idea of the time zone).
fn local_time_of_day_s() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = libc::time_t::try_from(now).unwrap_or(0);
    // SAFETY: localtime_r writes only into `tm`, which lives for the call; a zeroed `tm` is
    // a valid value of this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        // No local time to be had: UTC's time of day.
        return (now % 86_400) as f64;
    }
    f64::from(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec)
}

/// Put the terminal back as it was: cooked mode, the main screen, a cursor.
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(std::io::stderr(), terminal::LeaveAlternateScreen, cursor::Show);
}

pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stderr>>,
    keys: Receiver<Key>,
    done: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    thresholds: Thresholds,
    pub shown: Shown,
}

impl Screen {
    /// Take over the terminal on stderr and start reading keys.
    pub fn start(thresholds: Thresholds) -> std::io::Result<Screen> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode()?;
        let started = execute!(std::io::stderr(), terminal::EnterAlternateScreen, cursor::Hide)
            .and_then(|()| Terminal::new(CrosstermBackend::new(std::io::stderr())));
        let terminal = match started {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        let (send, keys) = mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let reader_done = Arc::clone(&done);
        let reader = std::thread::spawn(move || {
            let mut interrupted = false;
            while !reader_done.load(Ordering::Relaxed) {
                let Ok(true) = event::poll(Duration::from_millis(100)) else {
                    continue;
                };
                let Ok(Event::Key(key)) = event::read() else {
                    continue;
                };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                    // Raw mode keeps Ctrl-C from the terminal's signal: raise it, so the watch
                    // stops as Ctrl-C stops it anywhere (exit status 130). Once: a second
                    // SIGINT ends the process at once, before the terminal is restored.
                    if !interrupted {
                        interrupted = true;
                        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGINT);
                    }
                    continue;
                }
                if let Some(k) = key_of(key.code) {
                    if send.send(k).is_err() {
                        break;
                    }
                }
            }
        });
        let mut screen = Screen {
            terminal,
            keys,
            done,
            reader: Some(reader),
            thresholds,
            shown: Shown::default(),
        };
        screen.draw();
        Ok(screen)
    }

    /// The commands from the keys pressed since the last call.
    pub fn commands(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        while let Ok(key) = self.keys.try_recv() {
            out.push(match key {
                Key::PauseOrResume => self.shown.pause_or_resume(),
                Key::Snooze { seconds } => Command::Snooze { seconds },
                Key::SnoozeUntilTomorrow => Command::Snooze {
                    seconds: until_tomorrow_s(local_time_of_day_s()),
                },
                Key::Recalibrate => Command::Recalibrate,
                Key::Quit => Command::Quit,
            });
        }
        out
    }

    pub fn update(&mut self, event: &EventRecord) {
        self.shown.update(event);
        self.draw();
    }

    pub fn notice(&mut self, text: String) {
        self.shown.notice(text);
        self.draw();
    }

    fn draw(&mut self) {
        let shown = &self.shown;
        let reading = shown.reading_line(&self.thresholds);
        let state = shown.state_text();
        let state_style = match shown.state {
            Some(State::Alerting) => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Some(State::Pending) => Style::default().fg(Color::Yellow),
            Some(State::Ok) => Style::default().fg(Color::Green),
            _ => Style::default().add_modifier(Modifier::DIM),
        };
        let share = if shown.t_s > 0.0 {
            format!(" ({:.0}%)", 100.0 * shown.good_s / shown.t_s)
        } else {
            String::new()
        };
        let alert = shown
            .last_alert
            .map_or("none yet".to_string(), |(t, what)| format!("{what} at {}", clock(t)));
        let mut lines = vec![
            Line::from(vec![Span::raw("State:   "), Span::styled(state, state_style)]),
            Line::from(format!("Reading: {reading}")),
            Line::from(format!("Watched: {}", clock(shown.t_s))),
            Line::from(format!("Good posture: {}{share}", clock(shown.good_s))),
            Line::from(format!("Last alert: {alert}")),
        ];
        if let Some(notice) = &shown.notice {
            lines.push(Line::from(format!("Note: {notice}")));
        }
        let keys = Line::from("p pause/resume  s snooze 15 min  S 1 h  t until tomorrow  c recalibrate  q quit");
        let _ = self.terminal.draw(|frame| {
            let [body, help] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(frame.area());
            frame.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(" posture watch ")),
                body,
            );
            frame.render_widget(
                Paragraph::new(keys).style(Style::default().add_modifier(Modifier::DIM)),
                help,
            );
        });
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(t_s: f64, level: Option<Level>, state: State) -> EventRecord {
        EventRecord {
            t_s,
            body: EventBody::side_status(level, Some(53.0), state),
        }
    }

    #[test]
    fn good_posture_time_counts_good_statuses_while_watched() {
        let mut shown = Shown::default();
        shown.update(&status(0.0, Some(Level::Good), State::Ok));
        shown.update(&status(1.0, Some(Level::Forward), State::Pending));
        shown.update(&status(2.0, Some(Level::Good), State::Ok));
        shown.update(&status(3.0, Some(Level::Good), State::Paused));
        shown.update(&status(4.0, None, State::Ok));
        // A gap (a stalled camera) is not time in good posture.
        shown.update(&status(10.0, Some(Level::Good), State::Ok));
        assert_eq!(shown.good_s, 2.0);
        assert_eq!(shown.t_s, 10.0);
    }

    #[test]
    fn p_pauses_a_running_watch_and_resumes_a_paused_one() {
        let mut shown = Shown::default();
        shown.update(&status(0.0, Some(Level::Good), State::Ok));
        assert_eq!(shown.pause_or_resume(), Command::Pause);
        shown.update(&status(1.0, Some(Level::Good), State::Paused));
        assert_eq!(shown.pause_or_resume(), Command::Resume);
    }

    #[test]
    fn a_snooze_shows_the_time_it_has_left() {
        let mut shown = Shown::default();
        shown.update(&status(100.0, Some(Level::Good), State::Ok));
        shown.update(&EventRecord {
            t_s: 100.0,
            body: EventBody::Snoozed {
                until_s: 100.0 + 8.0 * 3600.0,
            },
        });
        shown.update(&status(160.0, None, State::Snoozed));
        assert_eq!(shown.state_text(), "snoozed (7:59:00 left)");
        shown.update(&status(200.0, None, State::Ok));
        assert_eq!(shown.state_text(), "ok");
    }

    #[test]
    fn the_local_time_of_day_is_within_a_day() {
        let t = local_time_of_day_s();
        assert!((0.0..86_400.0).contains(&t), "{t}");
    }

    #[test]
    fn the_keys_are_p_s_capital_s_t_c_and_q() {
        assert_eq!(key_of(KeyCode::Char('p')), Some(Key::PauseOrResume));
        assert_eq!(key_of(KeyCode::Char('s')), Some(Key::Snooze { seconds: 900.0 }));
        assert_eq!(key_of(KeyCode::Char('S')), Some(Key::Snooze { seconds: 3600.0 }));
        assert_eq!(key_of(KeyCode::Char('t')), Some(Key::SnoozeUntilTomorrow));
        assert_eq!(key_of(KeyCode::Char('c')), Some(Key::Recalibrate));
        assert_eq!(key_of(KeyCode::Char('q')), Some(Key::Quit));
        assert_eq!(key_of(KeyCode::Char('x')), None);
    }

    #[test]
    fn a_side_reading_shows_the_angle_against_the_threshold() {
        let mut shown = Shown::default();
        shown.update(&status(0.0, Some(Level::Good), State::Ok));
        let line = shown.reading_line(&Thresholds::default());
        assert!(line.contains("CVA 53.0°") && line.contains("below 50°"), "{line}");
    }
}
