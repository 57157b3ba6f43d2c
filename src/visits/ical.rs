//! The iCalendar feed (RFC 5545) a calendar program subscribes to: a unit's confirmed
//! visits and loan periods, or a base's sessions. Written with the `icalendar` crate,
//! which escapes text and folds lines at 75 octets on character boundaries. Pure:
//! the caller gathers the events.
//!
//! Times are written in UTC (`DTSTART:20260301T013000Z`), not as Beijing local time
//! with `TZID=Asia/Shanghai`: RFC 5545 requires a VTIMEZONE for every TZID and the
//! crate cannot write one, while a UTC instant is exact and every calendar program
//! shows it in its user's own zone, which in China is Beijing time. The conversion uses
//! the library's time zone (`clock::time_zone`, Asia/Shanghai unless configured), so a
//! library run in another zone still gets the right instants.

use icalendar::{Calendar, Component, Event, EventLike, Property, ValueType};
use jiff::Timestamp;
use jiff::civil::{Date, Time};

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable across renderings (`visit-12@jingshi`), so a calendar program updates
    /// the event instead of adding a copy.
    pub uid: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub when: EventTime,
    /// When the event last changed (DTSTAMP).
    pub stamp: Timestamp,
}

/// When an event happens, in the library's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTime {
    /// A session: one day, from `start` to `end`.
    Timed { date: Date, start: Time, end: Time },
    /// Whole days, `first` to `last` inclusive (a loan period).
    AllDay { first: Date, last: Date },
}

/// The feed's text: CRLF line ends, long lines folded.
pub fn render(calendar_name: &str, events: &[FeedEvent]) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//jingshi//warning-education library//ZH",
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        // How often to fetch the feed again: RFC 7986, and the older name Outlook reads.
        .append_property(
            Property::new("REFRESH-INTERVAL", "PT1H")
                .append_parameter(ValueType::Duration)
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    // The calendar's name twice: X-WR-CALNAME, which every program reads and the crate
    // escapes, and RFC 7986's NAME, which the crate does not know as TEXT (so does not
    // escape; `Calendar::name` would leave a comma or backslash bare).
    let name = one_line(calendar_name);
    calendar
        .append_property(Property::new("NAME", escape(&name)))
        .append_property(Property::new("X-WR-CALNAME", name));
    for event in events {
        calendar.push(event_of(event));
    }
    calendar.to_string()
}

fn event_of(feed: &FeedEvent) -> Event {
    let mut event = Event::new();
    event
        .uid(&one_line(&feed.uid))
        .add_property("DTSTAMP", utc(feed.stamp))
        .summary(&one_line(&feed.summary));
    if !feed.location.trim().is_empty() {
        event.location(&one_line(&feed.location));
    }
    if !feed.description.trim().is_empty() {
        event.description(&text(&feed.description));
    }
    let timed = match feed.when {
        EventTime::Timed { date, start, end } => instant(date, start).zip(instant(date, end)),
        EventTime::AllDay { .. } => None,
    };
    match (timed, feed.when) {
        (Some((start, end)), _) => {
            event.add_property("DTSTART", utc(start));
            // A DTEND not after DTSTART is invalid; without it the event is an instant.
            if end > start {
                event.add_property("DTEND", utc(end));
            }
        }
        (None, EventTime::AllDay { first, last }) => all_day(&mut event, first, last.max(first)),
        // Only a date out of the time zone's range has no instant: keep the day.
        (None, EventTime::Timed { date, .. }) => all_day(&mut event, date, date),
    }
    event.done()
}

/// DATE values, DTEND the day after the last (RFC 5545 §3.6.1: the end is exclusive).
/// Whole-day events are marked free (TRANSP), so a loan period does not show a unit's
/// people as busy all week.
fn all_day(event: &mut Event, first: Date, last: Date) {
    let end = last.tomorrow().unwrap_or(last);
    let date = |key: &str, day: Date| {
        Property::new(key, day.strftime("%Y%m%d").to_string())
            .append_parameter(ValueType::Date)
            .done()
    };
    event
        .append_property(date("DTSTART", first))
        .append_property(date("DTEND", end))
        .add_property("TRANSP", "TRANSPARENT");
}

/// A local date and time of the library as an instant.
fn instant(date: Date, time: Time) -> Option<Timestamp> {
    date.to_datetime(time)
        .to_zoned_datetime(crate::clock::time_zone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// FORM #2 of RFC 5545 §3.3.5, a UTC date-time.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT the crate escapes (`\` `,` `;` and line feeds) but cannot carry: a carriage
/// return would end the content line early, and other control characters are not
/// allowed in TEXT (RFC 5545 §3.3.11), so line ends become `\n` and the rest go.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// RFC 5545 §3.3.11 escaping, for a TEXT property the crate does not know.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

/// [`text`] on one line, for names and places.
fn one_line(value: &str) -> String {
    text(value)
        .split(['\n', '\t'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn visit() -> FeedEvent {
        FeedEvent {
            uid: "visit-12@jingshi".into(),
            summary: "参观：省监狱警示教育基地, 第1批; 路径 C:\\docs <script>alert(\"x\")</script>"
                .into(),
            location: "昆明市官渡区某路 1 号，东门".into(),
            description: format!(
                "请携带身份证。\r\n着装整齐; 不得携带手机, 相机\\录音笔。\n{}",
                "集合地点在东门停车场，请提前二十分钟到达。".repeat(6)
            ),
            when: EventTime::Timed {
                date: date(2026, 3, 2),
                start: time(9, 30, 0, 0),
                end: time(11, 0, 0, 0),
            },
            stamp: "2026-02-20T08:15:00Z".parse().unwrap(),
        }
    }

    fn loan() -> FeedEvent {
        FeedEvent {
            uid: "loan-7@jingshi".into(),
            summary: "借阅：《警钟长鸣》".into(),
            location: String::new(),
            description: String::new(),
            when: EventTime::AllDay {
                first: date(2028, 2, 27),
                last: date(2028, 2, 29),
            },
            stamp: "2028-02-01T00:00:00Z".parse().unwrap(),
        }
    }

    /// RFC 5545 §3.1: CRLF line ends only, no line over 75 octets, and (for the
    /// UTF-8 text to survive) every physical line valid UTF-8 by itself.
    fn assert_well_formed(text: &str) {
        assert!(text.ends_with("\r\n"));
        let bytes = text.as_bytes();
        for (at, b) in bytes.iter().enumerate() {
            match b {
                b'\r' => assert_eq!(bytes.get(at + 1), Some(&b'\n'), "bare CR at {at}"),
                b'\n' => assert_eq!(bytes[at - 1], b'\r', "bare LF at {at}"),
                _ => {}
            }
        }
        for line in text.trim_end_matches("\r\n").split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
            assert!(!line.is_empty());
            assert!(
                !line.chars().any(|c| c.is_control() && c != '\t'),
                "control character in {line:?}"
            );
        }
    }

    fn parsed(text: &str) -> Calendar {
        text.parse::<Calendar>().unwrap()
    }

    fn raw<'a>(event: &'a Event, key: &str) -> &'a Property {
        event.properties().get(key).unwrap()
    }

    #[test]
    fn a_feed_reads_back_with_its_fields_times_and_escaped_text() {
        let events = [visit(), loan()];
        let text = render("云南省税务局 · 参观与借阅", &events);
        assert_well_formed(&text);
        assert!(text.contains("\r\n "), "long lines are folded");
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));

        let calendar = parsed(&text);
        let name = "云南省税务局 · 参观与借阅";
        assert_eq!(calendar.property_value("X-WR-CALNAME"), Some(name));
        assert_eq!(calendar.property_value("NAME"), Some(name));
        assert!(
            calendar
                .property_value("PRODID")
                .unwrap()
                .contains("jingshi")
        );
        assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
        let parsed: Vec<&Event> = calendar.events().collect();
        assert_eq!(parsed.len(), 2);

        let (visit, sent) = (parsed[0], &events[0]);
        assert_eq!(visit.get_uid(), Some("visit-12@jingshi"));
        assert_eq!(
            visit.get_summary(),
            Some(sent.summary.as_str()),
            ",;\\ and markup survive"
        );
        assert_eq!(visit.get_location(), Some(sent.location.as_str()));
        assert_eq!(
            visit.get_description(),
            Some(sent.description.replace("\r\n", "\n").as_str()),
            "line breaks survive as line feeds"
        );
        // 09:30 to 11:00 Beijing time (UTC+8) as UTC instants.
        assert_eq!(raw(visit, "DTSTART").value(), "20260302T013000Z");
        assert_eq!(raw(visit, "DTEND").value(), "20260302T030000Z");
        assert_eq!(raw(visit, "DTSTAMP").value(), "20260220T081500Z");
        assert!(visit.properties().get("TRANSP").is_none());

        // Whole days as DATE values, the end the day after the last (a leap day here).
        let loan = parsed[1];
        assert_eq!(loan.get_summary(), Some("借阅：《警钟长鸣》"));
        assert!(loan.get_location().is_none() && loan.get_description().is_none());
        for (key, value) in [("DTSTART", "20280227"), ("DTEND", "20280301")] {
            let property = raw(loan, key);
            assert_eq!(property.value(), value);
            assert_eq!(
                property.params().get("VALUE").map(|p| p.value()),
                Some("DATE")
            );
        }
        assert_eq!(loan.property_value("TRANSP"), Some("TRANSPARENT"));
    }

    /// RFC 5545 §3.3.11 unescaping, written here so the independent parser's raw
    /// values are checked against the spec rather than against the writer.
    fn unescape(raw: &str) -> String {
        let mut out = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn an_independent_parser_reads_the_same_feed() {
        let events = [visit(), loan()];
        let text = render("参观, 借阅; C:\\日历", &events);
        let calendars: Vec<_> = ::ical::IcalParser::new(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(calendars.len(), 1);
        let calendar = &calendars[0];
        assert_eq!(calendar.events.len(), 2);
        let value = |properties: &[::ical::property::Property], name: &str| {
            properties
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap()
        };
        let visit = &calendar.events[0].properties;
        let summary = value(visit, "SUMMARY");
        assert!(
            summary.contains("\\,") && summary.contains("\\;") && summary.contains("C:\\\\docs")
        );
        assert_eq!(unescape(&summary), events[0].summary);
        let description = value(visit, "DESCRIPTION");
        assert!(description.contains("\\n") && !description.contains('\n'));
        assert_eq!(
            unescape(&description),
            events[0].description.replace("\r\n", "\n")
        );
        assert_eq!(value(visit, "DTSTART"), "20260302T013000Z");
        let loan = &calendar.events[1].properties;
        assert_eq!(value(loan, "DTEND"), "20280301");
        for name in ["NAME", "X-WR-CALNAME"] {
            let raw = value(&calendar.properties, name);
            assert_eq!(raw, "参观\\, 借阅\\; C:\\\\日历", "{name} escaped");
            assert_eq!(unescape(&raw), "参观, 借阅; C:\\日历");
        }
    }

    #[test]
    fn hostile_text_cannot_add_lines_properties_or_events() {
        let mut event = visit();
        event.summary = "会议\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:伪造".into();
        event.uid = "visit-1@jingshi\r\nUID:evil".into();
        event.location = "东门\u{7}\u{0}\t2 号".into();
        event.description = "第一行\r第二行\u{1b}[31m".into();
        let text = render("名单\r\nX-EVIL:1", &[event]);
        assert_well_formed(&text);
        assert!(!text.contains("\r\nX-EVIL"));
        let calendar = parsed(&text);
        assert_eq!(
            calendar.property_value("X-WR-CALNAME"),
            Some("名单 X-EVIL:1")
        );
        let events: Vec<&Event> = calendar.events().collect();
        assert_eq!(events.len(), 1, "{text}");
        let event = events[0];
        assert_eq!(
            event.get_summary(),
            Some("会议 END:VEVENT BEGIN:VEVENT SUMMARY:伪造")
        );
        assert_eq!(event.get_uid(), Some("visit-1@jingshi UID:evil"));
        assert_eq!(event.get_location(), Some("东门 2 号"));
        assert_eq!(event.get_description(), Some("第一行\n第二行[31m"));
    }

    #[test]
    fn folding_never_splits_a_character() {
        // Every length and every ASCII offset, so that the 75-octet limit falls on
        // each byte of a three- and a four-byte character.
        for offset in 0..4 {
            for length in [1, 20, 24, 25, 26, 49, 50, 51, 100, 300] {
                let summary = format!(
                    "{}{}",
                    "a".repeat(offset),
                    "警示教育😀".repeat(length / 5 + 1)
                );
                let mut event = loan();
                event.summary = summary.clone();
                event.description = summary.repeat(3);
                let text = render(&summary, &[event]);
                assert_well_formed(&text);
                let calendar = parsed(&text);
                let event = calendar.events().next().unwrap();
                assert_eq!(event.get_summary(), Some(summary.as_str()));
                assert_eq!(event.get_description(), Some(summary.repeat(3).as_str()));
                assert_eq!(
                    calendar.property_value("X-WR-CALNAME"),
                    Some(summary.as_str())
                );
            }
        }
    }

    #[test]
    fn odd_times_still_make_valid_events() {
        let mut backwards = visit();
        backwards.when = EventTime::Timed {
            date: date(2026, 3, 2),
            start: time(14, 0, 0, 0),
            end: time(9, 0, 0, 0),
        };
        let mut reversed = loan();
        reversed.when = EventTime::AllDay {
            first: date(2026, 12, 31),
            last: date(2026, 12, 1),
        };
        let text = render("x", &[backwards, reversed]);
        assert_well_formed(&text);
        let calendar = parsed(&text);
        let events: Vec<&Event> = calendar.events().collect();
        assert_eq!(raw(events[0], "DTSTART").value(), "20260302T060000Z");
        assert!(
            events[0].properties().get("DTEND").is_none(),
            "no end before the start"
        );
        assert_eq!(raw(events[1], "DTSTART").value(), "20261231");
        assert_eq!(
            raw(events[1], "DTEND").value(),
            "20270101",
            "one day, across the year"
        );

        let empty = render("空日历", &[]);
        assert_well_formed(&empty);
        assert_eq!(parsed(&empty).events().count(), 0);
    }
}
