// SPDX-License-Identifier: GPL-2.0
//! Host test: the tables of [`crate::spec`] against the YNL spec file.
//!
//! The file is `$RVNET_SPEC` or `Documentation/netlink/specs/rvnet.yaml` of
//! this checkout. The YAML reader here covers the subset that netlink specs
//! use (block maps and sequences, flow sequences, block scalars, anchors).

use std::path::PathBuf;

use crate::spec::{self, Set, Ty};

#[derive(Debug, Clone, PartialEq)]
enum Y {
    S(String),
    L(Vec<Y>),
    M(Vec<(String, Y)>),
}

impl Y {
    fn get(&self, k: &str) -> Option<&Y> {
        match self {
            Y::M(m) => m.iter().find(|(kk, _)| kk == k).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self, k: &str) -> Option<&str> {
        match self.get(k)? {
            Y::S(s) => Some(s),
            _ => None,
        }
    }
    fn list(&self, k: &str) -> &[Y] {
        match self.get(k) {
            Some(Y::L(l)) => l,
            _ => &[],
        }
    }
}

struct Parser {
    lines: Vec<(usize, String)>,
    i: usize,
}

fn strip_anchor(s: &str) -> &str {
    match s.strip_prefix('&') {
        Some(r) => r.split_once(' ').map_or("", |(_, v)| v.trim()),
        None => s,
    }
}

fn scalar(s: &str) -> Y {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Y::L(
            inner
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| Y::S(x.to_string()))
                .collect(),
        );
    }
    Y::S(s.trim_matches('"').trim_matches('\'').to_string())
}

impl Parser {
    fn new(text: &str) -> Parser {
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| (l.len() - l.trim_start().len(), l.trim().to_string()))
            .collect();
        Parser { lines, i: 0 }
    }

    fn block(&mut self, indent: usize) -> Y {
        match self.lines.get(self.i) {
            Some((_, l)) if l == "-" || l.starts_with("- ") => self.seq(indent),
            Some(_) => self.map(indent),
            None => Y::S(String::new()),
        }
    }

    /// The value after `key:` (`rest`) at `indent`.
    fn value(&mut self, indent: usize, rest: &str) -> Y {
        let rest = strip_anchor(rest.trim());
        if rest == "|" || rest == ">" {
            while self.lines.get(self.i).is_some_and(|(ind, _)| *ind > indent) {
                self.i += 1;
            }
            return Y::S(String::new());
        }
        if !rest.is_empty() {
            return scalar(rest);
        }
        match self.lines.get(self.i) {
            Some((ind, l))
                if *ind > indent || (*ind == indent && (l == "-" || l.starts_with("- "))) =>
            {
                let ind = *ind;
                self.block(ind)
            }
            _ => Y::S(String::new()),
        }
    }

    fn map(&mut self, indent: usize) -> Y {
        let mut m = Vec::new();
        while let Some((ind, l)) = self.lines.get(self.i).cloned() {
            if ind != indent || l == "-" || l.starts_with("- ") {
                break;
            }
            self.i += 1;
            let (k, rest) = l.split_once(':').unwrap_or((&l, ""));
            let v = self.value(indent, rest);
            m.push((k.trim().to_string(), v));
        }
        Y::M(m)
    }

    fn seq(&mut self, indent: usize) -> Y {
        let mut v = Vec::new();
        while let Some((ind, l)) = self.lines.get(self.i).cloned() {
            if ind != indent || !(l == "-" || l.starts_with("- ")) {
                break;
            }
            let item = l[1..].trim().to_string();
            if item.is_empty() {
                self.i += 1;
                match self.lines.get(self.i) {
                    Some((ni, _)) if *ni > indent => {
                        let ni = *ni;
                        v.push(self.block(ni));
                    }
                    _ => v.push(Y::S(String::new())),
                }
            } else if item.contains(": ") || item.ends_with(':') {
                // `- key: value` starts a map two columns in.
                self.lines[self.i] = (indent + 2, item);
                v.push(self.map(indent + 2));
            } else {
                self.i += 1;
                v.push(scalar(&item));
            }
        }
        Y::L(v)
    }
}

fn parse(text: &str) -> Y {
    let mut p = Parser::new(text);
    p.block(0)
}

fn spec_path() -> PathBuf {
    match std::env::var_os("RVNET_SPEC") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../Documentation/netlink/specs/rvnet.yaml"),
    }
}

/// The set a YAML set name stands for (subsets share their parent's numbers).
fn our_set(doc: &Y, name: &str) -> Option<&'static Set> {
    let ys = doc
        .list("attribute-sets")
        .iter()
        .find(|s| s.str("name") == Some(name))?;
    let target = ys.str("subset-of").unwrap_or(name);
    spec::SETS.iter().copied().find(|s| s.name == target)
}

fn check(doc: &Y) -> Vec<String> {
    let mut bad = Vec::new();
    if doc.str("name") != Some(spec::FAMILY) {
        bad.push(format!("family name {:?}", doc.str("name")));
    }
    if doc.str("protocol") != Some("genetlink") {
        bad.push("protocol is not genetlink (numbering rules differ)".into());
    }
    // Enums: every enum of the spec is in spec.rs, with the same values.
    let mut yaml_enums = Vec::new();
    for d in doc.list("definitions") {
        if d.str("type") != Some("enum") {
            continue;
        }
        let name = d.str("name").unwrap_or_default();
        yaml_enums.push(name);
        let Some(ours) = spec::ENUMS.iter().find(|e| e.name == name) else {
            bad.push(format!("enum {name} is not in rvnetctl's spec.rs"));
            continue;
        };
        let start: u32 = d
            .str("value-start")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let entries: Vec<&str> = d
            .list("entries")
            .iter()
            .filter_map(|e| match e {
                Y::S(s) => Some(s.as_str()),
                m => m.str("name"),
            })
            .collect();
        if start != ours.start || entries != ours.entries {
            bad.push(format!("enum {name}: {start} {entries:?}"));
        }
    }
    for e in spec::ENUMS {
        if !yaml_enums.contains(&e.name) {
            bad.push(format!("enum {} of spec.rs is not in the spec", e.name));
        }
    }
    // Attribute sets.
    for ys in doc.list("attribute-sets") {
        let name = ys.str("name").unwrap_or_default();
        let Some(ours) = our_set(doc, name) else {
            bad.push(format!("attribute set {name} is not in rvnetctl's spec.rs"));
            continue;
        };
        let subset = ys.get("subset-of").is_some();
        let mut num = 0u16;
        let mut seen = 0;
        for ya in ys.list("attributes") {
            let an = ya.str("name").unwrap_or_default();
            num = ya
                .str("value")
                .and_then(|v| v.parse().ok())
                .unwrap_or(num + 1);
            seen += 1;
            let Some((onum, def)) = ours.by_name(an) else {
                bad.push(format!("{name}.{an} missing in spec.rs"));
                continue;
            };
            if subset {
                continue; // numbers and types are the parent's
            }
            if onum != num {
                bad.push(format!(
                    "{name}.{an}: number {onum} in spec.rs, {num} in the spec"
                ));
            }
            let yt = ya.str("type").unwrap_or_default();
            let hint = ya.str("display-hint").unwrap_or_default();
            let ok = match (yt, def.ty) {
                ("u8", Ty::U8) | ("u16", Ty::U16) | ("u32", Ty::U32) => true,
                ("uint", Ty::Uint) => true,
                ("string", Ty::Str) | ("flag", Ty::Flag) => true,
                ("binary", Ty::Addr) => hint == "ipv6" || hint == "ipv4",
                ("binary", Ty::Mac) => hint == "mac",
                ("nest", Ty::Nest(s)) => {
                    let nested = ya.str("nested-attributes").unwrap_or_default();
                    our_set(doc, nested).is_some_and(|n| std::ptr::eq(n, s))
                }
                _ => false,
            };
            if !ok {
                bad.push(format!("{name}.{an}: type {yt}/{hint} vs {:?}", def.ty));
            }
            let ye = ya.str("enum");
            if ye != def.enumeration.map(|e| e.name) {
                bad.push(format!("{name}.{an}: enum {ye:?}"));
            }
        }
        if !subset && seen != ours.attrs.len() {
            bad.push(format!(
                "{name}: {} attributes in spec.rs, {seen} in the spec",
                ours.attrs.len()
            ));
        }
    }
    // Operations and notifications, numbered together in list order.
    let mut cmd = 0u8;
    let ops = doc.get("operations").map_or(&[][..], |o| o.list("list"));
    let groups: Vec<&str> = doc
        .get("mcast-groups")
        .map_or(&[][..], |g| g.list("list"))
        .iter()
        .filter_map(|g| g.str("name"))
        .collect();
    for yo in ops {
        let on = yo.str("name").unwrap_or_default();
        cmd = yo
            .str("value")
            .and_then(|v| v.parse().ok())
            .unwrap_or(cmd + 1);
        // A notification carries the attribute set of the op it notifies.
        let notify = yo.str("notify");
        let yset = match notify {
            Some(target) => ops
                .iter()
                .find(|o| o.str("name") == Some(target))
                .and_then(|o| o.str("attribute-set")),
            None => yo.str("attribute-set"),
        };
        let Some(o) = spec::OPS.iter().find(|o| o.name == on) else {
            bad.push(format!("op {on} is not in spec.rs"));
            continue;
        };
        if o.cmd != cmd {
            bad.push(format!(
                "op {on}: cmd {} in spec.rs, {cmd} in the spec",
                o.cmd
            ));
        }
        if yset != Some(o.set.name) {
            bad.push(format!("op {on}: attribute set {yset:?}"));
        }
        let ymcgrp = yo.str("mcgrp");
        if (notify.is_some() || yo.get("event").is_some()) != o.mcgrp.is_some() || ymcgrp != o.mcgrp
        {
            bad.push(format!(
                "op {on}: multicast group {ymcgrp:?} in the spec, {:?} in spec.rs",
                o.mcgrp
            ));
        }
        if let Some(g) = ymcgrp {
            if !groups.contains(&g) {
                bad.push(format!("op {on}: group {g} is not in mcast-groups"));
            }
        }
        // Every attribute a request or reply lists is in the set.
        for mode in ["do", "dump"] {
            for part in ["request", "reply"] {
                let Some(p) = yo.get(mode).and_then(|m| m.get(part)) else {
                    continue;
                };
                for ya in p.list("attributes") {
                    if let Y::S(an) = ya {
                        if o.set.by_name(an).is_none() {
                            bad.push(format!("op {on} {mode} {part}: {an} not in {}", o.set.name));
                        }
                    }
                }
            }
        }
    }
    if ops.len() != spec::OPS.len() {
        bad.push(format!(
            "{} ops in spec.rs, {} in the spec",
            spec::OPS.len(),
            ops.len()
        ));
    }
    for g in spec::OPS.iter().filter_map(|o| o.mcgrp) {
        if !groups.contains(&g) {
            bad.push(format!("multicast group {g} of spec.rs is not in the spec"));
        }
    }
    bad
}

#[test]
fn yaml_reader_handles_spec_shapes() {
    let y = parse(
        "name: x\ndoc: |\n  text: with colon\n  more\nlist:\n  -\n    name: a\n    type: u8\n  - name: b\n    checks:\n      min: 1\nops: [ a, b ]\nanch: &z\n  - p\n  - q\n",
    );
    assert_eq!(y.str("name"), Some("x"));
    assert_eq!(y.list("list").len(), 2);
    assert_eq!(y.list("list")[1].str("name"), Some("b"));
    assert_eq!(y.list("ops"), &[Y::S("a".into()), Y::S("b".into())]);
    assert_eq!(y.list("anch").len(), 2);
}

#[test]
fn spec_matches_yaml() {
    let path = spec_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "note: {} not found; spec.rs not cross-checked",
            path.display()
        );
        return;
    };
    let bad = check(&parse(&text));
    assert!(
        bad.is_empty(),
        "spec.rs disagrees with {}:\n{}",
        path.display(),
        bad.join("\n")
    );
}

/// The checks catch what a stale spec.rs would get wrong about the decision
/// set, its enum, the dump op and the notification.
#[test]
fn spec_check_catches_decision_mismatches() {
    let Ok(text) = std::fs::read_to_string(spec_path()) else {
        eprintln!("note: spec not found; skipped");
        return;
    };
    let bad_with = |from: &str, to: &str| {
        assert!(text.contains(from), "spec has no {from:?}");
        check(&parse(&text.replacen(from, to, 1))).join("\n")
    };
    // A new attribute at the end of the decision set.
    let b = bad_with(
        "        name: input-type\n",
        "        name: input-type\n        type: u8\n      -\n        name: extra\n",
    );
    assert!(b.contains("decision.extra missing"), "{b}");
    // An attribute that loses its enum, an enum that gains an entry.
    let b = bad_with("        enum: direction\n", "");
    assert!(b.contains("decision.direction: enum None"), "{b}");
    let b = bad_with(
        "        name: rx\n",
        "        name: rx\n      -\n        name: both\n",
    );
    assert!(b.contains("enum direction"), "{b}");
    // The notification moved to another group, or renumbered.
    let b = bad_with("      mcgrp: decisions\n", "      mcgrp: other\n");
    assert!(b.contains("op decision-ntf: multicast group"), "{b}");
    assert!(b.contains("group other is not in mcast-groups"), "{b}");
    let b = bad_with("      name: decisions\n", "      name: events\n");
    assert!(b.contains("multicast group decisions of spec.rs"), "{b}");
    let b = bad_with(
        "      name: decision-ntf\n",
        "      name: decision-ntf\n      value: 9\n",
    );
    assert!(
        b.contains("op decision-ntf: cmd 7 in spec.rs, 9 in the spec"),
        "{b}"
    );
    // The dump's request names an attribute the set does not have.
    let b = bad_with(
        "          attributes: [ ifindex ]\n        reply: &decision-all",
        "          attributes: [ ifindex, nosuch ]\n        reply: &decision-all",
    );
    assert!(
        b.contains("op decision-dump dump request: nosuch not in decision"),
        "{b}"
    );
}
