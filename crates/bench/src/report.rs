//! # Results: a table for people, JSON for programs
//!
//! Every benchmark returns a [`Report`]: its name, the parameters it ran
//! with, and named figures with their units. The same value prints as an
//! aligned table (the default) or as one JSON object (`--json`), which is
//! what the suite reads back.

use serde_json::{Map, Value, json};

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Its key, e.g. `mb_per_s`.
    pub name: &'static str,
    /// The value.
    pub value: f64,
    /// Its unit for the table, e.g. `MB/s`.
    pub unit: &'static str,
}

/// The result of one benchmark run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The subcommand that produced it, e.g. `echo-bulk`.
    pub bench: String,
    /// The target, e.g. `127.0.0.1:10007`.
    pub target: String,
    /// Parameters, in the order given.
    pub params: Vec<(&'static str, String)>,
    /// Figures, in the order given.
    pub metrics: Vec<Metric>,
}

impl Report {
    /// An empty report for `bench` against `target`.
    pub fn new(bench: &str, target: impl ToString) -> Report {
        Report {
            bench: bench.to_string(),
            target: target.to_string(),
            ..Report::default()
        }
    }

    /// Adds a parameter.
    pub fn param(&mut self, name: &'static str, value: impl ToString) -> &mut Report {
        self.params.push((name, value.to_string()));
        self
    }

    /// Adds a figure.
    pub fn metric(&mut self, name: &'static str, value: f64, unit: &'static str) -> &mut Report {
        self.metrics.push(Metric { name, value, unit });
        self
    }

    /// A figure by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// The report as one JSON object:
    /// `{"bench":…, "target":…, "params":{…}, "metrics":{…}}`.
    pub fn to_json(&self) -> Value {
        let params: Map<String, Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
            .collect();
        let metrics: Map<String, Value> = self
            .metrics
            .iter()
            .map(|m| (m.name.to_string(), json!(m.value)))
            .collect();
        json!({
            "bench": self.bench,
            "target": self.target,
            "params": params,
            "metrics": metrics,
        })
    }

    /// The report as an aligned table for people.
    pub fn to_table(&self) -> String {
        let mut out = format!("{} against {}\n", self.bench, self.target);
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !params.is_empty() {
            out.push_str(&format!("  ({})\n", params.join(", ")));
        }
        let width = self.metrics.iter().map(|m| m.name.len()).max().unwrap_or(0);
        for m in &self.metrics {
            out.push_str(&format!(
                "  {:<width$}  {:>14}  {}\n",
                m.name,
                format_value(m.value),
                m.unit
            ));
        }
        out
    }
}

/// A number with as many decimals as its size deserves.
pub fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if (value.fract() == 0.0 && magnitude < 1e15) || magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_json_hold_the_same_figures() {
        let mut r = Report::new("echo-bulk", "127.0.0.1:10007");
        r.param("connections", 8).metric("mb_per_s", 1234.5, "MB/s");
        assert_eq!(r.get("mb_per_s"), Some(1234.5));
        let table = r.to_table();
        assert!(table.contains("connections=8"), "{table}");
        assert!(table.contains("mb_per_s") && table.contains("1234") && table.contains("MB/s"));
        let json = r.to_json();
        assert_eq!(json["bench"], "echo-bulk");
        assert_eq!(json["params"]["connections"], "8");
        assert_eq!(json["metrics"]["mb_per_s"], 1234.5);
    }

    #[test]
    fn values_are_rounded_to_their_size() {
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(2345.678), "2346");
        assert_eq!(format_value(1.234), "1.23");
        assert_eq!(format_value(0.01234), "0.012");
    }
}
