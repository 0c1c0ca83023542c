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

/// iproute2's `json_writer` (`lib/json_writer.c`): the same separators,
/// and with `pretty` (`ip -j -p`) the same line breaks and four-space
/// indents, so that `rvnetctl -j -p` lays its answers out as `ip -j -p`.
struct JsonWriter {
    out: String,
    depth: usize,
    /// What goes before the next element: `,` or nothing.
    sep: Option<char>,
    pretty: bool,
}

impl JsonWriter {
    fn new(pretty: bool) -> JsonWriter {
        JsonWriter {
            out: String::new(),
            depth: 0,
            sep: None,
            pretty,
        }
    }

    fn eol(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("    ");
            }
        }
    }

    fn eor(&mut self) {
        if let Some(c) = self.sep {
            self.out.push(c);
        }
        self.sep = Some(',');
    }

    fn begin(&mut self, c: char) {
        self.eor();
        self.out.push(c);
        self.depth += 1;
        self.sep = None;
    }

    fn end(&mut self, c: char) {
        self.depth -= 1;
        if self.sep.is_some() {
            self.eol();
        }
        self.out.push(c);
        self.sep = Some(',');
    }

    fn start_array(&mut self) {
        self.begin('[');
        if self.pretty {
            self.out.push(' ');
        }
    }

    fn end_array(&mut self) {
        if self.pretty && self.sep.is_some() {
            self.out.push(' ');
        }
        self.sep = None;
        self.end(']');
    }

    fn name(&mut self, k: &str) {
        self.eor();
        self.eol();
        self.sep = None;
        json_str(k, &mut self.out);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::U(u) => {
                self.eor();
                let _ = write!(self.out, "{u}");
            }
            Value::S(s) => {
                self.eor();
                json_str(s, &mut self.out);
            }
            Value::B(b) => {
                self.eor();
                let _ = write!(self.out, "{b}");
            }
            Value::L(l) => {
                self.start_array();
                for e in l {
                    self.value(e);
                }
                self.end_array();
            }
            Value::O(o) => self.object(o),
        }
    }

    fn object(&mut self, o: &Obj) {
        self.begin('{');
        for (k, v) in o {
            self.name(k);
            self.value(v);
        }
        self.end('}');
    }
}

/// The JSON form of an object, indented as `ip -j -p` with `pretty`.
pub fn json_obj_fmt(o: &Obj, pretty: bool) -> String {
    let mut w = JsonWriter::new(pretty);
    w.object(o);
    w.out
}

/// The `ip -j` form of a list of answers (one JSON array), or with
/// `pretty` the `ip -j -p` form.
pub fn json_array_fmt(objs: &[Obj], pretty: bool) -> String {
    let mut w = JsonWriter::new(pretty);
    w.start_array();
    for o in objs {
        w.object(o);
    }
    w.end_array();
    w.out
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
            json_array_fmt(&[o], false),
            r#"[{"table":254,"type":"unicast","name":"a\"b\\c\n","neigh":{"flags":["router"]}}]"#
        );
        assert_eq!(json_array_fmt(&[], false), "[]");
    }

    /// `-j -p` lays out as `ip -j -p route get` and `ip -j -p addr show lo`
    /// (iproute2 6.1) do: nested arrays of objects, arrays of strings on
    /// one line, empty arrays as `[ ]`.
    #[test]
    fn pretty_json_as_ip() {
        let s = |v: &str| Value::S(v.into());
        let route: Obj = vec![
            ("dst".into(), s("1.2.3.4")),
            ("gateway".into(), s("192.0.2.1")),
            ("flags".into(), Value::L(vec![])),
            ("uid".into(), Value::U(0)),
            ("cache".into(), Value::L(vec![])),
        ];
        assert_eq!(
            json_array_fmt(std::slice::from_ref(&route), true),
            "[ {\n        \"dst\": \"1.2.3.4\",\n        \"gateway\": \"192.0.2.1\",\n        \
             \"flags\": [ ],\n        \"uid\": 0,\n        \"cache\": [ ]\n    } ]"
        );
        let lo: Obj = vec![
            ("ifindex".into(), Value::U(1)),
            (
                "flags".into(),
                Value::L(vec![s("LOOPBACK"), s("UP"), s("LOWER_UP")]),
            ),
            (
                "addr_info".into(),
                Value::L(vec![
                    Value::O(vec![("family".into(), s("inet"))]),
                    Value::O(vec![("family".into(), s("inet6"))]),
                ]),
            ),
        ];
        let want = r#"[ {
        "ifindex": 1,
        "flags": [ "LOOPBACK","UP","LOWER_UP" ],
        "addr_info": [ {
                "family": "inet"
            },{
                "family": "inet6"
            } ]
    },{
        "ifindex": 1
    } ]"#;
        let two = [lo, vec![("ifindex".into(), Value::U(1))]];
        assert_eq!(json_array_fmt(&two, true), want);
        assert_eq!(json_array_fmt(&[], true), "[ ]");
        // Without -p, the compact form ip -j prints.
        assert_eq!(
            json_array_fmt(&two, false),
            r#"[{"ifindex":1,"flags":["LOOPBACK","UP","LOWER_UP"],"addr_info":[{"family":"inet"},{"family":"inet6"}]},{"ifindex":1}]"#
        );
        assert_eq!(
            json_obj_fmt(&route[..1].to_vec(), true),
            "{\n    \"dst\": \"1.2.3.4\"\n}"
        );
        assert_eq!(json_obj_fmt(&Vec::new(), true), "{}");
    }
}
