//! Policies by name, with parameters, as written on the command line:
//! `fifo`, `lpt`, `min-makespan[cap=4]`, `min-idle[cap=auto]`,
//! `reestimate[base=min-makespan[cap=4],alpha=0.3]`.

use crate::fifo::Fifo;
use crate::lpt::Lpt;
use crate::min_idle::MinIdle;
use crate::min_makespan::MinMakespan;
use crate::policy::Policy;
use crate::reestimate::Reestimate;
use crate::room::Colocate;
use coprep_traces::planner::Cap;
use coprep_traces::InputError;
use std::collections::BTreeMap;

/// The policies and their parameters, for help texts and error messages.
pub const POLICIES: &[(&str, &str)] = &[
    ("fifo", "no sharing; first free processors in arrival order (the baseline)"),
    ("lpt", "no sharing; longest task first on the processor where it finishes earliest. colocate=stream|any"),
    (
        "min-makespan",
        "sharing; LPT plus improvement on estimated work. cap=N|auto|none, improve=ROUNDS, colocate=stream|any",
    ),
    (
        "min-idle",
        "sharing; balances pace, re-spreads preprocessing as tasks come and go. cap=N|auto|none, colocate=stream|any",
    ),
    ("reestimate", "wraps base=POLICY; corrects estimates from progress and moves work. alpha=0..1, threshold=F"),
];

/// The default set `compare` runs.
pub const DEFAULT_COMPARE: &[&str] = &["fifo", "lpt", "min-makespan", "min-idle", "reestimate[base=min-makespan]"];

fn err(spec: &str, message: String) -> InputError {
    InputError::field(format!("policy \"{spec}\""), message)
}

/// Builds a policy from its spec.
pub fn parse_policy(spec: &str) -> Result<Box<dyn Policy>, InputError> {
    let spec = spec.trim();
    let (name, params) = split_spec(spec).map_err(|m| err(spec, m))?;
    let mut params = params;
    let mut take = |key: &str| params.remove(key);
    let policy: Box<dyn Policy> =
        match name {
            "fifo" => Box::new(Fifo),
            "lpt" => {
                let mut p = Lpt::default();
                if let Some(v) = take("colocate") {
                    p.colocate = parse_colocate(&v).map_err(|m| err(spec, m))?;
                }
                Box::new(p)
            }
            "min-makespan" => {
                let mut p = MinMakespan::default();
                if let Some(v) = take("cap") {
                    p.cap = parse_cap(&v).map_err(|m| err(spec, m))?;
                }
                if let Some(v) = take("improve") {
                    p.improve = v.parse().map_err(|_| {
                        err(spec, format!("improve=\"{v}\" is not valid; expected a whole number of rounds"))
                    })?;
                }
                if let Some(v) = take("colocate") {
                    p.colocate = parse_colocate(&v).map_err(|m| err(spec, m))?;
                }
                Box::new(p)
            }
            "min-idle" => {
                let mut p = MinIdle::default();
                if let Some(v) = take("cap") {
                    p.cap = parse_cap(&v).map_err(|m| err(spec, m))?;
                }
                if let Some(v) = take("colocate") {
                    p.colocate = parse_colocate(&v).map_err(|m| err(spec, m))?;
                }
                Box::new(p)
            }
            "reestimate" => {
                let base = match take("base") {
                    Some(b) => parse_policy(&b)?,
                    None => Box::new(MinMakespan::default()),
                };
                let alpha =
                    match take("alpha") {
                        Some(v) => v.parse::<f64>().ok().filter(|a| *a > 0.0 && *a <= 1.0).ok_or_else(|| {
                            err(spec, format!("alpha=\"{v}\" is not valid; expected a number in (0, 1]"))
                        })?,
                        None => 0.3,
                    };
                let threshold =
                    match take("threshold") {
                        Some(v) => v.parse::<f64>().ok().filter(|t| t.is_finite() && *t >= 0.0).ok_or_else(|| {
                            err(spec, format!("threshold=\"{v}\" is not valid; expected a number >= 0"))
                        })?,
                        None => 0.1,
                    };
                Box::new(Reestimate::new(base, alpha, threshold))
            }
            other => {
                let known: Vec<&str> = POLICIES.iter().map(|p| p.0).collect();
                return Err(err(spec, format!("unknown policy \"{other}\"; expected one of: {}", known.join(", "))));
            }
        };
    if let Some(key) = params.keys().next() {
        return Err(err(spec, format!("unknown parameter \"{key}\" for {name}")));
    }
    Ok(policy)
}

fn parse_colocate(v: &str) -> Result<Colocate, String> {
    match v {
        "stream" => Ok(Colocate::Stream),
        "any" => Ok(Colocate::Any),
        _ => Err(format!("colocate=\"{v}\" is not valid; expected stream or any")),
    }
}

fn parse_cap(v: &str) -> Result<Cap, String> {
    match v {
        "auto" => Ok(Cap::Auto),
        "none" | "unlimited" => Ok(Cap::Unlimited),
        n => match n.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(Cap::Max(k)),
            _ => Err(format!("cap=\"{v}\" is not valid; expected a whole number >= 1, auto or none")),
        },
    }
}

/// `name[k=v,k=v]` → name and parameters; values may hold brackets (a nested policy).
fn split_spec(spec: &str) -> Result<(&str, BTreeMap<String, String>), String> {
    let Some(open) = spec.find('[') else {
        if spec.contains(']') {
            return Err("unbalanced ']'; expected name[key=value,...]".into());
        }
        return Ok((spec, BTreeMap::new()));
    };
    if !spec.ends_with(']') {
        return Err("missing closing ']'; expected name[key=value,...]".into());
    }
    let name = &spec[..open];
    let body = &spec[open + 1..spec.len() - 1];
    let mut params = BTreeMap::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in body.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err("unbalanced ']'".into());
        }
    }
    if depth != 0 {
        return Err("unbalanced '['".into());
    }
    parts.push(&body[start..]);
    for part in parts.into_iter().filter(|p| !p.trim().is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("parameter \"{part}\" has no value; expected key=value"));
        };
        if params.insert(k.trim().to_string(), v.trim().to_string()).is_some() {
            return Err(format!("parameter \"{}\" is given twice", k.trim()));
        }
    }
    Ok((name, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_specs() {
        let p = parse_policy("reestimate[base=min-makespan[cap=4],alpha=0.5]").unwrap();
        assert_eq!(
            p.name(),
            "reestimate[base=min-makespan[cap=4,improve=1000,colocate=stream],alpha=0.5,threshold=0.1]"
        );
        assert_eq!(parse_policy("min-idle").unwrap().name(), "min-idle[cap=auto,colocate=any]");
        // The name parses back to the same policy.
        assert_eq!(parse_policy(&p.name()).unwrap().name(), p.name());
        assert_eq!(parse_policy("lpt[colocate=any]").unwrap().name(), "lpt[colocate=any]");
        assert_eq!(parse_policy("min-idle[colocate=stream]").unwrap().colocate(), Colocate::Stream);
    }

    #[test]
    fn rejects_bad_specs() {
        for (spec, needle) in [
            ("nope", "unknown policy"),
            ("fifo[x=1]", "unknown parameter \"x\""),
            ("min-makespan[cap=0]", "cap=\"0\""),
            ("min-makespan[cap=4", "missing closing"),
            ("reestimate[alpha=2]", "alpha=\"2\""),
            ("reestimate[base=bogus]", "unknown policy \"bogus\""),
            ("min-idle[cap]", "has no value"),
            ("lpt[colocate=never]", "expected stream or any"),
        ] {
            let e = parse_policy(spec).err().unwrap_or_else(|| panic!("{spec} parsed"));
            assert!(e.to_string().contains(needle), "{spec}: {e}");
        }
    }
}
