// SPDX-License-Identifier: GPL-2.0
//! Numbers and names as iproute2 6.1 reads them: `strtoul` (what
//! `get_u32` and the `*_a2n` lookups use), routing table names from
//! `rt_tables` and `rt_tables.d/*.conf`, DS field names from `rt_dsfield`
//! (`lib/rt_names.c`), so that `rvnetctl ... table T tos X` means what
//! `ip ... table T tos X` means.

use std::path::{Path, PathBuf};

/// C `strtoul(s, &end, base)` that must consume all of `s` (what iproute2
/// checks with `!*end`): leading white space, an optional sign (a minus
/// negates modulo 2^64, as C does), for base 0 a `0x` prefix for hex or a
/// leading `0` for octal, for base 16 an optional `0x`. `None` when
/// nothing or not everything was converted, or on overflow (`ERANGE`).
pub fn strtoul(s: &str, base: u32) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let hex_prefix = |t: &str| {
        let b = t.as_bytes();
        b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' && b[2].is_ascii_hexdigit()
    };
    let (radix, digits) = match base {
        0 if hex_prefix(t) => (16, &t[2..]),
        0 if t.starts_with('0') => (8, t),
        0 => (10, t),
        16 if hex_prefix(t) => (16, &t[2..]),
        b => (b, t),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Where iproute2 6.1 keeps its name databases (`CONFDIR`).
pub const CONFDIR: &str = "/etc/iproute2";

/// One line of a name database as `fread_id_name` reads it: after blanks,
/// `#` lines and empty lines are skipped; otherwise `sscanf` with
/// `"0x%x %s"`, then `"%d %s"`. `Err` for a corrupted line (iproute2 stops
/// reading the file there).
fn id_name(line: &str) -> Result<Option<(i64, String)>, ()> {
    let p = line.trim_start_matches([' ', '\t']);
    if p.is_empty() || p.starts_with('#') || p.starts_with('\n') {
        return Ok(None);
    }
    // `%s`: skip white space, then a run of non-white-space.
    let name = |rest: &str| {
        let r = rest.trim_start();
        let n: String = r.chars().take_while(|c| !c.is_whitespace()).collect();
        (!n.is_empty()).then_some(n)
    };
    // "0x%x %s": literal 0x, then %x (white space, sign, optional 0x,
    // hex digits), stored in an int.
    if let Some(r) = p.strip_prefix("0x") {
        let r = r.trim_start();
        let (neg, r) = match r.as_bytes().first() {
            Some(b'-') => (true, &r[1..]),
            Some(b'+') => (false, &r[1..]),
            _ => (false, r),
        };
        let r = match r.get(..2) {
            Some("0x" | "0X") if r[2..].starts_with(|c: char| c.is_ascii_hexdigit()) => &r[2..],
            _ => r,
        };
        let n = r.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(r.len());
        if n > 0 {
            if let Some(nm) = name(&r[n..]) {
                let v = u64::from_str_radix(&r[..n], 16).unwrap_or(u64::MAX) as u32;
                let v = if neg { v.wrapping_neg() } else { v };
                return Ok(Some((i64::from(v as i32), nm)));
            }
        }
    }
    // "%d %s": sign, decimal digits, stored in an int (truncated as glibc
    // does), then the name (no blank needed in between).
    let (neg, r) = match p.as_bytes().first() {
        Some(b'-') => (true, &p[1..]),
        Some(b'+') => (false, &p[1..]),
        _ => (false, p),
    };
    let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
    if n == 0 {
        return Err(());
    }
    let Some(nm) = name(&r[n..]) else {
        return Err(());
    };
    let v = r[..n].parse::<i64>().unwrap_or(i64::MAX);
    let v = if neg { v.wrapping_neg() } else { v };
    Ok(Some((i64::from(v as i32), nm)))
}

/// The `(id, name)` entries of a database file, in file order, up to a
/// corrupted line; nothing if the file cannot be read.
fn read_db(path: &Path) -> Vec<(i64, String)> {
    let Ok(text) = std::fs::read(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&text);
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        match id_name(line) {
            Ok(Some(e)) => out.push(e),
            Ok(None) => {}
            Err(()) => break,
        }
    }
    out
}

/// The name databases of one configuration directory.
#[derive(Debug, Clone)]
pub struct Names {
    dir: PathBuf,
}

impl Default for Names {
    fn default() -> Names {
        Names::at(CONFDIR)
    }
}

impl Names {
    /// The databases in `dir` (instead of `/etc/iproute2`).
    pub fn at(dir: impl Into<PathBuf>) -> Names {
        Names { dir: dir.into() }
    }

    /// `rtnl_rttable_a2n`: a table name of `rt_tables` or
    /// `rt_tables.d/*.conf` (and the built-in `default`, `main`, `local`),
    /// else a number up to 2^32-1 (`strtoul` base 0: `0x10`, `010` = 8).
    ///
    /// A name given twice is resolved as iproute2's hash does: the entry
    /// in the lowest bucket (`id & 255`) wins, and within a bucket the one
    /// read last. The `.conf` files are read in name order (iproute2 takes
    /// `readdir` order).
    pub fn table(&self, s: &str) -> Option<u32> {
        let mut entries: Vec<(i64, String)> = vec![
            (253, "default".into()),
            (254, "main".into()),
            (255, "local".into()),
        ];
        entries.extend(read_db(&self.dir.join("rt_tables")));
        if let Ok(rd) = std::fs::read_dir(self.dir.join("rt_tables.d")) {
            let mut files: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && n.len() > 5 && n.ends_with(".conf"))
                .collect();
            files.sort();
            for f in files {
                entries.extend(read_db(&self.dir.join("rt_tables.d").join(f)));
            }
        }
        let hit = entries
            .iter()
            .enumerate()
            .filter(|(_, (id, n))| *id >= 0 && n == s)
            .min_by_key(|(i, (id, _))| (id & 255, std::cmp::Reverse(*i)));
        if let Some((_, (id, _))) = hit {
            return u32::try_from(*id).ok();
        }
        strtoul(s, 0).and_then(|v| u32::try_from(v).ok())
    }

    /// `rtnl_dsfield_a2n`: the TOS (DS field) byte: a name of `rt_dsfield`
    /// (`0` is built in), else a number in HEX, with or without `0x`
    /// (`tos 28` is 0x28, as in `ip`), at most 0xff.
    pub fn dsfield(&self, s: &str) -> Option<u8> {
        let mut tab: Vec<Option<String>> = vec![None; 256];
        tab[0] = Some("0".into());
        for (id, n) in read_db(&self.dir.join("rt_dsfield")) {
            if let Some(slot) = usize::try_from(id).ok().and_then(|i| tab.get_mut(i)) {
                *slot = Some(n);
            }
        }
        if let Some(i) = tab.iter().position(|n| n.as_deref() == Some(s)) {
            return u8::try_from(i).ok();
        }
        strtoul(s, 16).and_then(|v| u8::try_from(v).ok())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A fresh configuration directory with the given files (path, text).
    pub fn conf_dir(tag: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rvnetctl-names-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for (p, text) in files {
            let f = d.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn strtoul_as_c() {
        assert_eq!(strtoul("10", 0), Some(10));
        assert_eq!(strtoul("010", 0), Some(8));
        assert_eq!(strtoul("0x10", 0), Some(16));
        assert_eq!(strtoul("0X1f", 0), Some(31));
        assert_eq!(strtoul("0", 0), Some(0));
        assert_eq!(strtoul(" 9", 0), Some(9));
        assert_eq!(strtoul("+7", 0), Some(7));
        assert_eq!(strtoul("-0", 0), Some(0));
        assert_eq!(strtoul("-1", 0), Some(u64::MAX));
        assert_eq!(strtoul("08", 0), None);
        assert_eq!(strtoul("0x", 0), None);
        assert_eq!(strtoul("", 0), None);
        assert_eq!(strtoul("5 ", 0), None);
        assert_eq!(strtoul("x", 0), None);
        assert_eq!(strtoul("99999999999999999999", 0), None);
        assert_eq!(strtoul("28", 16), Some(0x28));
        assert_eq!(strtoul("0x28", 16), Some(0x28));
        assert_eq!(strtoul("ff", 16), Some(255));
        assert_eq!(strtoul("0x", 16), None);
    }

    #[test]
    fn database_lines_as_sscanf() {
        assert_eq!(id_name("100\tfoo\n"), Ok(Some((100, "foo".into()))));
        assert_eq!(
            id_name("0x65 hexname\n"),
            Ok(Some((0x65, "hexname".into())))
        );
        assert_eq!(
            id_name("\t200 tabbed # comment\n"),
            Ok(Some((200, "tabbed".into())))
        );
        assert_eq!(id_name("  # c\n"), Ok(None));
        assert_eq!(id_name("\n"), Ok(None));
        assert_eq!(id_name("100foo\n"), Ok(Some((100, "foo".into()))));
        // "0x%x" fails on 0X, "%d" reads the 0 and %s the rest.
        assert_eq!(id_name("0X10 capx\n"), Ok(Some((0, "X10".into()))));
        // An int: 4000000000 wraps negative (and is skipped by callers).
        assert_eq!(id_name("4000000000 huge\n").unwrap().unwrap().0, -294967296);
        assert_eq!(id_name("-5 neg\n"), Ok(Some((-5, "neg".into()))));
        assert_eq!(id_name("100\n"), Err(()));
        assert_eq!(id_name("foo 100\n"), Err(()));
    }

    /// What `ip rule add table T` resolved on iproute2 6.1 with these
    /// files (checked in a private mount and network namespace).
    #[test]
    fn table_names_as_ip() {
        let d = conf_dir(
            "tables",
            &[
                (
                    "rt_tables",
                    "255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n#1\tinr.ruhep\n\
                     100\tfoo\n0x65 hexname\n  # c\n\t200 tabbed # comment\n300 big\n\
                     4000000000 huge\n-5 neg\n0X10 capx\n",
                ),
                (
                    "rt_tables.d/a.conf",
                    "150 dconf\n151 main\n300 dup\n44 dup\n",
                ),
                ("rt_tables.d/b.txt", "160 notconf\n"),
                ("rt_tables.d/c.conf", "556 dup2\n300 dup2\n"),
            ],
        );
        let n = Names::at(&d);
        let t = |s| n.table(s);
        assert_eq!(t("foo"), Some(100));
        assert_eq!(t("hexname"), Some(0x65));
        assert_eq!(t("tabbed"), Some(200));
        assert_eq!(t("big"), Some(300));
        assert_eq!(t("huge"), None);
        assert_eq!(t("neg"), None);
        assert_eq!(t("capx"), None);
        assert_eq!(t("X10"), Some(0));
        assert_eq!(t("unspec"), Some(0));
        assert_eq!(t("dconf"), Some(150));
        assert_eq!(t("notconf"), None);
        // Bucket 151 comes before bucket 254.
        assert_eq!(t("main"), Some(151));
        // Same bucket 44: the entry read last.
        assert_eq!(t("dup"), Some(44));
        assert_eq!(t("dup2"), Some(300));
        assert_eq!(t("local"), Some(255));
        assert_eq!(t("default"), Some(253));
        assert_eq!(t("010"), Some(8));
        assert_eq!(t("0x10"), Some(16));
        assert_eq!(t("08"), None);
        assert_eq!(t("+7"), Some(7));
        assert_eq!(t(" 9"), Some(9));
        assert_eq!(t("4294967295"), Some(u32::MAX));
        assert_eq!(t("4294967296"), None);
        assert_eq!(t("-1"), None);
        assert_eq!(t("inr.ruhep"), None);
        // Without any file: the built-in names and numbers.
        let none = Names::at(d.join("nowhere"));
        assert_eq!(none.table("main"), Some(254));
        assert_eq!(none.table("local"), Some(255));
        assert_eq!(none.table("default"), Some(253));
        assert_eq!(none.table("foo"), None);
        assert_eq!(none.table("42"), Some(42));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// `ip route get ... tos X` on iproute2 6.1: names of rt_dsfield (not
    /// of an rt_dsfield.d), numbers in hex.
    #[test]
    fn dsfield_names_as_ip() {
        let d = conf_dir(
            "dsfield",
            &[
                (
                    "rt_dsfield",
                    "# Differentiated field values\n0x0\tdefault\n0x28\tAF11\n0x20\tCS1\n\
                     0xB8\tEF\n0x44 mytos\n",
                ),
                ("rt_dsfield.d/a.conf", "0x20 dsd\n"),
            ],
        );
        let n = Names::at(&d);
        let t = |s| n.dsfield(s);
        assert_eq!(t("AF11"), Some(0x28));
        assert_eq!(t("CS1"), Some(0x20));
        assert_eq!(t("EF"), Some(0xb8));
        assert_eq!(t("mytos"), Some(0x44));
        assert_eq!(t("default"), Some(0));
        assert_eq!(t("dsd"), None);
        assert_eq!(t("0"), Some(0));
        assert_eq!(t("40"), Some(0x40));
        assert_eq!(t("28"), Some(0x28));
        assert_eq!(t("0x28"), Some(0x28));
        assert_eq!(t(" 28"), Some(0x28));
        assert_eq!(t("+28"), Some(0x28));
        assert_eq!(t("ff"), Some(0xff));
        assert_eq!(t("0xff"), Some(0xff));
        assert_eq!(t("100"), None);
        assert_eq!(t("1ff"), None);
        assert_eq!(t("-1"), None);
        assert_eq!(t("0x"), None);
        assert_eq!(t("lowdelay"), None);
        assert_eq!(Names::at(d.join("nowhere")).dsfield("0"), Some(0));
        let _ = std::fs::remove_dir_all(&d);
    }
}
