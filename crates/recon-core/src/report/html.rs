//! A self-contained HTML report: sections of text, inline SVG plots, embedded PNG images and tables.

use base64::Engine;

/// One piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// An inline SVG document.
    Svg(String),
    /// A PNG image with a caption, embedded as base64.
    Png {
        /// Caption under the image.
        caption: String,
        /// PNG file bytes.
        bytes: Vec<u8>,
    },
    /// A table.
    Table {
        /// Column titles.
        header: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
}

/// A titled section of a report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Section { title: title.into(), blocks: Vec::new() }
    }
    /// Appends a paragraph.
    pub fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Text(s.into()));
        self
    }
}

/// A report: a title and sections.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Page title.
    pub title: String,
    /// Sections in order.
    pub sections: Vec<Section>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Report {
    /// Renders the report as one HTML document with everything embedded.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str(&format!("<title>{}</title>", escape(&self.title)));
        h.push_str(
            "<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}\
             h1{border-bottom:2px solid #1f77b4}h2{margin-top:2em;color:#1f77b4}\
             table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\
             th{background:#f3f3f3}figure{margin:1em 0}figcaption{color:#555;font-size:90%}\
             img{max-width:100%;image-rendering:auto}</style></head><body>\n",
        );
        h.push_str(&format!("<h1>{}</h1>\n", escape(&self.title)));
        if self.sections.len() > 1 {
            h.push_str("<ol>");
            for (i, s) in self.sections.iter().enumerate() {
                h.push_str(&format!("<li><a href=\"#s{i}\">{}</a></li>", escape(&s.title)));
            }
            h.push_str("</ol>\n");
        }
        for (i, s) in self.sections.iter().enumerate() {
            h.push_str(&format!("<h2 id=\"s{i}\">{}</h2>\n", escape(&s.title)));
            for b in &s.blocks {
                match b {
                    Block::Text(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
                    Block::Svg(svg) => h.push_str(&format!("<figure>{svg}</figure>\n")),
                    Block::Png { caption, bytes } => {
                        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                        h.push_str(&format!(
                            "<figure><img alt=\"{c}\" src=\"data:image/png;base64,{b64}\"><figcaption>{c}</figcaption></figure>\n",
                            c = escape(caption)
                        ));
                    }
                    Block::Table { header, rows } => {
                        h.push_str("<table><tr>");
                        for c in header {
                            h.push_str(&format!("<th>{}</th>", escape(c)));
                        }
                        h.push_str("</tr>");
                        for r in rows {
                            h.push_str("<tr>");
                            for c in r {
                                h.push_str(&format!("<td>{}</td>", escape(c)));
                            }
                            h.push_str("</tr>");
                        }
                        h.push_str("</table>\n");
                    }
                }
            }
        }
        h.push_str("</body></html>\n");
        h
    }
}
