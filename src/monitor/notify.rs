//! Telling the user an alert started: a desktop notification (freedesktop notifications over
//! D-Bus), or, where no notification service runs, the terminal bell after one warning. Never
//! a crash: a notification that fails falls back to the bell for the rest of the watch.
//!
//! The watch loop only sees an [`AlertSink`]; which one is a pure function ([`choose_sink`]).

use super::watch::{AlertKind, EventBody, EventRecord};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Where an alert goes.
pub trait AlertSink {
    /// An alert of `kind` started; an error says why it could not be shown.
    fn alert(&mut self, kind: AlertKind) -> Result<(), String>;
}

/// Which sink a watch uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkChoice {
    /// `--no-notify`: nothing beyond the screen and the events.
    Off,
    Desktop,
    /// No notification service: the bell, after this warning.
    Bell {
        why: String,
    },
}

/// The sink for a watch: off with `--no-notify`; the desktop when a D-Bus session bus is
/// there (`DBUS_SESSION_BUS_ADDRESS`, or the `bus` socket in `XDG_RUNTIME_DIR`); else the bell.
pub fn choose_sink(no_notify: bool, bus_address: Option<&str>, runtime_bus_exists: bool) -> SinkChoice {
    if no_notify {
        SinkChoice::Off
    } else if bus_address.is_some_and(|a| !a.is_empty()) || runtime_bus_exists {
        SinkChoice::Desktop
    } else {
        SinkChoice::Bell {
            why: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into(),
        }
    }
}

/// [`choose_sink`] from this process's environment.
pub fn choose_sink_here(no_notify: bool) -> SinkChoice {
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .is_some_and(|d| Path::new(&d).join("bus").exists());
    choose_sink(no_notify, address.as_deref(), runtime_bus)
}

/// A desktop notification through the session's notification service.
pub struct Desktop;

impl AlertSink for Desktop {
    fn alert(&mut self, kind: AlertKind) -> Result<(), String> {
        let AlertKind::ForwardHead = kind;
        notify_rust::Notification::new()
            .appname("posture")
            .summary("Forward head for a while")
            .body("Sit back and lift your head.")
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The terminal bell on stderr (only when it is a terminal: elsewhere it is noise).
pub struct Bell;

impl AlertSink for Bell {
    fn alert(&mut self, _kind: AlertKind) -> Result<(), String> {
        let mut err = std::io::stderr();
        if err.is_terminal() {
            let _ = err.write_all(b"\x07").and_then(|()| err.flush());
        }
        Ok(())
    }
}

/// Sends each alert start to a sink, falling back to another (the bell) once the first fails
/// or is unavailable; the warning to show comes back once.
pub struct Notifier {
    sink: Option<Box<dyn AlertSink>>,
    fallback: Option<Box<dyn AlertSink>>,
    /// A warning still to be said at the first alert.
    pending_warning: Option<String>,
}

impl Notifier {
    pub fn new(sink: Option<Box<dyn AlertSink>>, fallback: Box<dyn AlertSink>, warning: Option<String>) -> Notifier {
        Notifier {
            sink,
            fallback: Some(fallback),
            pending_warning: warning,
        }
    }

    /// The notifier for `choice` with the real sinks.
    pub fn for_choice(choice: SinkChoice) -> Notifier {
        match choice {
            SinkChoice::Off => Notifier {
                sink: None,
                fallback: None,
                pending_warning: None,
            },
            SinkChoice::Desktop => Notifier::new(Some(Box::new(Desktop)), Box::new(Bell), None),
            SinkChoice::Bell { why } => Notifier::new(None, Box::new(Bell), Some(why)),
        }
    }

    /// Pass `event` on if it starts an alert; a warning to show, at most once a watch.
    pub fn on_event(&mut self, event: &EventRecord) -> Option<String> {
        let EventBody::AlertStart { kind } = event.body else {
            return None;
        };
        if let Some(sink) = self.sink.as_mut() {
            match sink.alert(kind) {
                Ok(()) => return None,
                Err(e) => {
                    self.sink = None;
                    self.pending_warning = Some(format!("the desktop notification failed ({e})"));
                }
            }
        }
        let fallback = self.fallback.as_mut()?;
        let _ = fallback.alert(kind);
        self.pending_warning
            .take()
            .map(|why| format!("warning: no desktop notifications: {why}; the terminal bell instead"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn the_sink_is_off_with_no_notify_the_desktop_with_a_bus_else_the_bell() {
        assert_eq!(
            choose_sink(true, Some("unix:path=/run/user/1000/bus"), true),
            SinkChoice::Off
        );
        assert_eq!(choose_sink(false, Some("unix:path=/x"), false), SinkChoice::Desktop);
        assert_eq!(choose_sink(false, None, true), SinkChoice::Desktop);
        for address in [None, Some("")] {
            match choose_sink(false, address, false) {
                SinkChoice::Bell { why } => assert!(why.contains("D-Bus"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
    }

    struct Counting {
        calls: Rc<Cell<u32>>,
        fails: bool,
    }

    impl AlertSink for Counting {
        fn alert(&mut self, _kind: AlertKind) -> Result<(), String> {
            self.calls.set(self.calls.get() + 1);
            if self.fails {
                Err("org.freedesktop.Notifications was not provided".into())
            } else {
                Ok(())
            }
        }
    }

    fn start(t_s: f64) -> EventRecord {
        EventRecord {
            t_s,
            body: EventBody::AlertStart {
                kind: AlertKind::ForwardHead,
            },
        }
    }

    fn counting(fails: bool) -> (Box<dyn AlertSink>, Rc<Cell<u32>>) {
        let calls = Rc::new(Cell::new(0));
        let sink = Counting {
            calls: Rc::clone(&calls),
            fails,
        };
        (Box::new(sink), calls)
    }

    #[test]
    fn a_failing_notification_warns_once_and_rings_the_bell_from_then_on() {
        let (desktop, desktop_calls) = counting(true);
        let (bell, bell_calls) = counting(false);
        let mut n = Notifier::new(Some(desktop), bell, None);
        let first = n.on_event(&start(20.0)).unwrap();
        assert!(first.contains("warning") && first.contains("not provided"), "{first}");
        assert_eq!(n.on_event(&start(100.0)), None);
        assert_eq!(n.on_event(&start(200.0)), None);
        assert_eq!((desktop_calls.get(), bell_calls.get()), (1, 3));
    }

    #[test]
    fn a_working_notification_says_nothing_and_other_events_go_nowhere() {
        let (desktop, desktop_calls) = counting(false);
        let (bell, bell_calls) = counting(false);
        let mut n = Notifier::new(Some(desktop), bell, None);
        assert_eq!(n.on_event(&start(20.0)), None);
        let away = EventRecord {
            t_s: 30.0,
            body: EventBody::Away,
        };
        assert_eq!(n.on_event(&away), None);
        assert_eq!((desktop_calls.get(), bell_calls.get()), (1, 0));
    }

    #[test]
    fn without_a_bus_the_warning_comes_with_the_first_alert_only() {
        let (bell, bell_calls) = counting(false);
        let mut n = Notifier::new(None, bell, Some("no D-Bus session bus".into()));
        assert!(n.on_event(&start(20.0)).unwrap().contains("no D-Bus session bus"));
        assert_eq!(n.on_event(&start(90.0)), None);
        assert_eq!(bell_calls.get(), 2);
        let mut off = Notifier::for_choice(SinkChoice::Off);
        assert_eq!(off.on_event(&start(20.0)), None);
    }
}
