// SPDX-License-Identifier: GPL-2.0
//! Decoded answers as loosely typed values, and their JSON form (`ip -j`
//! style: one array of objects, keys as named by the spec).

use std::fmt::Write;

/// A decoded attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Unsigned integer.
    U(u64),
    /// String (also addresses, enum names, hex of binary).
    S(String),
    /// Flag attribute (present).
    B(bool),
    /// Multi-attribute or flag set.
    L(Vec<Value>),
    /// Nest.
    O(Obj),
}

/// An ordered object: attributes in the order the kernel sent them.
pub type Obj = Vec<(String, Value)>;

impl Value {
    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an unsigned integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::U(u) => Some(*u),
            _ => None,
        }
    }

    /// The value as an object, if it is one.
    pub fn as_obj(&self) -> Option<&Obj> {
        match self {
            Value::O(o) => Some(o),
            _ => None,
        }
    }

    /// Short text form for human-readable output.
    pub fn text(&self) -> String {
        match self {
            Value::U(u) => u.to_string(),
            Value::S(s) => s.clone(),
            Value::B(b) => b.to_string(),
            Value::L(l) => l.iter().map(Value::text).collect::<Vec<_>>().join(","),
            Value::O(o) => o
                .iter()
                .map(|(k, v)| format!("{k} {}", v.text()))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Looks up a key in an object.
pub fn get<'a>(o: &'a Obj, key: &str) -> Option<&'a Value> {
    o.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// String field of an object.
pub fn get_str<'a>(o: &'a Obj, key: &str) -> Option<&'a str> {
    get(o, key).and_then(Value::as_str)
}

/// Integer field of an object.
pub fn get_u64(o: &Obj, key: &str) -> Option<u64> {
    get(o, key).and_then(Value::as_u64)
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends the JSON form of `v`.
pub fn json(v: &Value, out: &mut String) {
    match v {
        Value::U(u) => {
            let _ = write!(out, "{u}");
        }
        Value::S(s) => json_str(s, out),
        Value::B(b) => {
            let _ = write!(out, "{b}");
        }
        Value::L(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(e, out);
            }
            out.push(']');
        }
        Value::O(o) => json_obj(o, out),
    }
}

/// Appends the JSON form of an object.
pub fn json_obj(o: &Obj, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in o.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(k, out);
        out.push(':');
        json(v, out);
    }
    out.push('}');
}

/// The `ip -j` form of a list of answers: one JSON array.
pub fn json_array(objs: &[Obj]) -> String {
    let mut out = String::from("[");
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_obj(o, &mut out);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_nests() {
        let o: Obj = vec![
            ("table".into(), Value::U(254)),
            ("type".into(), Value::S("unicast".into())),
            ("name".into(), Value::S("a\"b\\c\n".into())),
            (
                "neigh".into(),
                Value::O(vec![(
                    "flags".into(),
                    Value::L(vec![Value::S("router".into())]),
                )]),
            ),
        ];
        assert_eq!(
            json_array(&[o]),
            r#"[{"table":254,"type":"unicast","name":"a\"b\\c\n","neigh":{"flags":["router"]}}]"#
        );
        assert_eq!(json_array(&[]), "[]");
    }
}
