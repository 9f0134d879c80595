//! Finds the line of a field in a JSON text, so that errors found after parsing (an unknown
//! dataset, a negative duration) can name the line as well as the field.
//!
//! serde keeps no positions once a value is parsed; this walks the text once more and records
//! the line at which each value starts, keyed by its path (`tasks[3].compute_s.gpu`).

use std::collections::HashMap;

/// Line numbers (1-based) of every value in a JSON document, by path.
pub struct JsonLines {
    lines: HashMap<String, usize>,
}

impl JsonLines {
    /// Indexes `text`. Text that is not valid JSON gives a partial index (never a panic).
    pub fn index(text: &str) -> Self {
        let mut scanner = Scanner { bytes: text.as_bytes(), pos: 0, line: 1, lines: HashMap::new() };
        scanner.value(String::new());
        JsonLines { lines: scanner.lines }
    }

    /// The line of `path`, or of its closest indexed ancestor.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line);
            }
            if path.is_empty() {
                return None;
            }
            path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
        }
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    lines: HashMap<String, usize>,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, path: String) -> Option<()> {
        self.skip_ws();
        self.lines.insert(path.clone(), self.line);
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' => self.pos += 1,
                        b'"' => {
                            let key = self.string()?;
                            self.skip_ws();
                            if self.peek()? != b':' {
                                return None;
                            }
                            self.pos += 1;
                            let child = if path.is_empty() { key } else { format!("{path}.{key}") };
                            self.value(child)?;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' => self.pos += 1,
                        _ => {
                            self.value(format!("{path}[{index}]"))?;
                            index += 1;
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                        break;
                    }
                    self.pos += 1;
                }
                Some(())
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // opening quote
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b'\\' => self.pos += 2,
                b'"' => {
                    let s = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
                    self.pos += 1;
                    return Some(s);
                }
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_fields_and_falls_back_to_ancestors() {
        let text = "{\n  \"a\": 1,\n  \"tasks\": [\n    {\"id\": \"x\"},\n    {\n      \"id\": \"y\",\n      \"c\": {\"gpu\": -1}\n    }\n  ]\n}";
        let lines = JsonLines::index(text);
        assert_eq!(lines.line_of("a"), Some(2));
        assert_eq!(lines.line_of("tasks[0].id"), Some(4));
        assert_eq!(lines.line_of("tasks[1].id"), Some(6));
        assert_eq!(lines.line_of("tasks[1].c.gpu"), Some(7));
        assert_eq!(lines.line_of("tasks[1].missing"), Some(5));
        assert_eq!(lines.line_of("nothing"), Some(1));
    }

    #[test]
    fn survives_broken_text() {
        let lines = JsonLines::index("{\"a\": [1, 2");
        assert_eq!(lines.line_of("a[1]"), Some(1));
    }
}
