//! What a check concludes: a status, what was seen, why it matters and the fixes, the
//! one shape every check and probe returns and the report prints.

use serde::{Serialize, Serializer};
use std::time::Duration;

use super::layers::{Advice, Fix};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// One fix line, and the test that saw it work on real software (if one did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixLine {
    pub text: String,
    pub verified_by: Option<&'static str>,
}

impl From<&Fix> for FixLine {
    fn from(f: &Fix) -> Self {
        FixLine {
            text: f.line(),
            verified_by: f.verified,
        }
    }
}

impl From<&str> for FixLine {
    fn from(text: &str) -> Self {
        FixLine {
            text: text.to_string(),
            verified_by: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    /// What was observed: the header, the numbers.
    pub seen: String,
    /// Why it matters (empty for a plain PASS).
    pub why: String,
    /// What to change, for the layer most likely at fault (empty for a PASS).
    pub fixes: Vec<FixLine>,
    /// The durations `seen` speaks of, in milliseconds, for programs (`--json`).
    pub ms: Vec<(&'static str, u64)>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Finding", 7)?;
        st.serialize_field("check", self.check)?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("seen", &self.seen)?;
        st.serialize_field("why", &self.why)?;
        st.serialize_field("fix", &self.fix())?;
        st.serialize_field("fixes", &self.fixes)?;
        let ms: serde_json::Map<String, serde_json::Value> = self
            .ms
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        st.serialize_field("ms", &ms)?;
        st.end()
    }
}

/// The fixes a finding offers: from the table, or a few words of its own.
pub trait IntoFixes {
    fn into_fixes(self) -> Vec<FixLine>;
}

impl IntoFixes for &Advice {
    fn into_fixes(self) -> Vec<FixLine> {
        self.fixes.iter().map(FixLine::from).collect()
    }
}

impl IntoFixes for &str {
    fn into_fixes(self) -> Vec<FixLine> {
        if self.is_empty() {
            Vec::new()
        } else {
            vec![FixLine::from(self)]
        }
    }
}

impl IntoFixes for &Fix {
    fn into_fixes(self) -> Vec<FixLine> {
        vec![FixLine::from(self)]
    }
}

impl IntoFixes for Vec<FixLine> {
    fn into_fixes(self) -> Vec<FixLine> {
        self
    }
}

impl Finding {
    pub(super) fn pass(check: &'static str, seen: impl Into<String>) -> Self {
        Finding {
            check,
            status: Status::Pass,
            seen: seen.into(),
            why: String::new(),
            fixes: Vec::new(),
            ms: Vec::new(),
        }
    }
    pub(super) fn warn(
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl IntoFixes,
    ) -> Self {
        Finding::judged(Status::Warn, check, seen, why, fix)
    }
    pub(super) fn fail(
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl IntoFixes,
    ) -> Self {
        Finding::judged(Status::Fail, check, seen, why, fix)
    }
    fn judged(
        status: Status,
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl IntoFixes,
    ) -> Self {
        Finding {
            check,
            status,
            seen: seen.into(),
            why: why.into(),
            fixes: fix.into_fixes(),
            ms: Vec::new(),
        }
    }

    /// Adds the durations that are known, by name, in milliseconds.
    pub fn with_ms(mut self, pairs: &[(&'static str, Option<Duration>)]) -> Self {
        for (name, d) in pairs {
            if let Some(d) = d {
                self.ms.push((name, crate::format::millis(*d)));
            }
        }
        self
    }

    /// The fixes as one line (for `--json` readers that want a string).
    pub fn fix(&self) -> String {
        self.fixes
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The fixes of `advice`, as findings carry them.
pub fn offer(advice: &'static Advice) -> Vec<FixLine> {
    advice.into_fixes()
}
