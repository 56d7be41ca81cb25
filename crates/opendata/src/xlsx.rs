//! A streaming Office Open XML workbook (`.xlsx`) writer for the record exports: one sheet,
//! the column labels as a bold header row, numbers and booleans as typed cells, dates as
//! date cells (`yyyy-mm-dd`), text (date-times in the export's time zone, points
//! `lat, lon`) as inline strings. The zip container is written as it goes (deflated
//! entries with data descriptors), so only the current row is held.

use std::io::{self, Write};

use flate2::Crc;
use flate2::write::DeflateEncoder;
use territoria_odsql::ValueRef;

/// Rows a sheet holds, header included (Excel's limit).
pub const MAX_ROWS: usize = 1_048_576;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Styles: 0 default, 1 date, 2 bold (the header).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// Counts what goes through to the output (zip offsets).
struct Counted<'w> {
    out: &'w mut dyn Write,
    n: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.out.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A written zip entry, for the central directory.
struct Entry {
    name: &'static str,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

/// One deflated entry being written.
struct Deflating<'a, 'w> {
    enc: DeflateEncoder<&'a mut Counted<'w>>,
    crc: Crc,
    /// Bytes before deflating (the CRC's own count wraps at 4 GiB).
    size: u64,
}

impl Write for Deflating<'_, '_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.enc.write(b)?;
        self.crc.update(&b[..k]);
        self.size += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.enc.flush()
    }
}

fn too_large() -> io::Error {
    io::Error::other("the workbook exceeds 4 GiB (zip without zip64): export fewer rows")
}

/// Hands each row to its callback (`emit`) and returns how many there were.
pub type Rows<'r> =
    dyn FnMut(&mut dyn FnMut(&[ValueRef<'_>]) -> io::Result<()>) -> io::Result<u64> + 'r;

/// Writes the workbook's parts around the sheet's rows.
pub struct XlsxWriter<'w> {
    out: Counted<'w>,
    entries: Vec<Entry>,
}

/// 1970-01-01 as an Excel serial day number (days since 1899-12-30).
const EPOCH_SERIAL: i64 = 25_569;

impl<'w> XlsxWriter<'w> {
    /// A workbook whose one sheet is named `sheet` (cut to Excel's 31 characters).
    pub fn new(out: &'w mut dyn Write, sheet: &str) -> io::Result<XlsxWriter<'w>> {
        let sheet: String = sheet
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | '*' | '?' | '/' | '\\' | ':'))
            .take(31)
            .collect();
        let mut name = Vec::new();
        xml_text(&mut name, &sheet)?;
        let sheet = String::from_utf8(name).unwrap_or_default();
        let mut w = XlsxWriter {
            out: Counted { out, n: 0 },
            entries: Vec::new(),
        };
        for (name, body) in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", ""),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ] {
            let wb;
            let body = if name == "xl/workbook.xml" {
                wb = format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
                    sheet
                );
                wb.as_str()
            } else {
                body
            };
            w.entry(name, &mut |e| e.write_all(body.as_bytes()))?;
        }
        Ok(w)
    }

    /// Writes one zip entry whose content `fill` writes.
    fn entry(
        &mut self,
        name: &'static str,
        fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let offset = u32::try_from(self.out.n).map_err(|_| too_large())?;
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed
        h.extend_from_slice(&0x0808u16.to_le_bytes()); // data descriptor, UTF-8 names
        h.extend_from_slice(&8u16.to_le_bytes()); // deflate
        h.extend_from_slice(&0u16.to_le_bytes()); // time
        h.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        h.extend_from_slice(&[0; 12]); // crc and sizes: in the descriptor
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        self.out.write_all(&h)?;
        let start = self.out.n;
        let (crc, size) = {
            let mut d = Deflating {
                enc: DeflateEncoder::new(&mut self.out, flate2::Compression::fast()),
                crc: Crc::new(),
                size: 0,
            };
            fill(&mut d)?;
            let crc = d.crc.sum();
            let size = d.size;
            d.enc.finish()?;
            (crc, size)
        };
        let compressed = u32::try_from(self.out.n - start).map_err(|_| too_large())?;
        let size = u32::try_from(size).map_err(|_| too_large())?;
        let mut dd = Vec::with_capacity(16);
        dd.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        dd.extend_from_slice(&crc.to_le_bytes());
        dd.extend_from_slice(&compressed.to_le_bytes());
        dd.extend_from_slice(&size.to_le_bytes());
        self.out.write_all(&dd)?;
        self.entries.push(Entry {
            name,
            crc,
            compressed,
            size,
            offset,
        });
        Ok(())
    }

    /// Writes the sheet: the header row (`labels`), then every row `rows` hands to its
    /// callback; `text` writes a value shown as text. Returns the number of rows.
    pub fn sheet(
        &mut self,
        labels: &[&str],
        rows: &mut Rows<'_>,
        text: &dyn Fn(&mut String, usize, ValueRef<'_>),
    ) -> io::Result<u64> {
        let mut n = 0;
        self.entry("xl/worksheets/sheet1.xml", &mut |w| {
            w.write_all(
                br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData><row>"#,
            )?;
            for l in labels {
                w.write_all(br#"<c t="inlineStr" s="2"><is><t>"#)?;
                xml_text(w, l)?;
                w.write_all(b"</t></is></c>")?;
            }
            w.write_all(b"</row>")?;
            let mut buf = String::new();
            let mut count = 0usize;
            n = rows(&mut |row: &[ValueRef<'_>]| -> io::Result<()> {
                count += 1;
                if count >= MAX_ROWS {
                    return Err(io::Error::other(
                        "more rows than an xlsx sheet holds (1,048,575): export fewer rows",
                    ));
                }
                w.write_all(b"<row>")?;
                for (i, v) in row.iter().enumerate() {
                    match *v {
                        ValueRef::Null => w.write_all(b"<c/>")?,
                        ValueRef::Int(x) => write!(w, "<c><v>{x}</v></c>")?,
                        ValueRef::Float(x) if x.is_finite() => write!(w, "<c><v>{x}</v></c>")?,
                        ValueRef::Float(_) => w.write_all(b"<c/>")?,
                        ValueRef::Bool(b) => write!(w, r#"<c t="b"><v>{}</v></c>"#, u8::from(b))?,
                        ValueRef::Date(d) => write!(
                            w,
                            r#"<c s="1"><v>{}</v></c>"#,
                            i64::from(d.days_since_epoch()) + EPOCH_SERIAL
                        )?,
                        _ => {
                            buf.clear();
                            text(&mut buf, i, *v);
                            w.write_all(br#"<c t="inlineStr"><is><t xml:space="preserve">"#)?;
                            xml_text(w, &buf)?;
                            w.write_all(b"</t></is></c>")?;
                        }
                    }
                }
                w.write_all(b"</row>")
            })?;
            w.write_all(b"</sheetData></worksheet>")
        })?;
        Ok(n)
    }

    /// Writes the central directory.
    pub fn finish(mut self) -> io::Result<()> {
        let start = u32::try_from(self.out.n).map_err(|_| too_large())?;
        let mut cd = Vec::new();
        for e in &self.entries {
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes()); // made by
            cd.extend_from_slice(&20u16.to_le_bytes()); // needed
            cd.extend_from_slice(&0x0808u16.to_le_bytes());
            cd.extend_from_slice(&8u16.to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes());
            cd.extend_from_slice(&0x21u16.to_le_bytes());
            cd.extend_from_slice(&e.crc.to_le_bytes());
            cd.extend_from_slice(&e.compressed.to_le_bytes());
            cd.extend_from_slice(&e.size.to_le_bytes());
            cd.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            cd.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            cd.extend_from_slice(&e.offset.to_le_bytes());
            cd.extend_from_slice(e.name.as_bytes());
        }
        let n = self.entries.len() as u16;
        let size = cd.len() as u32;
        cd.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        cd.extend_from_slice(&[0; 4]);
        cd.extend_from_slice(&n.to_le_bytes());
        cd.extend_from_slice(&n.to_le_bytes());
        cd.extend_from_slice(&size.to_le_bytes());
        cd.extend_from_slice(&start.to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&cd)?;
        self.out.flush()
    }
}

/// Text escaped for XML, without the characters XML 1.0 forbids.
fn xml_text(w: &mut dyn Write, s: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let rep: Option<&[u8]> = match c {
            '&' => Some(b"&amp;"),
            '<' => Some(b"&lt;"),
            '>' => Some(b"&gt;"),
            '\t' | '\n' | '\r' => None,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => Some(b""),
            _ => None,
        };
        if let Some(r) = rep {
            w.write_all(&s.as_bytes()[start..i])?;
            w.write_all(r)?;
            start = i + c.len_utf8();
        }
    }
    w.write_all(&s.as_bytes()[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_odsql::Date;

    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes(b[i..i + 4].try_into().unwrap())
    }

    /// The zip's end record points at a central directory listing every part, and each
    /// part's descriptor holds the CRC of what it inflates to.
    #[test]
    fn workbooks_are_zips_whose_parts_inflate_to_their_crc() {
        let mut out = Vec::new();
        let mut w = XlsxWriter::new(&mut out, "orgs/2024: [test]").unwrap();
        let rows = w
            .sheet(
                &["Nom", "N", "Créé", "Actif"],
                &mut |emit| {
                    for i in 0..1000 {
                        let name = format!("Entreprise <{i}> & fils\u{1}");
                        emit(&[
                            ValueRef::Text(&name),
                            ValueRef::Int(i),
                            ValueRef::Date(Date::from_days(i as i32)),
                            if i % 3 == 0 {
                                ValueRef::Null
                            } else {
                                ValueRef::Bool(i % 2 == 0)
                            },
                        ])?;
                    }
                    Ok(1000)
                },
                &|buf, _, v| {
                    if let ValueRef::Text(t) = v {
                        buf.push_str(t)
                    }
                },
            )
            .unwrap();
        w.finish().unwrap();
        assert_eq!(rows, 1000);
        let eocd = out.len() - 22;
        assert_eq!(u32_at(&out, eocd), 0x0605_4b50);
        let entries = u16::from_le_bytes([out[eocd + 10], out[eocd + 11]]) as usize;
        assert_eq!(entries, 6);
        let mut at = u32_at(&out, eocd + 16) as usize;
        let mut names = Vec::new();
        for _ in 0..entries {
            assert_eq!(u32_at(&out, at), 0x0201_4b50);
            let crc = u32_at(&out, at + 16);
            let csize = u32_at(&out, at + 20) as usize;
            let size = u32_at(&out, at + 24) as usize;
            let nlen = u16::from_le_bytes([out[at + 28], out[at + 29]]) as usize;
            let local = u32_at(&out, at + 42) as usize;
            let name = String::from_utf8(out[at + 46..at + 46 + nlen].to_vec()).unwrap();
            assert_eq!(u32_at(&out, local), 0x0403_4b50);
            let data = local + 30 + nlen;
            let mut inflated = Vec::new();
            use std::io::Read;
            flate2::read::DeflateDecoder::new(&out[data..data + csize])
                .read_to_end(&mut inflated)
                .unwrap();
            assert_eq!(inflated.len(), size, "{name}");
            let mut c = Crc::new();
            c.update(&inflated);
            assert_eq!(c.sum(), crc, "{name}");
            if name == "xl/worksheets/sheet1.xml" {
                let xml = String::from_utf8(inflated.clone()).unwrap();
                assert!(xml.contains("<t>Créé</t>"));
                assert!(xml.contains("Entreprise &lt;7&gt; &amp; fils</t>"));
                assert!(!xml.contains('\u{1}'));
                assert_eq!(xml.matches("<row>").count(), 1001);
            }
            if name == "xl/workbook.xml" {
                let xml = String::from_utf8(inflated.clone()).unwrap();
                assert!(xml.contains(r#"name="orgs2024 test""#), "{xml}");
            }
            names.push(name);
            at += 46 + nlen;
        }
        assert!(names.contains(&"[Content_Types].xml".to_owned()));
        if let Ok(path) = std::env::var("TERRITORIA_XLSX_SAMPLE") {
            std::fs::write(path, &out).unwrap();
        }
    }
}
